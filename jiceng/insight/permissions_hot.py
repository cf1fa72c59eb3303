"""Who sees hot issues: staff who handle or supervise cases, for their acting unit.

A district or street sees the issues of the streets in its subtree; a community (or a grid,
through its community) sees the issues of its street that have cases from that community.
Everyone else sees none; siblings' issues are 404 like missing ones.
"""

from __future__ import annotations

from django.db.models import QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.insight.models_hot import HotIssue, HotIssueCase
from jiceng.insight.routing import community_path, street_path
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability

READERS = (Capability.CASE_HANDLE, Capability.CASE_SUPERVISE)


def reads_hot_issues(actor: Actor) -> bool:
    return actor.unit is not None and any(actor.has_capability(c) for c in READERS)


def scope_of(unit: OrgUnit, queryset: QuerySet[HotIssue]) -> QuerySet[HotIssue]:
    """The issues seen from `unit`: by street below a street, by member cases below that."""
    street = street_path(unit.path)
    if len(unit.path) <= len(street):
        return queryset.filter(unit_path__startswith=unit.path)
    return queryset.filter(
        unit_path=street,
        pk__in=HotIssueCase.objects.filter(community_path=community_path(unit.path)).values(
            "issue_id"
        ),
    )


@register(HotIssue)
class HotIssuePolicy(ModelPolicy[HotIssue]):
    def scope(self, actor: Actor, queryset: QuerySet[HotIssue]) -> QuerySet[HotIssue]:
        if actor.system:
            return queryset
        if not reads_hot_issues(actor):
            return queryset.none()
        assert actor.unit is not None
        return scope_of(actor.unit, queryset)

    def can(self, actor: Actor, action: str, obj: HotIssue | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return reads_hot_issues(actor)
        if action == "adopt" and obj is not None:
            from jiceng.insight.hot_services import may_adopt

            return may_adopt(actor, obj)
        return False
