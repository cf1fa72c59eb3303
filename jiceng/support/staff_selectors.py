"""Reads of rosters and equipment, restricted to what the actor may see.

`staff_ratio` is also what evaluation schemes use as an objective metric.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from jiceng.core import clock
from jiceng.core.actors import SYSTEM, Actor
from jiceng.core.permissions import access_object, visible
from jiceng.core.privacy import mask_phone
from jiceng.orgs.models import OrgUnit
from jiceng.support.models import (
    Employment,
    Equipment,
    EquipmentCondition,
    StaffMember,
    TrainingRecord,
)
from jiceng.support.permissions_funds import in_own_unit, sees_unit

RATIO_PLACES = Decimal("0.01")


def shown_phone(actor: Actor, staff: StaffMember) -> str:
    """The contact phone as `actor` may see it: in full inside the unit, masked outside it."""
    if not staff.phone or in_own_unit(actor, staff.unit_id):
        return staff.phone
    return mask_phone(staff.phone)


def staff_list(actor: Actor, *, unit: OrgUnit, include_left: bool = False) -> QuerySet[StaffMember]:
    rows = visible(actor, StaffMember).filter(unit=unit)
    if not include_left:
        rows = rows.filter(left_on__isnull=True)
    return rows.annotate(
        training_hours=Sum("trainings__hours"), training_count=Count("trainings")
    ).order_by("left_on", "name", "pk")


def staff_get(actor: Actor, *, pk: int, action: str = "view") -> StaffMember:
    return access_object(
        actor,
        StaffMember,
        action=action,
        queryset=StaffMember.objects.select_related("unit"),
        pk=pk,
    )


def staff_trainings(actor: Actor, *, staff: StaffMember) -> QuerySet[TrainingRecord]:
    return visible(actor, TrainingRecord).filter(staff=staff).order_by("-date", "-pk")


@dataclass(frozen=True)
class StaffRatio:
    staff: int
    full_time: int
    population: int

    @property
    def per_thousand(self) -> Decimal | None:
        """Active staff per 1,000 residents served; None when the population is not known."""
        if self.population <= 0:
            return None
        return (Decimal(self.staff) * 1000 / self.population).quantize(
            RATIO_PLACES, rounding=ROUND_HALF_UP
        )


def staff_ratio(unit: OrgUnit, *, actor: Actor = SYSTEM) -> StaffRatio:
    """Active staff of the unit and the units below it against the unit's population. One query."""
    if not sees_unit(actor, unit):
        raise Http404()
    counts = StaffMember.objects.filter(
        unit_path__startswith=unit.path, left_on__isnull=True
    ).aggregate(staff=Count("pk"), full_time=Count("pk", filter=Q(employment=Employment.FULL_TIME)))
    return StaffRatio(
        staff=counts["staff"] or 0, full_time=counts["full_time"] or 0, population=unit.population
    )


def staff_ratios(root: OrgUnit, units: Sequence[OrgUnit]) -> dict[int, StaffRatio]:
    """`staff_ratio` of each of `units` (all in `root`'s subtree), read as the system.

    One grouped query for them all: active staff counted per unit path, each unit adding those
    at or below it (the evaluation reads every unit of a round at once).
    """
    rows = (
        StaffMember.objects.filter(unit_path__startswith=root.path, left_on__isnull=True)
        .values("unit_path")
        .annotate(
            staff=Count("pk"), full_time=Count("pk", filter=Q(employment=Employment.FULL_TIME))
        )
        .order_by()
    )
    by_path = {unit.path: unit for unit in units}
    counts = {unit.pk: [0, 0] for unit in units}
    step = OrgUnit.steplen
    for row in rows:
        path = row["unit_path"]
        for end in range(step, len(path) + 1, step):
            unit = by_path.get(path[:end])
            if unit is not None:
                counts[unit.pk][0] += row["staff"]
                counts[unit.pk][1] += row["full_time"]
    return {
        unit.pk: StaffRatio(
            staff=counts[unit.pk][0], full_time=counts[unit.pk][1], population=unit.population
        )
        for unit in units
    }


def today() -> date:
    return timezone.localdate(clock.now())


def overdue_q(on: date) -> Q:
    return Q(next_check_due__lt=on) & ~Q(condition=EquipmentCondition.RETIRED)


def equipment_list(
    actor: Actor, *, unit: OrgUnit, overdue_only: bool = False
) -> QuerySet[Equipment]:
    rows = visible(actor, Equipment).filter(unit=unit)
    if overdue_only:
        rows = rows.filter(overdue_q(today()))
    return rows.order_by("name", "pk")


def equipment_overdue_count(actor: Actor, *, unit: OrgUnit) -> int:
    return visible(actor, Equipment).filter(unit=unit).filter(overdue_q(today())).count()


def equipment_get(actor: Actor, *, pk: int, action: str = "view") -> Equipment:
    return access_object(
        actor, Equipment, action=action, queryset=Equipment.objects.select_related("unit"), pk=pk
    )


def readable_unit(actor: Actor, unit: OrgUnit) -> bool:
    return sees_unit(actor, unit)
