"""Reads for obstruction analytics: case-event rows out of the database, into `obstruction`.

Scope: the cases submitted in the period whose area lies in the unit's subtree (`area_path`) or
that were sent to a unit of the subtree, with all their events up to the end of the period.
Two queries whatever the number of cases: the event rows (one join of `CaseEvent` on `Case`,
a range scan of `case_submitted_idx`, then `caseevent_case_idx`, with a subquery for the cases
sent into the subtree) and the names of the units involved. Periods are capped at `MAX_DAYS`.
Dwell is measured in working hours of the deployment's calendar (`jiceng.core.calendar`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from jiceng.cases.models import CaseEvent
from jiceng.conduct import obstruction
from jiceng.conduct.obstruction import Analysis, EventRow, Ranked
from jiceng.conduct.permissions import may_view_obstruction
from jiceng.conduct.rectification_rollup import Period
from jiceng.conduct.selectors import period_bounds
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import DomainError
from jiceng.orgs.models import OrgUnit

MAX_DAYS = 366


@dataclass(frozen=True)
class UnitRef:
    pk: int
    code: str
    name: str
    path: str
    kind: str


@dataclass(frozen=True)
class Report:
    unit: OrgUnit
    period: Period
    analysis: Analysis
    units: dict[int, UnitRef]  # every unit that appears in the rows
    ranked: list[Ranked]  # units of the subtree only
    case_codes: dict[int, str]  # case id → tracking code


def check_period(period: Period) -> None:
    if (period.end - period.start).days + 1 > MAX_DAYS:
        raise DomainError(
            _("Ask for at most %(count)d days at a time.") % {"count": MAX_DAYS}, field="start"
        )


def event_rows(unit: OrgUnit, period: Period) -> tuple[list[EventRow], dict[int, str], datetime]:
    """The event rows of the scope, the tracking codes of its cases and the end of the period
    (or now, if earlier)."""
    check_period(period)
    start, end = period_bounds(period)
    until = min(end, clock.now())
    received = CaseEvent.objects.filter(
        to_unit__path__startswith=unit.path,
        case__submitted_at__gte=start,
        case__submitted_at__lt=end,
    ).values("case_id")
    rows = (
        CaseEvent.objects.filter(
            Q(case__area_path__startswith=unit.path) | Q(case_id__in=received),
            case__submitted_at__gte=start,
            case__submitted_at__lt=end,
            created_at__lt=end,
        )
        .order_by()
        .values_list(
            "case_id",
            "created_at",
            "kind",
            "from_unit_id",
            "to_unit_id",
            "status_after",
            "case__tracking_code",
        )
    )
    events: list[EventRow] = []
    codes: dict[int, str] = {}
    for case_id, at, kind, frm, to, status, code in rows:
        events.append(EventRow(case_id, at, kind, frm, to, status))
        codes[case_id] = code
    return events, codes, until


def working_hours(start: datetime, end: datetime) -> float:
    return get_calendar().working_time_between(start, end) / timedelta(hours=1)


def default_stall_hours() -> float:
    """Two working days of the deployment's calendar (14 hours with the default periods)."""
    return 2 * get_calendar().day_length / timedelta(hours=1)


def obstruction_report(
    unit: OrgUnit,
    period: Period,
    *,
    min_cases: int = obstruction.DEFAULT_MIN_CASES,
    stall_hours: float | None = None,
) -> Report:
    """Analytics of `unit`'s subtree over `period`, for jobs and the evaluation (no actor);
    pages use `obstruction_report_for`, which checks the actor may see them."""
    rows, codes, until = event_rows(unit, period)
    analysis = obstruction.analyse(
        rows, until=until, hours=working_hours, stall_hours=stall_hours or default_stall_hours()
    )
    ids = set(analysis.units) | {u for pair in analysis.flows for u in pair}
    units = {
        pk: UnitRef(pk, code, name, path, kind)
        for pk, code, name, path, kind in OrgUnit.objects.filter(Q(pk__in=ids)).values_list(
            "pk", "code", "name", "path", "kind"
        )
    }
    inside = Analysis(
        units={
            pk: stats
            for pk, stats in analysis.units.items()
            if pk in units and units[pk].path.startswith(unit.path)
        },
        flows={},
        chains=set(),
        bounces={},
    )
    ranked = obstruction.ranking(inside, min_cases=min_cases)
    return Report(unit, period, analysis, units, ranked, codes)


def obstruction_unit_for(*, actor: Actor, code: str | None = None) -> OrgUnit:
    """The unit whose obstruction analytics the actor asked for (their own without a code);
    Http404 for a unit that does not exist and for one the actor may not analyse alike."""
    if code is None:
        unit = actor.unit
    elif "\x00" in code or len(code) > 32:
        unit = None
    else:
        unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not may_view_obstruction(actor, unit):
        raise Http404()
    return unit


def obstruction_report_for(
    *, actor: Actor, unit: OrgUnit, period: Period, min_cases: int = obstruction.DEFAULT_MIN_CASES
) -> Report:
    """`obstruction_report` for a person: checks the permission (`may_view_obstruction`) first,
    so a view cannot forget it; Http404 when the actor may not see the unit's analytics."""
    if not may_view_obstruction(actor, unit):
        raise Http404()
    return obstruction_report(unit, period, min_cases=min_cases)


def obstruction_indexes_for(
    *, actor: Actor, unit: OrgUnit, period: Period
) -> dict[int, float | None] | None:
    """`obstruction_index_by_unit` of `unit` for a person, or None when the actor may not see
    its obstruction analytics (a community, or an actor without the capability)."""
    if not may_view_obstruction(actor, unit):
        return None
    return obstruction_index_by_unit(unit, period)


def obstruction_index(unit: OrgUnit, period: Period) -> float | None:
    """The unit's obstruction index (0–100) over the cases of its subtree in `period`, or None
    with too few cases. For the evaluation's objective metrics."""
    rows, _codes, until = event_rows(unit, period)
    analysis = obstruction.analyse(
        rows, until=until, hours=working_hours, stall_hours=default_stall_hours()
    )
    stats = analysis.units.get(unit.pk)
    return obstruction.obstruction_index(stats) if stats else None


def obstruction_index_by_unit(root: OrgUnit, period: Period) -> dict[int, float | None]:
    """`obstruction_index`-like figures of every unit that held a case of `root`'s subtree, by
    unit id, from one read: for an evaluation round that scores many units at once. A unit's
    figure covers the cases of `root`'s scope it held (for a unit below `root`, cases that came
    from outside `root`'s scope are not counted)."""
    rows, _codes, until = event_rows(root, period)
    analysis = obstruction.analyse(
        rows, until=until, hours=working_hours, stall_hours=default_stall_hours()
    )
    return {pk: obstruction.obstruction_index(stats) for pk, stats in analysis.units.items()}
