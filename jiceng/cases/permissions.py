"""Who sees which requests. What they may do with one is the transition table's business."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jiceng.cases.models import Case, Category, Notification, ResponseTemplate
from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.roles import Capability

CASE_READERS = (Capability.CASE_HANDLE, Capability.CASE_SUPERVISE)


def reads_cases(actor: Actor) -> bool:
    return actor.api_key is not None or any(actor.has_capability(c) for c in CASE_READERS)


@register(Case)
class CasePolicy(ModelPolicy[Case]):
    """Case staff see requests held by, or located in, their subtree; API keys likewise."""

    def scope(self, actor: Actor, queryset: QuerySet[Case]) -> QuerySet[Case]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not reads_cases(actor):
            return queryset.none()
        return queryset.filter(
            Q(current_path__startswith=unit.path) | Q(area_path__startswith=unit.path)
        )

    def can(self, actor: Actor, action: str, obj: Case | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return reads_cases(actor)
        if action in ("enter", "export"):
            return actor.has_capability(Capability.CASE_HANDLE)
        return False


@register(Category)
class CategoryPolicy(ModelPolicy[Category]):
    """Everyone sees the categories; district administrators change them."""

    def scope(self, actor: Actor, queryset: QuerySet[Category]) -> QuerySet[Category]:
        return queryset

    def can(self, actor: Actor, action: str, obj: Category | None = None) -> bool:
        if action == "view":
            return True
        return actor.system or (
            actor.has_capability(Capability.CASE_CONFIGURE)
            and actor.unit is not None
            and actor.unit.depth == 1
        )


@register(ResponseTemplate)
class ResponseTemplatePolicy(ModelPolicy[ResponseTemplate]):
    """Templates of the actor's unit and of the units above it; each unit edits its own."""

    def scope(
        self, actor: Actor, queryset: QuerySet[ResponseTemplate]
    ) -> QuerySet[ResponseTemplate]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not actor.has_capability(Capability.CASE_HANDLE):
            return queryset.none()
        ancestors = [
            unit.path[:end] for end in range(unit.steplen, len(unit.path) + 1, unit.steplen)
        ]
        return queryset.filter(unit__path__in=ancestors)

    def can(self, actor: Actor, action: str, obj: ResponseTemplate | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return actor.has_capability(Capability.CASE_HANDLE)
        if not actor.has_capability(Capability.CASE_DISPATCH):
            return False
        return obj is None or (actor.unit is not None and obj.unit_id == actor.unit.pk)


@register(Notification)
class NotificationPolicy(ModelPolicy[Notification]):
    """Each person reads their own notifications only."""

    def scope(self, actor: Actor, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        if actor.user is None:
            return queryset.none()
        return queryset.filter(recipient=actor.user)

    def can(self, actor: Actor, action: str, obj: Notification | None = None) -> bool:
        return actor.user is not None and (obj is None or obj.recipient_id == actor.user.pk)
