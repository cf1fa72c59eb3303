"""Who sees and does what in service conduct (one policy per model).

Supervision and rectification: the unit's staff see the items and visits of their unit (and of
units below it); supervisors see their whole subtree. Staff of the item's own unit who record
support work report progress; supervisors of a unit strictly above it record visits and verify or
return items. Everyone else, siblings included, sees nothing (404).
"""

from __future__ import annotations

from django.db.models import QuerySet

from jiceng.conduct.models import Inspection, RectificationItem
from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability, Role, UnitKind

READERS = (Capability.SUPERVISE, Capability.SUPPORT_RECORD, Capability.SUPPORT_MANAGE)


def reads_conduct(actor: Actor) -> bool:
    return actor.unit is not None and any(actor.has_capability(c) for c in READERS)


def is_below(actor: Actor, unit_path: str) -> bool:
    """`unit_path` lies strictly below the actor's unit."""
    own = actor.unit
    return own is not None and unit_path.startswith(own.path) and unit_path != own.path


def may_inspect(actor: Actor, unit: OrgUnit) -> bool:
    """Supervisors (SUPERVISE) visit units strictly below their own."""
    return actor.system or (
        actor.has_capability(Capability.SUPERVISE) and is_below(actor, unit.path)
    )


def may_report(actor: Actor, item: RectificationItem) -> bool:
    """Staff of the item's own unit who record support work (SUPPORT_RECORD)."""
    if actor.system:
        return True
    own = actor.unit
    return (
        own is not None
        and actor.has_capability(Capability.SUPPORT_RECORD)
        and (own.pk == item.unit_id)
    )


def may_supervise(actor: Actor, item: RectificationItem) -> bool:
    """Supervisors (SUPERVISE) of a unit strictly above the item's unit."""
    return actor.system or (
        actor.has_capability(Capability.SUPERVISE) and is_below(actor, item.unit_path)
    )


@register(RectificationItem)
class RectificationItemPolicy(ModelPolicy[RectificationItem]):
    def scope(
        self, actor: Actor, queryset: QuerySet[RectificationItem]
    ) -> QuerySet[RectificationItem]:
        if actor.system:
            return queryset
        if not reads_conduct(actor):
            return queryset.none()
        assert actor.unit is not None
        return queryset.filter(unit_path__startswith=actor.unit.path)

    def can(self, actor: Actor, action: str, obj: RectificationItem | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return reads_conduct(actor)
        if obj is None:
            return False
        if action == "report":
            return may_report(actor, obj)
        if action in ("verify", "return"):
            return may_supervise(actor, obj)
        return False


@register(Inspection)
class InspectionPolicy(ModelPolicy[Inspection]):
    def scope(self, actor: Actor, queryset: QuerySet[Inspection]) -> QuerySet[Inspection]:
        if actor.system:
            return queryset
        if not reads_conduct(actor):
            return queryset.none()
        assert actor.unit is not None
        return queryset.filter(unit_path__startswith=actor.unit.path)

    def can(self, actor: Actor, action: str, obj: Inspection | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return reads_conduct(actor)
        if action == "record":
            return actor.has_capability(Capability.SUPERVISE)
        return False


# --- analytics pages (no model of their own) ------------------------------------------------
# Obstruction analytics are drawn for streets, townships and the district.
OBSTRUCTION_LEVELS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.TOWNSHIP)
# The conduct dashboard is drawn for those and for communities and villages (their own).
DASHBOARD_LEVELS = (*OBSTRUCTION_LEVELS, UnitKind.COMMUNITY, UnitKind.VILLAGE)


def within(actor: Actor, unit: OrgUnit) -> bool:
    """`unit` is the actor's own unit or lies below it."""
    own = actor.unit
    return own is not None and unit.path.startswith(own.path)


def supervises_cases(actor: Actor) -> bool:
    """Case supervisors (CASE_SUPERVISE) and supervisors (SUPERVISE)."""
    return actor.has_capability(Capability.CASE_SUPERVISE) or actor.has_capability(
        Capability.SUPERVISE
    )


def may_view_obstruction(actor: Actor, unit: OrgUnit) -> bool:
    """Case supervisors and supervisors of the unit or a unit above it; streets and districts."""
    return unit.kind in OBSTRUCTION_LEVELS and within(actor, unit) and supervises_cases(actor)


def may_view_dashboard(actor: Actor, unit: OrgUnit) -> bool:
    """The conduct dashboard of a district, street, township, community or village: for case
    supervisors and supervisors at or above it, and for the discipline inspectors at or above it
    (who see the misconduct figures only)."""
    return (
        unit.kind in DASHBOARD_LEVELS
        and within(actor, unit)
        and (supervises_cases(actor) or actor.role == Role.DISCIPLINE_INSPECTOR)
    )


from jiceng.conduct import permissions_misconduct  # noqa: E402, F401  (registers its policy)
