from django.urls import URLPattern, URLResolver, path

from jiceng.support import views_care

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_care.care_list, name="care_list"),
    path("new/", views_care.care_create, name="care_create"),
    path("export/", views_care.care_export_view, name="care_export"),
    path("<int:pk>/", views_care.care_detail, name="care_detail"),
    path("<int:pk>/edit/", views_care.care_edit, name="care_edit"),
    path("<int:pk>/close/", views_care.care_close, name="care_close"),
    path("<int:pk>/visit/", views_care.care_visit_create, name="care_visit_create"),
    path("needs/<int:pk>/case/", views_care.care_need_case, name="care_need_case"),
]
