from django.urls import URLPattern, URLResolver, path

from jiceng.evaluation import views_schemes as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.scheme_list, name="scheme_list"),
    path("new/", views.scheme_new, name="scheme_new"),
    path("defaults/", views.scheme_install_defaults, name="scheme_install_defaults"),
    path("import/", views.scheme_import, name="scheme_import"),
    path("<int:pk>/", views.scheme_detail, name="scheme_detail"),
    path("<int:pk>/edit/", views.scheme_edit, name="scheme_edit"),
    path("<int:pk>/delete/", views.scheme_delete, name="scheme_delete"),
    path("<int:pk>/publish/", views.scheme_publish, name="scheme_publish"),
    path("<int:pk>/new-version/", views.scheme_new_version, name="scheme_new_version"),
    path("<int:pk>/clone/", views.scheme_clone, name="scheme_clone"),
    path("<int:pk>/export/", views.scheme_export, name="scheme_export"),
    path("<int:pk>/indicators/new/", views.scheme_indicator_new, name="scheme_indicator_new"),
    path(
        "<int:pk>/indicators/<int:indicator_pk>/",
        views.scheme_indicator_edit,
        name="scheme_indicator_edit",
    ),
    path(
        "<int:pk>/indicators/<int:indicator_pk>/delete/",
        views.scheme_indicator_delete,
        name="scheme_indicator_delete",
    ),
    path(
        "<int:pk>/indicators/<int:indicator_pk>/move/",
        views.scheme_indicator_move,
        name="scheme_indicator_move",
    ),
]
