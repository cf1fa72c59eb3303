"""The project's URLs, plus the case import/export and dashboard pages under /staff/cases/
while `jiceng.cases.urls` does not include them yet (the list templates link to them).

Each module is mounted here only when config.urls does not already reverse its first URL name,
so once the project includes them this file adds nothing.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, URLPattern, URLResolver, include, path, reverse

PENDING = {
    "jiceng.cases.urls_transfer": "case_export",
    "jiceng.cases.urls_dashboard": "case_dashboard",
}


def _mounted(name: str) -> bool:
    try:
        reverse(name, urlconf="config.urls")
    except NoReverseMatch:
        return False
    return True


urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/cases/", include(module)) for module, name in PENDING.items() if not _mounted(name)
]
urlpatterns.append(path("", include("config.urls")))

handler403 = "jiceng.core.views.forbidden"
handler404 = "jiceng.core.views.not_found"
handler500 = "jiceng.core.views.server_error"
