"""Who sees and does what on care lists (one policy per model).

A care target's personal data is seen only by the staff of its unit and of the units above it
who do support work (SUPPORT_RECORD or SUPPORT_MANAGE: district administrators hold it as the
superiors of every unit), and by the members paired with it. Everyone else (siblings,
discipline inspectors, system administrators) gets 404 for the same page a permitted colleague
opens.

Actions: "view"; "manage" (add, edit, pair, take off the list, export: SUPPORT_MANAGE in the
target's unit or above); "visit" (record a visit: SUPPORT_RECORD); "raise_case" (turn a need
into a request: SUPPORT_RECORD and CASE_HANDLE).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.roles import Capability
from jiceng.support.models.care import CareNeed, CareTarget, CareVisit

CARE_CAPABILITIES = (Capability.SUPPORT_RECORD, Capability.SUPPORT_MANAGE)


def works_on_care(actor: Actor) -> bool:
    return actor.unit is not None and any(actor.has_capability(c) for c in CARE_CAPABILITIES)


def care_target_q(actor: Actor, prefix: str = "") -> Q | None:
    """The targets `actor` may see (through `prefix`); None means all of them."""
    if actor.system:
        return None
    if not works_on_care(actor):
        return Q(pk__in=[])
    assert actor.unit is not None and actor.membership is not None
    paired = CareTarget.responsible.through.objects.filter(
        caretarget_id=OuterRef(f"{prefix}pk" if prefix else "pk"),
        membership_id=actor.membership.pk,
    )
    return Q(**{f"{prefix}unit_path__startswith": actor.unit.path}) | Q(Exists(paired))


def _in_subtree(actor: Actor, target: CareTarget | None) -> bool:
    return target is None or (
        actor.unit is not None and target.unit_path.startswith(actor.unit.path)
    )


def may(actor: Actor, action: str, target: CareTarget | None = None) -> bool:
    if actor.system:
        return True
    if not works_on_care(actor):
        return False
    if action == "view":
        return True
    if action in ("manage", "export"):
        return actor.has_capability(Capability.SUPPORT_MANAGE) and _in_subtree(actor, target)
    if action == "visit":
        return actor.has_capability(Capability.SUPPORT_RECORD)
    if action == "raise_case":
        return actor.has_capability(Capability.SUPPORT_RECORD) and actor.has_capability(
            Capability.CASE_HANDLE
        )
    return False


@register(CareTarget)
class CareTargetPolicy(ModelPolicy[CareTarget]):
    def scope(self, actor: Actor, queryset: QuerySet[CareTarget]) -> QuerySet[CareTarget]:
        condition = care_target_q(actor)
        return queryset if condition is None else queryset.filter(condition)

    def can(self, actor: Actor, action: str, obj: CareTarget | None = None) -> bool:
        return may(actor, action, obj)


@register(CareVisit)
class CareVisitPolicy(ModelPolicy[CareVisit]):
    def scope(self, actor: Actor, queryset: QuerySet[CareVisit]) -> QuerySet[CareVisit]:
        if actor.system:
            return queryset
        return queryset.filter(target__in=CareTargetPolicy().scope(actor, CareTarget.objects.all()))

    def can(self, actor: Actor, action: str, obj: CareVisit | None = None) -> bool:
        return may(actor, action, obj.target if obj is not None else None)


@register(CareNeed)
class CareNeedPolicy(ModelPolicy[CareNeed]):
    def scope(self, actor: Actor, queryset: QuerySet[CareNeed]) -> QuerySet[CareNeed]:
        if actor.system:
            return queryset
        return queryset.filter(
            visit__target__in=CareTargetPolicy().scope(actor, CareTarget.objects.all())
        )

    def can(self, actor: Actor, action: str, obj: CareNeed | None = None) -> bool:
        return may(actor, action, obj.visit.target if obj is not None else None)
