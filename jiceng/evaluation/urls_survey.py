"""Residents' answering pages, under /s/: short paths keep the printed QR codes small."""

from django.urls import path

from jiceng.evaluation import views_survey as views

urlpatterns = [
    path("thanks/", views.answer_thanks, name="survey_thanks"),
    path("o/<str:slug>/", views.answer_by_link, name="survey_answer_open"),
    path("<str:token>/", views.answer_by_token, name="survey_answer_token"),
]
