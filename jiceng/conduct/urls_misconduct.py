from django.urls import URLPattern, URLResolver, path

from jiceng.conduct import views_misconduct as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("misconduct/", views.inbox, name="misconduct_inbox"),
    path("misconduct/<int:pk>/", views.detail, name="misconduct_detail"),
    path(
        "misconduct/<int:pk>/evidence/<int:evidence_id>/",
        views.evidence,
        name="misconduct_evidence",
    ),
]
