"""Reads of hot issues, scoped to the actor. Heat is computed here at read time (it decays with
time); the stored `rank` orders the same way at any moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from jiceng.cases.models import Case
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible
from jiceng.insight import hot_issues as hot
from jiceng.insight.models_hot import HotIssue, IssueOfMonth
from jiceng.insight.permissions_hot import scope_of
from jiceng.orgs.models import OrgUnit

TREND_DAYS = 14


@dataclass(frozen=True)
class HotRow:
    issue: HotIssue
    heat: float
    trend: hot.Trend
    adoption: IssueOfMonth | None

    @property
    def halves(self) -> tuple[int, int]:
        """Cases in the older and the newer week of the trend."""
        half = len(self.trend.counts) // 2
        return sum(self.trend.counts[:half]), sum(self.trend.counts[half:])

    @property
    def sparkline(self) -> str:
        """SVG polyline points of the daily counts in a 84 × 18 box."""
        return sparkline_points(self.trend.counts)


def sparkline_points(counts: tuple[int, ...], width: int = 84, height: int = 18) -> str:
    top = max(counts, default=0) or 1
    step = width / max(len(counts) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (height - 2) * n / top:.1f}" for i, n in enumerate(counts)
    )


def hot_issues_visible(actor: Actor) -> QuerySet[HotIssue]:
    return visible(actor, HotIssue)


def hot_issue_rows(actor: Actor, *, unit: OrgUnit, month: date, limit: int = 20) -> list[HotRow]:
    """The hottest issues of `month` seen from `unit` (which the caller checked the actor may
    look at), with heat and the daily trend of the last two weeks. Two queries."""
    issues = list(
        scope_of(unit, hot_issues_visible(actor))
        .filter(month=month)
        .select_related("unit", "adoption__rectification", "adoption__unit")
        .order_by("-rank", "pk")[:limit]
    )
    now = clock.now()
    return [row_of(issue, now) for issue in issues]


def row_of(issue: HotIssue, now: datetime) -> HotRow:
    last = issue.last_seen or now
    value = hot.heat(
        residents=issue.resident_count,
        support=issue.support_count,
        days_since_last=(now - last).total_seconds() / 86400,
        communities=issue.community_count,
    )
    end = min(now.date(), (issue.month + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    counts = tuple(
        int(issue.daily.get((end - timedelta(days=TREND_DAYS - 1 - i)).isoformat(), 0))
        for i in range(TREND_DAYS)
    )
    try:
        adoption = issue.adoption
    except IssueOfMonth.DoesNotExist:
        adoption = None
    return HotRow(issue, value, hot.Trend(counts, hot.direction(counts)), adoption)


def hot_issue_get(actor: Actor, *, pk: object) -> HotIssue:
    return access_object(actor, HotIssue, queryset=HotIssue.objects.select_related("unit"), pk=pk)


def hot_issue_cases(actor: Actor, issue: HotIssue) -> QuerySet[Case]:
    """The member cases the actor may see, newest first."""
    return (
        visible(actor, Case, Case.objects.filter(hot_membership__issue=issue))
        .order_by("-submitted_at", "-pk")
        .select_related("area", "category")
    )


def adoptions_of(actor: Actor, *, unit: OrgUnit) -> QuerySet[IssueOfMonth]:
    """Issues of the month adopted by streets of `unit`'s subtree (or its street)."""
    steplen = int(OrgUnit.steplen)
    prefix = unit.path[: 2 * steplen]
    issues = scope_of(unit, hot_issues_visible(actor)).values("pk")
    return (
        IssueOfMonth.objects.filter(issue__in=issues, issue__unit_path__startswith=prefix)
        .select_related("issue", "unit", "rectification")
        .order_by("-month", "unit__path")
    )
