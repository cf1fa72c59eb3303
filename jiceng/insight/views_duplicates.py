"""Residents' "已有人反映" suggestions while they type, and their "me too"."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jiceng.core import ratelimit
from jiceng.core.errors import DomainError
from jiceng.insight import duplicate_services
from jiceng.orgs.lookups import unit_by_id
from jiceng.orgs.roles import UnitKind

SUGGESTIONS_PER_WINDOW = 120  # about one lookup every 5 s for 10 minutes of typing
SUPPORTS_PER_HOUR = 20
WINDOW_SECONDS = 600
AREA_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE)


def _identity(request: HttpRequest) -> str:
    agent = request.headers.get("User-Agent", "")[:200]
    return f"{ratelimit.client_ip(request)}|{agent}"


@never_cache
@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Up to three open requests of the same street that look like what is being typed."""
    ratelimit.check(
        "insight-suggest",
        ratelimit.client_ip(request),
        limit=SUGGESTIONS_PER_WINDOW,
        window_seconds=WINDOW_SECONDS,
    )
    found: list[duplicate_services.Suggestion] = []
    try:
        area = unit_by_id(int(request.GET.get("area", "")))
    except (TypeError, ValueError):
        area = None
    if area is not None and area.is_active and area.kind in AREA_KINDS:
        found = duplicate_services.suggestions(
            area=area,
            title=request.GET.get("title", "")[:100],
            description=request.GET.get("description", "")[:4000],
        )
    return render(request, "insight/_suggestions.html", {"suggestions": found})


@require_POST
def support(request: HttpRequest) -> HttpResponse:
    """ "Me too" on a suggested request, instead of filing the same problem again."""
    ratelimit.check(
        "insight-support",
        ratelimit.client_ip(request),
        limit=SUPPORTS_PER_HOUR,
        window_seconds=3600,
    )
    try:
        duplicate_services.case_support_add(
            token=request.POST.get("token", "")[:400], identity=_identity(request)
        )
    except DomainError as error:
        return render(request, "insight/_support_done.html", {"error": error.message}, status=200)
    return render(request, "insight/_support_done.html", {"error": None})
