"""Who sees and edits the gazetteer, and who sees residents' "me too" support."""

from __future__ import annotations

from django.db.models import QuerySet

from jiceng.cases.models import Case
from jiceng.cases.permissions import reads_cases
from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register, visible
from jiceng.insight.models_routing import CaseSupport, GazetteerEntry
from jiceng.orgs.roles import Capability

EDITOR_MAX_DEPTH = 2  # the district and the streets keep the places of the units below them


def edits_gazetteer(actor: Actor) -> bool:
    unit = actor.unit
    return (
        unit is not None
        and unit.depth <= EDITOR_MAX_DEPTH
        and (
            actor.has_capability(Capability.CASE_CONFIGURE)
            or actor.has_capability(Capability.CASE_SUPERVISE)
        )
    )


@register(GazetteerEntry)
class GazetteerEntryPolicy(ModelPolicy[GazetteerEntry]):
    """Case staff see the places of their subtree; the district and streets edit them."""

    def scope(self, actor: Actor, queryset: QuerySet[GazetteerEntry]) -> QuerySet[GazetteerEntry]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not reads_cases(actor) or actor.api_key is not None:
            return queryset.none()
        return queryset.filter(unit__path__startswith=unit.path)

    def can(self, actor: Actor, action: str, obj: GazetteerEntry | None = None) -> bool:
        if actor.system:
            return True
        unit = actor.unit
        if unit is None or actor.api_key is not None:
            return False
        if action == "view":
            return reads_cases(actor)
        if not edits_gazetteer(actor):
            return False
        return obj is None or obj.unit.path.startswith(unit.path)


@register(CaseSupport)
class CaseSupportPolicy(ModelPolicy[CaseSupport]):
    """Staff who see a case see how many residents backed it; nobody sees who."""

    def scope(self, actor: Actor, queryset: QuerySet[CaseSupport]) -> QuerySet[CaseSupport]:
        # The case policy is the one rule of who sees a case; supports follow their case.
        return queryset.filter(case__in=visible(actor, Case).values("pk"))

    def can(self, actor: Actor, action: str, obj: CaseSupport | None = None) -> bool:
        if action == "add":
            return True  # residents, anonymously; the service rate-limits and checks the case
        return actor.system or (action == "view" and reads_cases(actor))
