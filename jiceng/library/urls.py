from django.urls import URLPattern, URLResolver, path

from jiceng.library import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.search, name="library_search"),
    path("new/", views.upload, name="library_upload"),
    path("review/", views.review_queue, name="library_review_queue"),
    path("review/<int:pk>/", views.review, name="library_review"),
    path("disputes/", views.disputes, name="library_disputes"),
    path("disputes/lookup/", views.dispute_lookup, name="library_dispute_lookup"),
    path("disputes/<int:pk>/", views.dispute_detail, name="library_dispute_detail"),
    path("cases/<int:case_pk>/cite/", views.case_cite, name="library_case_cite"),
    path("<int:pk>/", views.document, name="library_document"),
    path("<int:pk>/edit/", views.edit, name="library_edit"),
    path("<int:pk>/versions/", views.versions, name="library_versions"),
    path("<int:pk>/files/<int:attachment>/", views.download, name="library_download"),
    path("<int:pk>/copyright/", views.dispute, name="library_dispute"),
    path("<int:pk>/cite/", views.cite, name="library_cite"),
]
