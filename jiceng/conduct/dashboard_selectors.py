"""The conduct dashboard (作风看板): one level's overdue and escalated requests, obstruction index,
perfunctory-reply share and misconduct counts, per unit one level below, over a period.

Every figure is read for the actor (`conduct_dashboard(actor=…)`): the requests through the case
policy, the obstruction index only where the actor may see the obstruction page, misconduct
reports through `misconduct_selectors.misconduct_counts`. A fixed number of queries whatever the
number of units, requests, replies or reports: the unit and the units one level below, one
grouped count of requests, one of reply scores (grouped by path prefix, as the requests are), one
of reports, and the obstruction read (two queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from jiceng.cases.models import IS_OPEN, Case, Status
from jiceng.conduct.misconduct_selectors import MisconductCounts, misconduct_counts
from jiceng.conduct.obstruction_selectors import check_period, obstruction_indexes_for
from jiceng.conduct.permissions import may_view_dashboard, supervises_cases
from jiceng.conduct.rectification_rollup import Period
from jiceng.conduct.reply_quality_models import ReplyScore
from jiceng.conduct.reply_quality_selectors import perfunctory_share
from jiceng.conduct.selectors import period_bounds
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.permissions import visible
from jiceng.orgs.models import OrgUnit


@dataclass(frozen=True)
class Row:
    """One unit one level below (or, with `itself`, what the dashboard's unit holds itself)."""

    unit: OrgUnit
    itself: bool = False
    overdue: int = 0  # open requests held in its subtree past a deadline, now
    escalated: int = 0  # requests submitted in the period, held in its subtree, escalated
    obstruction: float | None = None  # the unit's own obstruction index; None: too few cases
    perfunctory: int = 0  # perfunctory resolution replies of its subtree in the period
    scored: int = 0  # scored resolution replies of its subtree in the period
    misconduct: int | None = None  # reports about its subtree (inspectors only)


@dataclass(frozen=True)
class Dashboard:
    unit: OrgUnit
    period: Period
    now: datetime
    cases: bool  # whether the actor reads the request figures (supervisors)
    obstruction: bool  # whether the obstruction index is shown (streets and the district)
    rows: list[Row]
    total: Row
    misconduct: MisconductCounts | None


def dashboard_unit_for(*, actor: Actor, code: str | None = None) -> OrgUnit:
    """The unit whose dashboard the actor asked for (their own without a code); Http404 when it
    does not exist or the actor may not see it, alike."""
    if code is None:
        unit = actor.unit
    elif "\x00" in code or len(code) > 32:
        unit = None
    else:
        unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not may_view_dashboard(actor, unit):
        raise Http404()
    return unit


def conduct_dashboard(*, actor: Actor, unit: OrgUnit, period: Period) -> Dashboard:
    """The dashboard of `unit` (which the actor may see: `dashboard_unit_for`) over `period`."""
    if not may_view_dashboard(actor, unit):
        raise Http404()
    check_period(period)
    start, end = period_bounds(period)
    now = clock.now()
    units = list(
        OrgUnit.objects.filter(path__startswith=unit.path, depth__lte=unit.depth + 1)
        .order_by("path")
        .only("pk", "code", "name", "kind", "path", "depth", "is_active")
    )
    children = [u for u in units if u.depth == unit.depth + 1]
    shows_cases = supervises_cases(actor)

    overdue: dict[str, int] = {}
    escalated: dict[str, int] = {}
    perfunctory: dict[str, tuple[int, int]] = {}
    indexes: dict[int, float | None] | None = None
    if shows_cases:
        late = IS_OPEN & (Q(resolve_by__lt=now) | Q(status=Status.SUBMITTED, respond_by__lt=now))
        raised = Q(escalation_count__gt=0, submitted_at__gte=start, submitted_at__lt=end)
        grouped = (
            visible(actor, Case)
            .filter(current_path__startswith=unit.path)
            .filter(late | raised)
            .order_by()
            .values(branch=Substr("current_path", 1, len(unit.path) + OrgUnit.steplen))
            .annotate(overdue=Count("pk", filter=late), escalated=Count("pk", filter=raised))
        )
        for counted in grouped:
            overdue[counted["branch"]] = counted["overdue"]
            escalated[counted["branch"]] = counted["escalated"]
        # Reply scores carry the replying unit; its path says which branch it belongs to.
        perfunctory = perfunctory_share(
            path=unit.path, branch_length=len(unit.path) + OrgUnit.steplen, start=start, end=end
        )
        indexes = obstruction_indexes_for(actor=actor, unit=unit, period=period)

    counts = misconduct_counts(actor=actor, unit=unit, start=start, end=end)
    by_branch = counts.by_branch if counts is not None and counts.for_inspector else None

    def row(target: OrgUnit, itself: bool = False) -> Row:
        key = target.path
        bad, scored = perfunctory.get(key, (0, 0))
        return Row(
            unit=target,
            itself=itself,
            overdue=overdue.get(key, 0),
            escalated=escalated.get(key, 0),
            obstruction=indexes.get(target.pk) if indexes is not None else None,
            perfunctory=bad,
            scored=scored,
            misconduct=None if by_branch is None or itself else by_branch.get(key, 0),
        )

    rows = [row(child) for child in children]
    own = row(unit, itself=True)
    all_bad = sum(b for b, _s in perfunctory.values())
    all_scored = sum(s for _b, s in perfunctory.values())
    total = Row(
        unit=unit,
        overdue=sum(overdue.values()),
        escalated=sum(escalated.values()),
        perfunctory=all_bad,
        scored=all_scored,
        misconduct=counts.total if counts is not None else None,
    )
    if own.overdue or own.escalated or own.scored or own.obstruction is not None:
        rows.append(own)
    return Dashboard(
        unit=unit,
        period=period,
        now=timezone.localtime(now),
        cases=shows_cases,
        obstruction=indexes is not None,
        rows=rows,
        total=total,
        misconduct=counts,
    )


def perfunctory_replies(*, actor: Actor, unit: OrgUnit, period: Period) -> QuerySet[ReplyScore]:
    """The perfunctory resolution replies behind the dashboard's share: replies given by `unit`
    or a unit below it in `period`, on requests the actor may see, newest first."""
    if not may_view_dashboard(actor, unit) or not supervises_cases(actor):
        raise Http404()
    check_period(period)
    start, end = period_bounds(period)
    return (
        ReplyScore.objects.filter(
            perfunctory=True,
            unit__path__startswith=unit.path,
            replied_at__gte=start,
            replied_at__lt=end,
            reply__case__in=visible(actor, Case).values("pk"),
        )
        .select_related("unit", "reply__case")
        .order_by("-replied_at", "-pk")
    )
