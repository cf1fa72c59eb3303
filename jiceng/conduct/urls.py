from django.urls import URLPattern, URLResolver, include, path

from jiceng.conduct import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("visits/", views.visit_list, name="conduct_visit_list"),
    path("visits/new/", views.visit_new, name="conduct_visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="conduct_visit_detail"),
    path(
        "visits/<int:pk>/photos/<int:photo_id>/", views.finding_photo, name="conduct_finding_photo"
    ),
    path("rectification/", views.rectification_list, name="conduct_rectification_list"),
    path(
        "rectification/<int:pk>/",
        views.rectification_detail,
        name="conduct_rectification_detail",
    ),
    path(
        "rectification/<int:pk>/act/<str:action>/",
        views.rectification_act,
        name="conduct_rectification_act",
    ),
    path(
        "rectification/<int:pk>/evidence/<int:evidence_id>/",
        views.rectification_evidence,
        name="conduct_rectification_evidence",
    ),
    path("progress/", views.rectification_rollup, name="conduct_rollup"),
    path("progress/<str:code>/", views.rectification_rollup, name="conduct_rollup_unit"),
    path("", include("jiceng.conduct.urls_misconduct")),
    path("obstruction/", include("jiceng.conduct.urls_obstruction")),
    path("dashboard/", include("jiceng.conduct.urls_dashboard")),
]
