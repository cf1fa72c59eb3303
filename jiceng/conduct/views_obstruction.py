"""The obstruction page (中梗阻): where cases get stuck below a street or district. Thin."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.models import Status
from jiceng.conduct import obstruction
from jiceng.conduct.obstruction_selectors import (
    MAX_DAYS,
    obstruction_report_for,
    obstruction_unit_for,
)
from jiceng.conduct.permissions import OBSTRUCTION_LEVELS
from jiceng.conduct.rectification_rollup import Period
from jiceng.core.actors import Actor
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.views import staff_required

PAGE_SIZE = 25
LEVELS = OBSTRUCTION_LEVELS
SORTS = {
    "index": gettext_lazy("Obstruction index"),
    "dwell": gettext_lazy("Mean dwell"),
    "stalled": gettext_lazy("Stalled cases"),
    "bounced": gettext_lazy("Bounced cases"),
    "cases": gettext_lazy("Cases held"),
}


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"), choices=list(SORTS.items()), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The period must not end before it starts."))
            if (end - start).days + 1 > MAX_DAYS:
                raise ValidationError(
                    _("Choose a period of at most %(count)d days.") % {"count": MAX_DAYS}
                )
        return data


def _sort_key(name: str) -> Any:
    if name == "dwell":
        return lambda r: -r.stats.mean_dwell
    if name == "stalled":
        return lambda r: -len(r.stats.stalled)
    if name == "bounced":
        return lambda r: -len(r.stats.bounced_in)
    if name == "cases":
        return lambda r: -r.stats.case_count
    return lambda r: (r.rank is None, r.rank or 0)


def _step(step: tuple[str, float] | None) -> tuple[str, float] | None:
    if step is None:
        return None
    status, hours = step
    label = str(Status(status).label) if status in Status.values else status
    return label, hours


@staff_required
def obstruction_unit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    unit = obstruction_unit_for(actor=actor, code=code)
    today = timezone.localdate()
    default = Period(today - timedelta(days=89), today)
    form = PeriodForm(
        request.GET if "start" in request.GET else None,
        initial={"start": default.start, "end": default.end, "sort": "index"},
    )
    valid = form.is_bound and form.is_valid()
    period = Period(form.cleaned_data["start"], form.cleaned_data["end"]) if valid else default
    sort = (form.cleaned_data.get("sort") or "index") if valid else "index"
    report = obstruction_report_for(actor=actor, unit=unit, period=period)
    ranked = sorted(report.ranked, key=_sort_key(sort))
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    rows = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    names = {pk: ref.name for pk, ref in report.units.items()}
    codes = report.case_codes

    def cases(ids: set[int]) -> list[tuple[int, str]]:
        return sorted((pk, codes.get(pk, str(pk))) for pk in ids)[:20]

    table = [
        {
            "rank": entry.rank,
            "index": entry.index,
            "unit": report.units[entry.stats.unit],
            "drill": report.units[entry.stats.unit].kind in LEVELS and entry.stats.unit != unit.pk,
            "stats": entry.stats,
            "mean_dwell": entry.stats.mean_dwell,
            "slowest": _step(entry.stats.slowest_step),
            "reopen_rate": entry.stats.reopen_rate,
            "stalled": cases(entry.stats.stalled),
            "bounced": cases(entry.stats.bounced_in),
        }
        for entry in rows
    ]
    below = OrgUnit.objects.filter(
        path__startswith=unit.path, depth=unit.depth + 1, kind__in=LEVELS
    ).order_by("path")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "conduct/obstruction_unit.html",
        {
            "unit": unit,
            "below": below,
            "form": form,
            "period": period,
            "table": table,
            "page": page,
            "has_next": len(ranked) > page * PAGE_SIZE,
            "query": query.urlencode(),
            "chains": cases(report.analysis.chains),
            "min_cases": obstruction.DEFAULT_MIN_CASES,
            "chart": {
                "sankey": obstruction.sankey(report.analysis.flows, names),
                "empty": _("No case moved between units in this period."),
            },
        },
    )
