"""Permission policies of the organisation models and the core models they govern."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from jiceng.core.actors import Actor
from jiceng.core.models import AuditEntry, CalendarDay
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.models import ApiKey, Membership, OrgUnit, User
from jiceng.orgs.roles import ADMIN_ROLES, Capability


@register(OrgUnit)
class OrgUnitPolicy(ModelPolicy[OrgUnit]):
    """Staff see their unit's subtree; API keys see their unit's subtree."""

    def scope(self, actor: Actor, queryset: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None:
            return queryset.none()
        return queryset.filter(unit.subtree_q())

    def can(self, actor: Actor, action: str, obj: OrgUnit | None = None) -> bool:
        if actor.system:
            return True
        if actor.unit is None:
            return False
        if action == "view":
            return True
        if action == "browse":
            return actor.has_capability(Capability.BROWSE_UNITS)
        if action in ("edit", "add_child"):
            return actor.has_capability(Capability.EDIT_UNITS)
        return False


def _users_in_subtree(actor: Actor, queryset: QuerySet[User]) -> QuerySet[User]:
    unit = actor.unit
    if unit is None:
        return queryset.none()
    held_here = Membership.objects.filter(user=OuterRef("pk")).filter(unit.subtree_q("unit__"))
    return queryset.filter(Exists(held_here))


@register(User)
class UserPolicy(ModelPolicy[User]):
    """User managers see the people holding (or having held) a role in their subtree."""

    def scope(self, actor: Actor, queryset: QuerySet[User]) -> QuerySet[User]:
        if actor.system:
            return queryset
        if not actor.has_capability(Capability.MANAGE_USERS):
            return queryset.none()
        return _users_in_subtree(actor, queryset)

    def can(self, actor: Actor, action: str, obj: User | None = None) -> bool:
        if actor.system:
            return True
        if not actor.has_capability(Capability.MANAGE_USERS):
            return False
        if action not in ("view", "create", "edit", "activate", "deactivate", "reset_password"):
            return False
        if obj is None or action == "view":
            return True
        if action in ("deactivate", "reset_password") and obj.pk == getattr(actor.user, "pk", None):
            return False
        # Changing an account touches every unit it serves: all of them must be the actor's,
        # and only those who may grant administrator roles change an administrator.
        held = Membership.objects.filter(user=obj, is_active=True).select_related("unit")
        for membership in held:
            if actor.unit is None or not actor.unit.contains(membership.unit):
                return False
            if membership.role in ADMIN_ROLES and not actor.has_capability(
                Capability.GRANT_ADMIN_ROLES
            ):
                return False
        return True


@register(Membership)
class MembershipPolicy(ModelPolicy[Membership]):
    def scope(self, actor: Actor, queryset: QuerySet[Membership]) -> QuerySet[Membership]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not actor.has_capability(Capability.MANAGE_USERS):
            return queryset.none()
        return queryset.filter(unit.subtree_q("unit__"))

    def can(self, actor: Actor, action: str, obj: Membership | None = None) -> bool:
        if actor.system:
            return True
        if not actor.has_capability(Capability.MANAGE_USERS):
            return False
        if obj is not None and obj.role in ADMIN_ROLES:
            if not actor.has_capability(Capability.GRANT_ADMIN_ROLES):
                return False
            # Nobody ends their own administrator role: another administrator must.
            if action == "end" and obj.user_id == getattr(actor.user, "pk", None):
                return False
        return action in ("view", "grant", "end")


@register(ApiKey)
class ApiKeyPolicy(ModelPolicy[ApiKey]):
    def scope(self, actor: Actor, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not actor.has_capability(Capability.MANAGE_API_KEYS):
            return queryset.none()
        return queryset.filter(unit.subtree_q("unit__"))

    def can(self, actor: Actor, action: str, obj: ApiKey | None = None) -> bool:
        if actor.system:
            return True
        return actor.has_capability(Capability.MANAGE_API_KEYS) and action in (
            "view",
            "create",
            "revoke",
        )


@register(AuditEntry)
class AuditEntryPolicy(ModelPolicy[AuditEntry]):
    """Administrators read the entries of actions taken for units in their subtree."""

    def scope(self, actor: Actor, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not actor.has_capability(Capability.MANAGE_USERS):
            return queryset.none()
        return queryset.filter(unit.subtree_q("actor_unit__"))

    def can(self, actor: Actor, action: str, obj: AuditEntry | None = None) -> bool:
        return action == "view" and (actor.system or actor.has_capability(Capability.MANAGE_USERS))


@register(CalendarDay)
class CalendarDayPolicy(ModelPolicy[CalendarDay]):
    """The calendar is the same for everyone; district and system administrators correct it."""

    def scope(self, actor: Actor, queryset: QuerySet[CalendarDay]) -> QuerySet[CalendarDay]:
        return queryset if actor.system or actor.unit is not None else queryset.none()

    def can(self, actor: Actor, action: str, obj: CalendarDay | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return actor.unit is not None
        return actor.has_capability(Capability.MANAGE_CALENDAR) and action in ("add", "delete")
