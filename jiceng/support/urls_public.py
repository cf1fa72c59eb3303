"""Residents' venue check-in, under /v/: the poster's QR code holds /v/<code>/ (short)."""

from django.urls import path

from jiceng.support import views_venues as views

urlpatterns = [
    path("<str:code>/", views.checkin, name="venue_checkin"),
]
