"""The dashboard's URLs under /staff/cases/, as the cases URLconf will include them."""

from django.urls import include, path

urlpatterns = [
    path("staff/cases/", include("jiceng.cases.urls_dashboard")),
    path("", include("config.urls")),
]
