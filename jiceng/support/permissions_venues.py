"""Who sees and does what with venues (one policy per model).

Staff of a unit see the venues of their subtree (a street sees its communities' venues) and
everything recorded there; grid staff see and log at their community's venues. The unit's
managers (SUPPORT_MANAGE) keep the registry, hours and roster; its staff (SUPPORT_RECORD) log
activities; supervisors (SUPERVISE) record spot checks, but only on venues strictly below their
own unit: nobody inspects themselves.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.roles import Capability, UnitKind
from jiceng.support.models import (
    DutyShift,
    HoursException,
    OpeningPeriod,
    SpotCheck,
    Venue,
    VenueActivity,
    VenueCheckIn,
    VenuePhoto,
)

M = TypeVar("M", bound=Model)

VENUE_CAPABILITIES = (Capability.SUPPORT_RECORD, Capability.SUPPORT_MANAGE, Capability.SUPERVISE)


def home_path(actor: Actor) -> str | None:
    """Where the actor's venues are: its unit's subtree; a grid's are its community's."""
    unit = actor.unit
    if unit is None:
        return None
    if unit.kind == UnitKind.GRID and unit.depth > 1:
        return unit.path[: -unit.steplen]
    return unit.path


def sees_venues(actor: Actor) -> bool:
    return actor.system or (
        actor.unit is not None and any(actor.has_capability(c) for c in VENUE_CAPABILITIES)
    )


def _in_subtree(path: str | None, venue: Venue | None) -> bool:
    return path is not None and (venue is None or venue.unit_path.startswith(path))


def may_manage(actor: Actor, venue: Venue | None = None) -> bool:
    """The registry, hours and roster: the actor's own unit's subtree."""
    unit = actor.unit
    return actor.system or (
        actor.has_capability(Capability.SUPPORT_MANAGE)
        and _in_subtree(unit.path if unit is not None else None, venue)
    )


def may_record(actor: Actor, venue: Venue | None = None) -> bool:
    """Activities: wherever the actor's venues are (a grid worker at the community's)."""
    return actor.system or (
        actor.has_capability(Capability.SUPPORT_RECORD) and _in_subtree(home_path(actor), venue)
    )


def may_spot_check(actor: Actor, venue: Venue | None = None) -> bool:
    if actor.system:
        return True
    unit = actor.unit
    if unit is None or not actor.has_capability(Capability.SUPERVISE):
        return False
    return venue is None or (venue.unit_path.startswith(unit.path) and venue.unit_path != unit.path)


class _ThroughVenue(ModelPolicy[M]):
    """Rows reached through a venue, seen where the venue is seen."""

    prefix = "venue__"

    def scope(self, actor: Actor, queryset: QuerySet[M]) -> QuerySet[M]:
        if actor.system:
            return queryset
        path = home_path(actor)
        if not sees_venues(actor) or path is None:
            return queryset.none()
        return queryset.filter(**{f"{self.prefix}unit_path__startswith": path})

    def can(self, actor: Actor, action: str, obj: M | None = None) -> bool:
        return action == "view" and sees_venues(actor)


@register(Venue)
class VenuePolicy(_ThroughVenue[Venue]):
    prefix = ""

    def can(self, actor: Actor, action: str, obj: Venue | None = None) -> bool:
        if action == "view":
            return sees_venues(actor)
        if action == "manage":
            return may_manage(actor, obj)
        if action == "record":
            return may_record(actor, obj)
        if action == "spot_check":
            return may_spot_check(actor, obj)
        return False


@register(OpeningPeriod)
class OpeningPeriodPolicy(_ThroughVenue[OpeningPeriod]):
    pass


@register(HoursException)
class HoursExceptionPolicy(_ThroughVenue[HoursException]):
    pass


@register(VenuePhoto)
class VenuePhotoPolicy(_ThroughVenue[VenuePhoto]):
    pass


@register(DutyShift)
class DutyShiftPolicy(_ThroughVenue[DutyShift]):
    pass


@register(VenueCheckIn)
class VenueCheckInPolicy(_ThroughVenue[VenueCheckIn]):
    pass


@register(VenueActivity)
class VenueActivityPolicy(_ThroughVenue[VenueActivity]):
    def can(self, actor: Actor, action: str, obj: VenueActivity | None = None) -> bool:
        if action == "view":
            return sees_venues(actor)
        if action in ("log", "close"):
            return may_record(actor, obj.venue if obj is not None else None)
        return False


@register(SpotCheck)
class SpotCheckPolicy(_ThroughVenue[SpotCheck]):
    pass
