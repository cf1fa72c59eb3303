from django.urls import URLPattern, URLResolver, path

from jiceng.conduct import views_dashboard as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard, name="conduct_dashboard"),
    path("<str:code>/", views.dashboard, name="conduct_dashboard_unit"),
    path("<str:code>/perfunctory/", views.perfunctory, name="conduct_perfunctory"),
]
