"""Reads of misconduct reports, already restricted to what the actor may see."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from jiceng.conduct.misconduct_models import (
    MisconductEvent,
    MisconductKind,
    MisconductOutcome,
    MisconductReport,
    MisconductStatus,
)
from jiceng.conduct.permissions import OBSTRUCTION_LEVELS, may_view_dashboard
from jiceng.conduct.permissions_misconduct import is_inspector
from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible
from jiceng.orgs.models import OrgUnit


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def misconduct_inbox(
    *,
    actor: Actor,
    status: str = "",
    kind: str = "",
    outcome: str = "",
    unit_path: str = "",
    start: date | None = None,
    end: date | None = None,
) -> QuerySet[MisconductReport]:
    """Reports about units below the inspector's own, newest first; `unit_path` keeps to the
    reports about that unit and the units below it, `start`/`end` to those received on those
    local days (both included)."""
    reports = visible(actor, MisconductReport).select_related("accused_unit", "handling_unit")
    if status:
        reports = reports.filter(status=status)
    if kind:
        reports = reports.filter(kind=kind)
    if outcome:
        reports = reports.filter(outcome=outcome)
    if unit_path:
        reports = reports.filter(accused_path__startswith=unit_path)
    if start is not None:
        reports = reports.filter(created_at__gte=_midnight(start))
    if end is not None:
        reports = reports.filter(created_at__lt=_midnight(end + timedelta(days=1)))
    return reports.defer("contact_encrypted", "passphrase_hash", "details")


def misconduct_get(*, actor: Actor, pk: int, action: str = "view") -> MisconductReport:
    """One report the actor may act on; Http404 for missing and forbidden alike."""
    return access_object(
        actor,
        MisconductReport,
        action=action,
        queryset=MisconductReport.objects.select_related("accused_unit", "handling_unit"),
        pk=pk,
    )


def misconduct_timeline(
    *, report: MisconductReport, public_only: bool
) -> QuerySet[MisconductEvent]:
    events = report.events.select_related("author")
    return events.filter(public=True) if public_only else events


# --- counts for the conduct dashboard -------------------------------------------------------
# Where a report stands: its status, or for a concluded one its outcome.
STATES: tuple[tuple[str, str], ...] = (
    (MisconductStatus.NEW, ""),
    (MisconductStatus.ACCEPTED, ""),
    (MisconductStatus.NOT_IN_SCOPE, ""),
    (MisconductStatus.CONCLUDED, MisconductOutcome.SUBSTANTIATED),
    (MisconductStatus.CONCLUDED, MisconductOutcome.PARTLY),
    (MisconductStatus.CONCLUDED, MisconductOutcome.NOT_SUBSTANTIATED),
)


@dataclass(frozen=True)
class MisconductCounts:
    """Reports about the units strictly below a unit, received in a period: how many of each
    type and in each state, and (for inspectors only, `by_branch` is empty otherwise) how many
    about each unit one level below, by that unit's path."""

    total: int
    by_kind: dict[str, int]
    by_state: dict[tuple[str, str], int]
    for_inspector: bool
    by_branch: dict[str, int] = field(default_factory=dict)


def misconduct_counts(
    *, actor: Actor, unit: OrgUnit, start: datetime, end: datetime
) -> MisconductCounts | None:
    """Counts of the reports about the units below `unit` received in [start, end), or None
    when the actor may not have them. One query.

    Discipline inspectors count within their policy's scope (which leaves out their own unit;
    a district inspector looking at a street counts the street's reports too, as their inbox
    would list them) and get the figures by unit one level below as well. Other people allowed
    the dashboard get counts only, and only for a district, street or township: never about
    their own unit (the reports about a unit are below the unit above it) and never per unit,
    so the figures do not point at one community. Community dashboards show none: a
    community's grids are its own staff, the people who might be reported.
    """
    if not may_view_dashboard(actor, unit):
        return None
    inspector = is_inspector(actor)
    if inspector:
        reports = visible(actor, MisconductReport)
    elif unit.kind in OBSTRUCTION_LEVELS:
        # Counts only, below the actor's own unit: this read goes around the policy on purpose
        # and returns numbers, never a report.
        reports = MisconductReport.objects.all()
    else:
        return None
    rows = reports.filter(
        accused_path__startswith=unit.path, created_at__gte=start, created_at__lt=end
    ).order_by()
    if not inspector:
        rows = rows.exclude(accused_path=unit.path)
    grouped: Any
    if inspector:
        branch = Substr("accused_path", 1, len(unit.path) + OrgUnit.steplen)
        grouped = rows.values("kind", "status", "outcome", branch=branch).annotate(n=Count("pk"))
    else:  # never grouped by unit
        grouped = rows.values("kind", "status", "outcome").annotate(n=Count("pk"))
    by_kind: Counter[str] = Counter()
    by_state: Counter[tuple[str, str]] = Counter()
    by_branch: Counter[str] = Counter()
    row: Mapping[str, Any]
    for row in grouped:
        count = row["n"]
        by_kind[row["kind"]] += count
        outcome = row["outcome"] if row["status"] == MisconductStatus.CONCLUDED else ""
        by_state[(row["status"], outcome)] += count
        if inspector:
            by_branch[row["branch"]] += count
    return MisconductCounts(
        total=sum(by_kind.values()),
        by_kind={kind: by_kind[kind] for kind in MisconductKind.values},
        by_state={state: by_state[state] for state in STATES},
        for_inspector=inspector,
        by_branch=dict(by_branch),
    )
