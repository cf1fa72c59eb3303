from django.urls import path

from jiceng.insight import views_hot

urlpatterns = [
    path("", views_hot.hot_issue_list, name="hot_issue_list"),
    path("unit/<str:code>/", views_hot.hot_issue_list, name="hot_issue_list_unit"),
    path("<int:pk>/", views_hot.hot_issue_detail, name="hot_issue_detail"),
    path("<int:pk>/adopt/", views_hot.hot_issue_adopt, name="hot_issue_adopt"),
]
