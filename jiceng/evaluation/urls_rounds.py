from django.urls import path

from jiceng.evaluation import views_rounds as views

urlpatterns = [
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_edit, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/scoring/", views.round_scoring, name="round_scoring"),
    path("rounds/<int:pk>/open/", views.round_open, name="round_open"),
    path("rounds/<int:pk>/advance/", views.round_advance, name="round_advance"),
    path("rounds/<int:pk>/archive/", views.round_archive, name="round_archive"),
    path("rounds/<int:pk>/raters/", views.round_rater_add, name="round_rater_add"),
    path(
        "rounds/<int:pk>/raters/<int:rater_pk>/remove/",
        views.round_rater_remove,
        name="round_rater_remove",
    ),
    path("self/", views.self_list, name="self_list"),
    path("self/<int:pk>/", views.self_assessment, name="self_assessment"),
    path("self/<int:pk>/submit/", views.self_submit, name="self_submit"),
    path("self/<int:pk>/evidence/", views.self_evidence_add, name="self_evidence_add"),
    path("self/<int:pk>/review/", views.self_review, name="self_review"),
    path("self/<int:pk>/return/", views.self_return, name="self_return"),
    path("evidence/<int:pk>/", views.self_evidence_file, name="self_evidence_file"),
    path("evidence/<int:pk>/remove/", views.self_evidence_remove, name="self_evidence_remove"),
    path("ratings/", views.rating_worklist, name="rating_worklist"),
    path("ratings/<int:pk>/", views.rating_form, name="rating_form"),
]
