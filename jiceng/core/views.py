from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from jiceng.core.errors import problem_response
from jiceng.core.middleware import wants_json

VERSION = "0.1.0"


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "core/landing.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse(
            {"status": "error", "database": "unavailable", "version": VERSION}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor, "version": VERSION})


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if wants_json(request):
        codes = {403: "forbidden", 404: "not_found", 500: "server_error"}
        return problem_response(request, status=status, title=message, code=codes[status])
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("You do not have permission to see this page."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("The page you asked for does not exist, or is not yours to see."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Something went wrong on our side. It has been logged; please try again later."),
    )
