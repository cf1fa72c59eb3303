from django.urls import URLPattern, URLResolver, path

from jiceng.evaluation import views_results as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("rounds/<int:pk>/results/", views.result_list, name="result_list"),
    path("rounds/<int:pk>/results/compute/", views.result_compute, name="result_compute"),
    path("rounds/<int:pk>/results/publish/", views.result_publish, name="result_publish"),
    path(
        "rounds/<int:pk>/results/sensitivity/",
        views.result_sensitivity,
        name="result_sensitivity",
    ),
    path("rounds/<int:pk>/results.xlsx", views.result_export, name="result_export"),
    path("results/<int:pk>/", views.report_unit, name="report_unit"),
    path("results/<int:pk>/print/", views.report_print, name="report_print"),
    path("results/<int:pk>/appeal/", views.appeal_file, name="appeal_file"),
    path("appeals/", views.appeal_list, name="appeal_list"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal_detail"),
]
