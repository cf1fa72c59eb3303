"""Reads of supervision visits and rectification items, always scoped to the actor.

`rectification_completion(unit, period)` is the one read without an actor: the evaluation asks it
for a unit's objective indicator, as the system.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from jiceng.conduct.models import (
    UNIT_STATUSES,
    Inspection,
    InspectionFinding,
    RectificationEvent,
    RectificationItem,
    RectificationStatus,
)
from jiceng.conduct.rectification_rollup import ItemState, Period, Rollup, rollup, rollup_by_unit
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.selectors import units_visible


# --- supervision visits -----------------------------------------------------------------------
def inspections_for(actor: Actor) -> QuerySet[Inspection]:
    """Visits the actor may see, newest first, with their unit and count of findings."""
    return (
        visible(actor, Inspection)
        .select_related("unit", "supervisor", "supervisor_unit")
        .annotate(finding_count=Count("findings"))
        .order_by("-visited_on", "-pk")
    )


def inspection_get(actor: Actor, *, pk: object) -> Inspection:
    return access_object(
        actor,
        Inspection,
        pk=pk,
        queryset=Inspection.objects.select_related("unit", "supervisor", "supervisor_unit"),
    )


def inspection_findings(inspection: Inspection) -> list[InspectionFinding]:
    """The findings of a visit with their photos and, as `.item`, the item each opened."""
    findings = list(inspection.findings.prefetch_related("photos"))
    items = {
        item.source_id: item
        for item in RectificationItem.objects.filter(
            source_kind="supervision", source_id__in=[finding.pk for finding in findings]
        ).select_related("owner")
    }
    for finding in findings:
        finding.item = items.get(finding.pk)  # type: ignore[attr-defined]
    return findings


def units_to_inspect(actor: Actor) -> QuerySet[OrgUnit]:
    """Active units strictly below the actor's own."""
    own = actor.unit
    if own is None:
        return OrgUnit.objects.none()
    return (
        units_visible(actor)
        .filter(path__startswith=own.path, depth__gt=own.depth, is_active=True)
        .order_by("path")
    )


def unit_members(unit: OrgUnit) -> QuerySet[User]:
    """People with an active membership in exactly `unit`: who may own its items."""
    ids = Membership.objects.active().filter(unit=unit).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "pk")


# --- rectification items ----------------------------------------------------------------------
def rectification_items(
    actor: Actor, *, unit: OrgUnit | None = None, status: str = ""
) -> QuerySet[RectificationItem]:
    """Items the actor may see: the unit's work first (open, returned), then those waiting for
    verification, then verified ones; each group by deadline."""
    items = visible(actor, RectificationItem)
    if unit is not None:
        items = items.filter(unit_path__startswith=unit.path)
    if status:
        items = items.filter(status=status)
    return (
        items.select_related("unit", "owner")
        .annotate(
            rank=Case(
                When(status__in=UNIT_STATUSES, then=Value(0)),
                When(status=RectificationStatus.REPORTED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "deadline", "pk")
    )


def rectification_get(actor: Actor, *, pk: object, action: str = "view") -> RectificationItem:
    return access_object(
        actor,
        RectificationItem,
        action=action,
        pk=pk,
        queryset=RectificationItem.objects.select_related("unit", "owner", "opened_by"),
    )


def source_visit_id(item: RectificationItem) -> int | None:
    """The supervision visit whose finding opened `item`, if one did."""
    if item.source_kind != "supervision" or item.source_id is None:
        return None
    return (
        InspectionFinding.objects.filter(pk=item.source_id)
        .values_list("inspection_id", flat=True)
        .first()
    )


def rectification_timeline(item: RectificationItem) -> QuerySet[RectificationEvent]:
    return item.events.select_related("actor", "actor_unit").prefetch_related(Prefetch("evidence"))


# --- roll-up ----------------------------------------------------------------------------------
def period_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's first moment and the moment after its last day, local time."""
    zone = timezone.get_default_timezone()
    start = datetime.combine(period.start, time.min, tzinfo=zone)
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def items_of_period(period: Period) -> QuerySet[RectificationItem]:
    """Items open at some time in the period: opened before it ended, not closed before it."""
    start, end = period_bounds(period)
    return RectificationItem.objects.filter(created_at__lt=end).filter(
        Q(closed_at=None) | Q(closed_at__gte=start)
    )


def _states(items: QuerySet[RectificationItem], now: datetime) -> list[tuple[str, ItemState]]:
    rows = items.values_list("unit_path", "weight", "progress", "status", "deadline")
    return [
        (
            path,
            ItemState(
                weight=weight,
                progress=progress,
                status=status,
                overdue=status in UNIT_STATUSES and deadline < now,
            ),
        )
        for path, weight, progress, status, deadline in rows
    ]


def rectification_completion(unit: OrgUnit, period: Period) -> Rollup:
    """The rectification progress of `unit`'s subtree over `period` (docs/SCORING.md)."""
    items = items_of_period(period).filter(unit_path__startswith=unit.path)
    return rollup(state for _path, state in _states(items, clock.now()))


def rectification_completion_by_unit(
    root: OrgUnit, unit_paths: Sequence[str], period: Period
) -> dict[str, Rollup]:
    """`rectification_completion` of each unit (by path) in `root`'s subtree, in one query.

    The evaluation reads every unit of a round at once; an item counts for every given unit at
    or above its own (`rollup_by_unit`).
    """
    items = items_of_period(period).filter(unit_path__startswith=root.path)
    return rollup_by_unit(_states(items, clock.now()), unit_paths)


def default_period(today: date) -> Period:
    """This calendar year so far."""
    return Period(date(today.year, 1, 1), today)


ROLLUP_SORTS = {
    "name": lambda row: (row[0].path,),
    "progress": lambda row: (row[1].progress is None, row[1].progress or 0, row[0].path),
    "-progress": lambda row: (row[1].progress is None, -(row[1].progress or 0), row[0].path),
    "overdue": lambda row: (-row[1].overdue, row[0].path),
}


def rectification_rollup_rows(
    actor: Actor, unit: OrgUnit, period: Period, *, sort: str = "name"
) -> tuple[Rollup, list[tuple[OrgUnit, Rollup]]]:
    """`unit`'s own roll-up and one per child unit, sorted; two queries whatever the size.

    `unit` must be one the actor may see (the view fetched it through `units_visible`).
    """
    children = list(
        units_visible(actor)
        .filter(path__startswith=unit.path, depth=unit.depth + 1)
        .order_by("path")
    )
    items = visible(actor, RectificationItem, items_of_period(period)).filter(
        unit_path__startswith=unit.path
    )
    states = _states(items, clock.now())
    per_child = rollup_by_unit(states, [child.path for child in children])
    rows = [(child, per_child[child.path]) for child in children]
    rows.sort(key=ROLLUP_SORTS.get(sort, ROLLUP_SORTS["name"]))
    return rollup(state for _path, state in states), rows
