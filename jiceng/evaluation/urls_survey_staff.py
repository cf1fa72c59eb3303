"""Staff pages of the residents' assessment (群众测评), under /evaluation/."""

from django.urls import path

from jiceng.evaluation import views_survey as views

urlpatterns = [
    path("surveys/", views.survey_rounds, name="survey_rounds"),
    path("rounds/<int:round_id>/survey/", views.survey_builder, name="survey_builder"),
    path(
        "rounds/<int:round_id>/survey/default/",
        views.survey_create_default,
        name="survey_create_default",
    ),
    path("rounds/<int:round_id>/survey/settings/", views.survey_settings, name="survey_settings"),
    path(
        "rounds/<int:round_id>/survey/questions/new/",
        views.survey_question_add,
        name="survey_question_add",
    ),
    path(
        "rounds/<int:round_id>/survey/responses/",
        views.survey_response_rates,
        name="survey_response_rates",
    ),
    path("survey/questions/<int:pk>/", views.survey_question_edit, name="survey_question_edit"),
    path(
        "survey/questions/<int:pk>/delete/",
        views.survey_question_delete,
        name="survey_question_delete",
    ),
    path(
        "survey/questions/<int:pk>/move/", views.survey_question_move, name="survey_question_move"
    ),
    path("survey/units/<int:pk>/", views.survey_unit, name="survey_unit"),
    path("survey/units/<int:pk>/households/", views.survey_households, name="survey_households"),
    path(
        "survey/units/<int:pk>/tokens/",
        views.survey_token_batch_create,
        name="survey_token_batch_create",
    ),
    path(
        "survey/units/<int:pk>/links/",
        views.survey_open_link_create,
        name="survey_open_link_create",
    ),
    path("survey/units/<int:pk>/comments/", views.survey_free_text, name="survey_free_text"),
    path(
        "survey/batches/<int:pk>/void/",
        views.survey_token_batch_void,
        name="survey_token_batch_void",
    ),
    path(
        "survey/links/<int:pk>/poster/",
        views.survey_open_link_poster,
        name="survey_open_link_poster",
    ),
    path(
        "survey/links/<int:pk>/deactivate/",
        views.survey_open_link_deactivate,
        name="survey_open_link_deactivate",
    ),
]
