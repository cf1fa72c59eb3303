from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("hot/", include("jiceng.insight.urls_hot")),
]
