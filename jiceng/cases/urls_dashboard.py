"""The case-rate dashboard; included under /staff/cases/ by the cases URLconf's owner."""

from django.urls import path

from jiceng.cases import views_dashboard

urlpatterns = [
    path("dashboard/", views_dashboard.dashboard, name="case_dashboard"),
    path("dashboard/<str:code>/", views_dashboard.dashboard, name="case_dashboard_unit"),
]
