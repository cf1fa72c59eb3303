"""The case-rate dashboard: a unit's six figures for a month, the year's trend, its peers.

Thin: parse the month and the unit, ask `rate_selectors.unit_rates`, arrange the figures for the
template and the chart script (which only draws what it is given).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jiceng.cases import rate_selectors
from jiceng.cases.permissions import CASE_READERS
from jiceng.cases.rates import Figures, Month, month_span
from jiceng.core.actors import Actor
from jiceng.orgs.selectors import unit_ancestors_visible
from jiceng.orgs.views import staff_required

# The oldest month the picker accepts; the platform holds nothing older.
EARLIEST_MONTH = Month(2000, 1)
# What jiceng.orgs.models.unit_code_validator accepts.
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")

# (key, label, what it counts): the order of the cards and table columns.
FIGURES: list[tuple[str, Any, Any]] = [
    (
        "response",
        gettext_lazy("Response rate"),
        gettext_lazy("Requests accepted by their response deadline, of those due a response."),
    ),
    (
        "resolution",
        gettext_lazy("Resolution rate"),
        gettext_lazy("Residents' answers “solved” or “partly solved”, of all answers."),
    ),
    (
        "satisfaction",
        gettext_lazy("Satisfaction rate"),
        gettext_lazy("Ratings “satisfied” or “very satisfied”, of all ratings."),
    ),
    (
        "on_time",
        gettext_lazy("On-time resolution rate"),
        gettext_lazy("Requests resolved by their deadline, of all resolved."),
    ),
    (
        "handling",
        gettext_lazy("Median handling time"),
        gettext_lazy("Hours from submission to resolution; half the requests took less."),
    ),
    (
        "no_feedback",
        gettext_lazy("Closed without feedback"),
        gettext_lazy("Requests closed because the resident did not answer in time, of all closed."),
    ),
]
TREND_FIGURES = ("response", "resolution", "satisfaction", "on_time")


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _chosen_month(request: HttpRequest, this_month: Month) -> Month:
    """`?month=YYYY-MM`, else the current month; bad input falls back with a message."""
    raw = request.GET.get("month", "").strip()
    if not raw:
        return this_month
    try:
        month = Month.parse(raw[:20])
    except ValueError:
        messages.warning(
            request,
            _("Enter the month as YYYY-MM, for example %(example)s. The current month is shown.")
            % {"example": str(this_month)},
        )
        return this_month
    if month > this_month:
        messages.warning(request, _("That month has not come yet. The current month is shown."))
        return this_month
    if month < EARLIEST_MONTH:
        messages.warning(
            request,
            _("There are no figures before %(month)s. The current month is shown.")
            % {"month": str(EARLIEST_MONTH)},
        )
        return this_month
    return month


def _cells(figures: Figures, keys: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The figures in table order, each with whether it is a median (hours) or a rate."""
    return [
        {"key": key, "median": key == "handling", "figure": getattr(figures, key)}
        for key, _label, _help in FIGURES
        if keys is None or key in keys
    ]


def _chart_series(rows: list[Figures]) -> list[dict[str, Any]]:
    labels = {key: str(label) for key, label, _help in FIGURES}
    return [
        {"key": key, "name": labels[key], "data": [getattr(row, key).percent for row in rows]}
        for key in TREND_FIGURES
    ]


@staff_required
@require_GET
def dashboard(request: HttpRequest, code: str | None = None) -> HttpResponse:
    actor = _actor(request)
    if not any(actor.has_capability(capability) for capability in CASE_READERS):
        raise PermissionDenied
    this_month = rate_selectors.current_month()
    month = _chosen_month(request, this_month)
    code = code or request.GET.get("unit", "").strip() or None
    if code is not None and not UNIT_CODE.fullmatch(code):
        raise Http404()  # not a unit code at all (too long, a NUL byte …): no query needed
    # The median handling time is shown for the chosen month only (the trend leaves it out).
    report = rate_selectors.unit_rates(
        actor, code=code, months=month_span(month, 12), medians=[month]
    )
    unit = report.unit

    current = report.total.months[month]
    peers = [
        {
            "unit": peer.unit,
            "is_self": peer.unit.pk == unit.pk,
            "cells": _cells(peer.months[month]),
        }
        for peer in report.peers
    ]
    own_cells = _cells(report.own.months[month])
    trend = [report.total.months[m] for m in report.months]
    comparison_rows = [peer.months[month] for peer in report.peers]
    comparison_names = [peer.unit.name for peer in report.peers]
    if report.peers_are == rate_selectors.Peers.CHILDREN:
        comparison_rows.insert(0, report.own.months[month])
        comparison_names.insert(0, _("%(unit)s (itself)") % {"unit": unit.name})
    data = {
        "noData": _("no data"),
        "trend": {
            "categories": [str(m) for m in report.months],
            "series": _chart_series(trend),
        },
        "comparison": {"categories": comparison_names, "series": _chart_series(comparison_rows)},
    }
    context = {
        "unit": unit,
        "month": month,
        "this_month": this_month,
        "previous_month": month.previous() if month > EARLIEST_MONTH else None,
        "next_month": month.next() if month < this_month else None,
        "unit_chosen": unit.pk != getattr(actor.unit, "pk", None),
        "breadcrumbs": unit_ancestors_visible(actor, unit),
        "cards": [
            {"key": key, "label": label, "help": help_text, "figure": getattr(current, key)}
            for key, label, help_text in FIGURES
        ],
        "headings": FIGURES,
        "trend_headings": [row for row in FIGURES if row[0] in TREND_FIGURES],
        "trend_rows": [
            {"month": m, "cells": _cells(report.total.months[m], TREND_FIGURES)}
            for m in report.months
        ],
        "peers": peers,
        "peers_are": report.peers_are,
        "own_cells": own_cells if report.peers_are == rate_selectors.Peers.CHILDREN else None,
        "data": data,
    }
    return render(request, "cases/dashboard.html", context)
