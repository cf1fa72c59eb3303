"""Residents' pages of misconduct reports (no account), under /report-conduct/."""

from django.urls import URLPattern, URLResolver, path

from jiceng.conduct import views_misconduct as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report, name="misconduct_report"),
    path("lookup/", views.lookup, name="misconduct_lookup"),
    path("status/", views.status, name="misconduct_status"),
    path("status/leave/", views.leave, name="misconduct_leave"),
]
