"""Residents answer surveys here, without an account; short paths fit in a QR code."""

from django.urls import include, path

urlpatterns = [
    path("", include("jiceng.evaluation.urls_survey")),
]
