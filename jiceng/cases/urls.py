from django.urls import include, path

from jiceng.cases import views, views_config

urlpatterns = [
    path("report/", views.report, name="case_report"),
    path("report/done/", views.report_done, name="case_report_done"),
    path("track/", views.track, name="case_track"),
    path("track/<str:code>/", views.track_detail, name="case_track_detail"),
    path("staff/cases/", views.worklist, name="case_worklist"),
    path("staff/cases/queue/", views.queue, name="case_queue"),
    path("staff/cases/", include("jiceng.cases.urls_transfer")),
    path("staff/cases/", include("jiceng.cases.urls_dashboard")),
    path("staff/cases/new/", views.staff_entry, name="case_staff_entry"),
    path("staff/cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("staff/cases/<int:pk>/act/<str:action>/", views.case_act, name="case_act"),
    path(
        "staff/cases/<int:pk>/photos/<int:attachment_id>/",
        views.attachment,
        name="case_attachment",
    ),
    path("staff/notifications/", views.notifications, name="notifications"),
    path("staff/cases/categories/", views_config.category_list, name="case_categories"),
    path("staff/cases/categories/new/", views_config.category_edit, name="case_category_new"),
    path("staff/cases/categories/<int:pk>/", views_config.category_edit, name="case_category_edit"),
    path("staff/cases/templates/", views_config.template_list, name="case_templates"),
    path("staff/cases/templates/new/", views_config.template_edit, name="case_template_new"),
    path("staff/cases/templates/<int:pk>/", views_config.template_edit, name="case_template_edit"),
]
