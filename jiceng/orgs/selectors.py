"""Reads of units, people and memberships, always scoped to the actor."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from jiceng.core.actors import Actor
from jiceng.core.models import AuditEntry
from jiceng.core.permissions import access_object, visible
from jiceng.orgs.models import ApiKey, Membership, OrgUnit, User


def memberships_of(user: User) -> QuerySet[Membership]:
    """A user's active memberships, highest unit first."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("unit")
        .order_by("unit__depth", "unit__path", "role")
    )


def acting_membership(user: User, membership_id: object) -> Membership | None:
    """The membership the user chose to act in, or their first one."""
    memberships = list(memberships_of(user))
    for membership in memberships:
        if str(membership.pk) == str(membership_id):
            return membership
    return memberships[0] if memberships else None


def units_visible(actor: Actor) -> QuerySet[OrgUnit]:
    return visible(actor, OrgUnit)


def unit_get(actor: Actor, *, code: str, action: str = "view") -> OrgUnit:
    return access_object(actor, OrgUnit, action=action, code=code)


def unit_children(actor: Actor, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """Children of a visible unit, with how many members each has."""
    return (
        units_visible(actor)
        .filter(path__startswith=unit.path, depth=unit.depth + 1)
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("path")
    )


def unit_ancestors_visible(actor: Actor, unit: OrgUnit) -> list[OrgUnit]:
    """The chain from the actor's own unit down to `unit`'s parent, for breadcrumbs."""
    steplen = OrgUnit.steplen
    paths = [unit.path[: steplen * depth] for depth in range(1, unit.depth)]
    return list(units_visible(actor).filter(path__in=paths).order_by("depth"))


def unit_search(actor: Actor, *, query: str = "", kind: str = "") -> QuerySet[OrgUnit]:
    units = units_visible(actor)
    if query:
        units = units.filter(Q(name__icontains=query) | Q(code__icontains=query))
    if kind:
        units = units.filter(kind=kind)
    return units.order_by("path")


def unit_members(actor: Actor, unit: OrgUnit) -> QuerySet[Membership]:
    """Active memberships held in exactly this unit."""
    if not actor.system and (actor.unit is None or not actor.unit.contains(unit)):
        return Membership.objects.none()
    return (
        Membership.objects.active()
        .filter(unit=unit)
        .select_related("user")
        .order_by("role", "user__display_name")
    )


def users_visible(actor: Actor, *, query: str = "", role: str = "") -> QuerySet[User]:
    users = visible(actor, User)
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(display_name__icontains=query)
            | Q(phone__startswith=query)
        )
    if role:
        users = users.filter(
            Exists(Membership.objects.filter(user=OuterRef("pk"), role=role, is_active=True))
        )
    return users.order_by("display_name", "pk")


def user_get(actor: Actor, *, pk: object, action: str = "view") -> User:
    return access_object(actor, User, action=action, pk=pk)


def memberships_of_user_visible(actor: Actor, user: User) -> QuerySet[Membership]:
    """All of a user's memberships (ended ones too) that the actor may see."""
    return (
        visible(actor, Membership)
        .filter(user=user)
        .select_related("unit")
        .order_by("-is_active", "unit__path", "role")
    )


def api_keys_visible(actor: Actor) -> QuerySet[ApiKey]:
    return visible(actor, ApiKey).select_related("unit", "created_by").order_by("-created_at")


def memberships_by_user(actor: Actor, user_ids: list[int]) -> dict[int, list[Membership]]:
    """Active memberships of several users at once (for a page of a list), visible to the actor."""
    grouped: dict[int, list[Membership]] = {}
    rows = (
        visible(actor, Membership)
        .filter(user_id__in=user_ids, is_active=True)
        .select_related("unit")
        .order_by("unit__path", "role")
    )
    for membership in rows:
        grouped.setdefault(membership.user_id, []).append(membership)
    return grouped


def membership_get(actor: Actor, *, pk: object, action: str = "view") -> Membership:
    return access_object(
        actor,
        Membership,
        action=action,
        queryset=Membership.objects.select_related("unit", "user"),
        pk=pk,
    )


def user_history(actor: Actor, user: User) -> QuerySet[AuditEntry]:
    """Audit entries about this account and its memberships that the actor may read."""
    membership_ids = [
        str(pk) for pk in Membership.objects.filter(user=user).values_list("pk", flat=True)
    ]
    return (
        visible(actor, AuditEntry)
        .filter(
            Q(target_type="orgs.user", target_id=str(user.pk))
            | Q(target_type="orgs.membership", target_id__in=membership_ids)
        )
        .select_related("actor_user")
        .order_by("-seq")
    )
