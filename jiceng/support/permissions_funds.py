"""Who sees and keeps a unit's funds, staff roster and equipment (one policy per model).

- Those who keep the books, rosters and inventory (SUPPORT_MANAGE) or approve spending
  (FUNDS_APPROVE) read their unit's records and those of the units below it; supervisors above
  (SUPERVISE: street supervisors, the district) read the same way.
- Writes belong to the unit itself: SUPPORT_MANAGE records entries, rosters and equipment of the
  actor's own unit only.
- Approval: FUNDS_APPROVE at the unit or above it, never by the person who recorded the entry.
- Reversal: SUPPORT_MANAGE of the unit, or FUNDS_APPROVE at or above it.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability
from jiceng.support.models import (
    Equipment,
    FundEntry,
    FundVoucher,
    StaffMember,
    TrainingRecord,
)

M = TypeVar("M", bound=Model)

READER_CAPABILITIES = (Capability.SUPPORT_MANAGE, Capability.FUNDS_APPROVE, Capability.SUPERVISE)


def reads_support(actor: Actor) -> bool:
    return actor.system or (
        actor.unit is not None and any(actor.has_capability(c) for c in READER_CAPABILITIES)
    )


def sees_unit(actor: Actor, unit: OrgUnit) -> bool:
    """Whether `actor` may read the funds, roster and equipment of `unit`."""
    if actor.system:
        return True
    return reads_support(actor) and actor.unit is not None and unit.path.startswith(actor.unit.path)


def manages_unit(actor: Actor, unit_id: int) -> bool:
    """Whether `actor` keeps the records of the unit `unit_id` (their own unit)."""
    if actor.system:
        return True
    return (
        actor.has_capability(Capability.SUPPORT_MANAGE)
        and actor.unit is not None
        and actor.unit.pk == unit_id
    )


def in_own_unit(actor: Actor, unit_id: int) -> bool:
    """Whether `actor` belongs to the unit itself (sees contact details unmasked)."""
    return actor.system or (actor.unit is not None and actor.unit.pk == unit_id)


def approves(actor: Actor, entry: FundEntry | None = None) -> bool:
    if actor.system:
        return True
    if not actor.has_capability(Capability.FUNDS_APPROVE) or actor.unit is None:
        return False
    if entry is None:
        return True
    return entry.unit_path.startswith(actor.unit.path) and (
        actor.user is None or entry.recorded_by_id != actor.user.pk
    )


class _UnitRecords(ModelPolicy[M]):
    """Rows with a `unit_path` (through `path_field`) and a `unit_id` (through `unit_field`)."""

    path_field = "unit_path"
    unit_field = "unit_id"

    def scope(self, actor: Actor, queryset: QuerySet[M]) -> QuerySet[M]:
        if actor.system:
            return queryset
        if not reads_support(actor):
            return queryset.none()
        assert actor.unit is not None
        return queryset.filter(**{f"{self.path_field}__startswith": actor.unit.path})

    def unit_id_of(self, obj: M) -> int:
        value = obj
        for part in self.unit_field.split("."):
            value = getattr(value, part)
        return int(value)  # type: ignore[call-overload]

    def can(self, actor: Actor, action: str, obj: M | None = None) -> bool:
        if action in ("view", "export"):
            return reads_support(actor)
        if action in ("create", "edit"):
            if actor.system:
                return True
            if not actor.has_capability(Capability.SUPPORT_MANAGE):
                return False
            return obj is None or manages_unit(actor, self.unit_id_of(obj))
        return False


@register(FundEntry)
class FundEntryPolicy(_UnitRecords[FundEntry]):
    def can(self, actor: Actor, action: str, obj: FundEntry | None = None) -> bool:
        if action == "approve":
            return approves(actor, obj)
        if action == "reverse":
            if actor.system:
                return True
            if obj is None:
                return actor.has_capability(Capability.SUPPORT_MANAGE) or approves(actor)
            return manages_unit(actor, obj.unit_id) or (
                approves(actor)
                and actor.unit is not None
                and obj.unit_path.startswith(actor.unit.path)
            )
        return super().can(actor, action, obj)


@register(FundVoucher)
class FundVoucherPolicy(_UnitRecords[FundVoucher]):
    path_field = "entry__unit_path"
    unit_field = "entry.unit_id"


@register(StaffMember)
class StaffMemberPolicy(_UnitRecords[StaffMember]):
    pass


@register(TrainingRecord)
class TrainingRecordPolicy(_UnitRecords[TrainingRecord]):
    path_field = "staff__unit_path"
    unit_field = "staff.unit_id"


@register(Equipment)
class EquipmentPolicy(_UnitRecords[Equipment]):
    pass
