"""Reads of care lists, scoped to the actor; and the care-visit completion metric."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible
from jiceng.orgs.models import OrgUnit
from jiceng.support import care_schedule
from jiceng.support.care_services import care_today
from jiceng.support.models.care import CareNeed, CareTarget, CareVisit
from jiceng.support.permissions_care import works_on_care

OVERDUE_BLOCK_SIZE = 5


def care_targets_visible(actor: Actor) -> QuerySet[CareTarget]:
    return visible(actor, CareTarget)


def care_target_get(actor: Actor, *, pk: object, action: str = "view") -> CareTarget:
    """One household the actor may see (and act on); 404 for missing and forbidden alike."""
    return access_object(
        actor, CareTarget, action=action, queryset=CareTarget.objects.select_related("unit"), pk=pk
    )


def care_need_get(actor: Actor, *, pk: object, action: str = "view") -> CareNeed:
    return access_object(
        actor,
        CareNeed,
        action=action,
        queryset=CareNeed.objects.select_related("visit__target__unit", "case"),
        pk=pk,
    )


@dataclass(frozen=True)
class CareFilter:
    category: str = ""
    overdue: bool = False
    closed: bool = False
    query: str = ""


def care_targets_listed(
    actor: Actor, filters: CareFilter | None = None, *, today: date | None = None
) -> QuerySet[CareTarget]:
    """The care list the actor sees, filtered; most overdue first."""
    filters = filters or CareFilter()
    queryset = care_targets_visible(actor).filter(is_active=not filters.closed)
    if filters.category:
        queryset = queryset.filter(category=filters.category)
    if filters.overdue:
        queryset = queryset.filter(next_due_on__lt=today or care_today())
    if filters.query:
        queryset = queryset.filter(name__icontains=filters.query)
    return queryset.select_related("unit").order_by("next_due_on", "pk")


def care_visits_of(actor: Actor, target: CareTarget) -> list[CareVisit]:
    """The visits of a household the actor sees, newest first, with their needs and requests."""
    return list(
        visible(actor, CareVisit)
        .filter(target=target)
        .select_related("visited_by", "recorded_by")
        .prefetch_related("needs__case")
        .order_by("-visited_on", "-pk")
    )


@dataclass(frozen=True)
class OverdueBlock:
    targets: list[CareTarget]
    more: bool
    today: date


def care_overdue_for(actor: Actor, *, today: date | None = None) -> OverdueBlock | None:
    """The households whose visit is overdue, for the actor's worklist (most overdue first).

    None when the actor does no care work. One query, of at most OVERDUE_BLOCK_SIZE + 1 rows.
    """
    if not works_on_care(actor):
        return None
    day = today or care_today()
    rows = list(
        care_targets_visible(actor)
        .filter(is_active=True, next_due_on__lt=day)
        .select_related("unit")
        .only("pk", "category", "name", "next_due_on", "unit__name")
        .order_by("next_due_on", "pk")[: OVERDUE_BLOCK_SIZE + 1]
    )
    return OverdueBlock(rows[:OVERDUE_BLOCK_SIZE], len(rows) > OVERDUE_BLOCK_SIZE, day)


def care_visit_completion(
    unit: OrgUnit, period: tuple[date, date], *, today: date | None = None
) -> tuple[int, int]:
    """(visits done on time, visits due) in `unit`'s subtree for due dates within `period`.

    Every household on the list during the period counts, by `care_schedule.completion`
    (docs/SCORING.md, "Care-visit completion"). Two queries, whatever the number of households.
    """
    return care_visit_completion_by_unit(unit, [unit.path], period, today=today)[unit.path]


def care_visit_completion_by_unit(
    root: OrgUnit,
    unit_paths: Sequence[str],
    period: tuple[date, date],
    *,
    today: date | None = None,
) -> dict[str, tuple[int, int]]:
    """`care_visit_completion` of each unit (by path) in `root`'s subtree, read together.

    Each household's numbers count for every given unit at or above its own (numerators and
    denominators add up, not rates). Two queries for all the units (the evaluation reads every
    unit of a round at once).
    """
    start, end = period
    day = today or care_today()
    result = dict.fromkeys(unit_paths, (0, 0))
    targets = list(
        CareTarget.objects.filter(unit_path__startswith=root.path)
        .exclude(closed_on__lt=start)
        .filter(first_due_on__lte=end)
        .values_list("pk", "unit_path", "frequency", "interval_days", "first_due_on", "closed_on")
    )
    if not targets:
        return result
    visits: dict[int, list[date]] = defaultdict(list)
    for target_id, visited_on in CareVisit.objects.filter(
        target__unit_path__startswith=root.path, visited_on__lte=min(day, end)
    ).values_list("target_id", "visited_on"):
        visits[target_id].append(visited_on)
    for pk, path, frequency, interval, first_due, closed_on in targets:
        schedule = care_schedule.Schedule(
            frequency=frequency, first_due=first_due, interval_days=interval
        )
        done, owed = care_schedule.completion(
            schedule, visits[pk], period=period, today=day, closed_on=closed_on
        )
        for prefix in _prefixes(path):
            if prefix in result:
                on_time, due = result[prefix]
                result[prefix] = (on_time + done, due + owed)
    return result


def _prefixes(path: str) -> list[str]:
    """The paths of the unit at `path` and of every unit above it."""
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]
