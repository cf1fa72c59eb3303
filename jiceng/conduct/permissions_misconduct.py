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
from jiceng.orgs.roles import Role


def is_inspector(actor: Actor) -> bool:
    return actor.unit is not None and actor.role == Role.DISCIPLINE_INSPECTOR


def inspects(actor: Actor, report: MisconductReport) -> bool:
    """The actor is a discipline inspector of a unit strictly above the unit concerned."""
    own = actor.unit
    return (
        is_inspector(actor)
        and own is not None
        and report.accused_path.startswith(own.path)
        and report.accused_path != own.path
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
        return queryset.filter(accused_path__startswith=actor.unit.path).exclude(
            accused_path=actor.unit.path
        )

    def can(self, actor: Actor, action: str, obj: MisconductReport | None = None) -> bool:
        if action == "list":
            return is_inspector(actor)
        if obj is None:
            return False
        if action in ("view", "triage", "note", "conclude", "reply", "show_contact"):
            return inspects(actor, obj)
        return False
