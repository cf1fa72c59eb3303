"""The project's URLs with the import and export pages under /staff/cases/, as the cases app
includes them."""

from django.urls import include, path

urlpatterns = [
    path("staff/cases/", include("jiceng.cases.urls_transfer")),
    path("", include("config.urls")),
]
