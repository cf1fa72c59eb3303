from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from config.api import api
from jiceng.core import views as core_views
from jiceng.core.admin import admin_site

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
    path("", include("jiceng.orgs.urls")),
    path("", include("jiceng.cases.urls")),
    path("evaluation/", include("jiceng.evaluation.urls")),
    path("s/", include("jiceng.evaluation.urls_public")),
    path("support/", include("jiceng.support.urls")),
    path("v/", include("jiceng.support.urls_public")),
    path("conduct/", include("jiceng.conduct.urls")),
    path("report-conduct/", include("jiceng.conduct.urls_public")),
    path("insight/", include("jiceng.insight.urls")),
    path("library/", include("jiceng.library.urls")),
    path("api/v1/", api.urls),
    path("open311/v2/", include("jiceng.cases.open311_urls")),
    path("django-admin/", admin_site.urls),
]

handler403 = "jiceng.core.views.forbidden"
handler404 = "jiceng.core.views.not_found"
handler500 = "jiceng.core.views.server_error"
