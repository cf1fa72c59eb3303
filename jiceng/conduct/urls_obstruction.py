from django.urls import path

from jiceng.conduct import views_obstruction

urlpatterns = [
    path("", views_obstruction.obstruction_unit, name="obstruction_unit"),
    path("<str:code>/", views_obstruction.obstruction_unit, name="obstruction_unit_code"),
]
