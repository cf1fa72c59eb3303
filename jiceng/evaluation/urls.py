from django.urls import include, path

urlpatterns = [
    path("", include("jiceng.evaluation.urls_rounds")),
    path("schemes/", include("jiceng.evaluation.urls_schemes")),
    path("", include("jiceng.evaluation.urls_results")),
    path("", include("jiceng.evaluation.urls_survey_staff")),
]
