from django.urls import include, path

urlpatterns = [
    path("", include("jiceng.support.urls_venues")),
    path("funds/", include("jiceng.support.urls_funds")),
    path("care/", include("jiceng.support.urls_care")),
]
