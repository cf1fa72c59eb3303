from django.urls import URLPattern, URLResolver, include, path

from jiceng.insight import views_duplicates, views_routing

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("jiceng.insight.urls_classifier")),
    path("duplicates/suggest/", views_duplicates.suggest, name="insight_suggest"),
    path("duplicates/support/", views_duplicates.support, name="insight_support"),
    path("routing/triage/", views_routing.triage, name="insight_triage"),
    path("routing/places/", views_routing.gazetteer, name="insight_gazetteer"),
    path("hot/", include("jiceng.insight.urls_hot")),
]
