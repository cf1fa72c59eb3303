"""Who sees misconduct reports: discipline inspectors of a level above the unit concerned, alone.

Not the unit concerned, not its members, not supervisors or administrators, not even the system
administrators' screens: a report exists for nobody else (404). Reporters prove who they are with
the receipt code and passphrase instead (`misconduct_services.misconduct_lookup`).
"""

from __future__ import annotations

from django.db.models import QuerySet

from jiceng.conduct.misconduct_models import MisconductReport
from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role


def is_inspector(actor: Actor) -> bool:
    return actor.unit is not None and actor.role == Role.DISCIPLINE_INSPECTOR


def conflicted_paths(actor: Actor) -> set[str]:
    """Units whose reports the actor must not see although they lie below their unit: those
    the person also serves in, or serves below, in another post (a street's inspector who is
    also a community's staff member is that community's staff). The paths of every unit at or
    above each of the person's other active posts; one query."""
    if actor.user is None:
        return set()
    posts = Membership.objects.active().filter(user=actor.user)
    if actor.membership is not None:
        posts = posts.exclude(pk=actor.membership.pk)
    step = OrgUnit.steplen
    return {
        path[: step * level]
        for path in posts.values_list("unit__path", flat=True)
        for level in range(1, len(path) // step + 1)
    }


def inspects(actor: Actor, report: MisconductReport) -> bool:
    """The actor is a discipline inspector of a unit strictly above the unit concerned, and
    serves neither in it nor below it in another post."""
    own = actor.unit
    return (
        is_inspector(actor)
        and own is not None
        and report.accused_path.startswith(own.path)
        and report.accused_path != own.path
        and report.accused_path not in conflicted_paths(actor)
    )


@register(MisconductReport)
class MisconductReportPolicy(ModelPolicy[MisconductReport]):
    def scope(
        self, actor: Actor, queryset: QuerySet[MisconductReport]
    ) -> QuerySet[MisconductReport]:
        # Deliberately no `actor.system` shortcut for people: jobs use the models directly.
        if not is_inspector(actor):
            return queryset.none()
        assert actor.unit is not None
        return (
            queryset.filter(accused_path__startswith=actor.unit.path)
            .exclude(accused_path=actor.unit.path)
            .exclude(accused_path__in=conflicted_paths(actor))
        )

    def can(self, actor: Actor, action: str, obj: MisconductReport | None = None) -> bool:
        if action == "list":
            return is_inspector(actor)
        if obj is None:
            return False
        if action in ("view", "triage", "note", "conclude", "reply", "show_contact"):
            return inspects(actor, obj)
        return False
