from django.urls import path

from jiceng.insight import views_classifier

urlpatterns = [
    path("classifier/", views_classifier.model_list, name="classifier_models"),
    path("classifier/train/", views_classifier.model_train, name="classifier_train"),
    path(
        "classifier/<int:pk>/activate/",
        views_classifier.model_activate,
        name="classifier_activate",
    ),
    path("cases/<int:pk>/category/", views_classifier.case_category, name="case_category_correct"),
]
