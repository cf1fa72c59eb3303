"""Staff pages about venues, under /support/."""

from django.urls import path

from jiceng.support import views_venues as views

urlpatterns = [
    path("venues/", views.venue_list, name="venue_list"),
    path("venues/new/", views.venue_create, name="venue_create"),
    path("venues/utilisation/", views.venue_utilisation_view, name="venue_utilisation"),
    path("venues/<int:pk>/", views.venue_detail, name="venue_detail"),
    path("venues/<int:pk>/edit/", views.venue_edit, name="venue_edit"),
    path("venues/<int:pk>/hours/", views.venue_hours, name="venue_hours"),
    path("venues/<int:pk>/exceptions/", views.venue_exception_add, name="venue_exception_add"),
    path(
        "venues/<int:pk>/exceptions/remove/",
        views.venue_exception_remove,
        name="venue_exception_remove",
    ),
    path("venues/<int:pk>/photos/", views.venue_photo_add, name="venue_photo_add"),
    path("venues/<int:pk>/photos/<int:photo_id>/", views.venue_photo, name="venue_photo"),
    path("venues/<int:pk>/roster/", views.venue_roster, name="venue_roster"),
    path(
        "venues/<int:pk>/roster/<int:shift_id>/remove/",
        views.venue_shift_remove,
        name="venue_shift_remove",
    ),
    path("venues/<int:pk>/poster/", views.venue_poster, name="venue_poster"),
    path("venues/<int:pk>/activities/new/", views.activity_create, name="activity_create"),
    path("venues/<int:pk>/spot-check/", views.spotcheck_create, name="spotcheck_create"),
    path("activities/", views.activity_list, name="activity_list"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/close/", views.activity_close, name="activity_close"),
    path("spot-checks/", views.spotcheck_list, name="spotcheck_list"),
    path("spot-checks/<int:pk>/", views.spotcheck_detail, name="spotcheck_detail"),
]
