"""The conduct dashboard (作风看板) of a level, and the perfunctory replies behind its share.

Thin: parse the unit and the period, ask `dashboard_selectors`, attach to every figure the link
to the list behind it (the case list filtered, the obstruction page, the perfunctory replies, the
inspectors' inbox), render.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from jiceng.conduct import dashboard_selectors as selectors
from jiceng.conduct.misconduct_models import MisconductKind, MisconductOutcome, MisconductStatus
from jiceng.conduct.permissions import DASHBOARD_LEVELS, OBSTRUCTION_LEVELS
from jiceng.conduct.rectification_rollup import Period
from jiceng.conduct.reply_quality_models import ReplyFlag
from jiceng.conduct.views_obstruction import PeriodForm
from jiceng.core.actors import Actor
from jiceng.core.pagination import paginate
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.views import staff_required

DEFAULT_DAYS = 90


class DashboardPeriodForm(PeriodForm):
    sort = None  # type: ignore[assignment]


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _period(request: HttpRequest) -> tuple[DashboardPeriodForm, Period]:
    today = timezone.localdate()
    default = Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
    form = DashboardPeriodForm(
        request.GET if "start" in request.GET else None,
        initial={"start": default.start, "end": default.end},
    )
    if form.is_bound and form.is_valid():
        return form, Period(form.cleaned_data["start"], form.cleaned_data["end"])
    return form, default


def _link(name: str, args: list[str] | None = None, /, **query: str) -> str:
    return reverse(name, args=args) + "?" + urlencode(query)


@staff_required
@require_GET
def dashboard(request: HttpRequest, code: str | None = None) -> HttpResponse:
    actor = _actor(request)
    unit = selectors.dashboard_unit_for(actor=actor, code=code)
    form, period = _period(request)
    board = selectors.conduct_dashboard(actor=actor, unit=unit, period=period)
    dates = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    submitted = {"submitted_from": dates["start"], "submitted_to": dates["end"]}

    def links(row: selectors.Row) -> dict[str, str]:
        target: OrgUnit = row.unit
        found: dict[str, str] = {}
        if board.cases:
            found["overdue"] = _link("case_queue", unit=target.code, overdue="1")
            found["escalated"] = _link("case_queue", unit=target.code, escalated="1", **submitted)
            found["perfunctory"] = _link("conduct_perfunctory", [target.code], **dates)
        if board.obstruction:
            page = target if target.kind in OBSTRUCTION_LEVELS and not row.itself else unit
            found["obstruction"] = _link("obstruction_unit_code", [page.code], **dates)
        if board.misconduct is not None and board.misconduct.for_inspector and not row.itself:
            found["misconduct"] = _link("misconduct_inbox", unit=target.code, **dates)
        if target.kind in DASHBOARD_LEVELS and target.pk != unit.pk:
            found["dashboard"] = _link("conduct_dashboard_unit", [target.code], **dates)
        return found

    rows = [{"row": row, "links": links(row)} for row in board.rows]
    total = {"row": board.total, "links": links(board.total)}
    misconduct: dict[str, Any] | None = None
    if board.misconduct is not None:
        counts = board.misconduct
        inbox = counts.for_inspector

        def inbox_link(**query: str) -> str:
            return _link("misconduct_inbox", unit=unit.code, **query, **dates) if inbox else ""

        misconduct = {
            "counts": counts,
            "inbox": inbox_link(),
            "by_kind": [
                (label, counts.by_kind[value], inbox_link(kind=value))
                for value, label in MisconductKind.choices
            ],
            "by_state": [
                (
                    MisconductOutcome(outcome).label if outcome else MisconductStatus(status).label,
                    count,
                    inbox_link(status=status, outcome=outcome)
                    if outcome
                    else inbox_link(status=status),
                )
                for (status, outcome), count in counts.by_state.items()
            ],
        }
    context = {
        "unit": unit,
        "board": board,
        "form": form,
        "period": period,
        "rows": rows,
        "total": total,
        "misconduct": misconduct,
        "community": unit.kind not in OBSTRUCTION_LEVELS,
        "up": _link("conduct_dashboard_unit", [actor.unit.code], **dates)
        if actor.unit is not None and actor.unit.pk != unit.pk
        else "",
    }
    return render(request, "conduct/dashboard.html", context)


@staff_required
@require_GET
def perfunctory(request: HttpRequest, code: str) -> HttpResponse:
    actor = _actor(request)
    unit = selectors.dashboard_unit_for(actor=actor, code=code)
    form, period = _period(request)
    page = paginate(request, selectors.perfunctory_replies(actor=actor, unit=unit, period=period))
    labels = dict(ReplyFlag.choices)
    rows = [
        {"score": score, "flags": [labels.get(flag, flag) for flag in score.flags or ()]}
        for score in page
    ]
    return render(
        request,
        "conduct/dashboard_perfunctory.html",
        {
            "unit": unit,
            "form": form,
            "period": period,
            "page": page,
            "rows": rows,
            "back": _link(
                "conduct_dashboard_unit",
                [unit.code],
                start=period.start.isoformat(),
                end=period.end.isoformat(),
            ),
        },
    )
