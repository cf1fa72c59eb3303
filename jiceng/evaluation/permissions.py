"""Who sees and does what in evaluation (one policy per model).

The rule underneath: a unit sees its own round entries and what lies below it; what others said
about a unit (superior's ratings, residents' answers) is seen only from above it, and its results
only once published. Configuration belongs to district administrators.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register
from jiceng.evaluation.models import (
    Answer,
    Appeal,
    Evidence,
    Indicator,
    OpenLink,
    Question,
    Rater,
    Result,
    Round,
    RoundState,
    RoundUnit,
    Scheme,
    SelfAssessment,
    SelfScore,
    SuperiorRating,
    SuperiorScore,
    Survey,
    SurveyResponse,
    SurveyToken,
    TokenBatch,
)
from jiceng.orgs.roles import Capability

M = TypeVar("M", bound=Model)

EVALUATION_CAPABILITIES = (
    Capability.EVAL_CONFIGURE,
    Capability.EVAL_SELF_ASSESS,
    Capability.EVAL_RATE,
)


def takes_part(actor: Actor) -> bool:
    return actor.unit is not None and any(actor.has_capability(c) for c in EVALUATION_CAPABILITIES)


def configures(actor: Actor) -> bool:
    return actor.system or (
        actor.has_capability(Capability.EVAL_CONFIGURE)
        and actor.unit is not None
        and actor.unit.depth == 1
    )


def oversees(actor: Actor) -> bool:
    """Sees, from above, what residents and raters said about the units below."""
    return actor.has_capability(Capability.EVAL_CONFIGURE) or actor.has_capability(
        Capability.EVAL_RATE
    )


def _own_or_below(actor: Actor, field: str) -> Q:
    assert actor.unit is not None
    return Q(**{f"{field}__startswith": actor.unit.path})


def _strictly_below(actor: Actor, field: str) -> Q:
    assert actor.unit is not None
    return Q(**{f"{field}__startswith": actor.unit.path}) & ~Q(**{field: actor.unit.path})


def round_unit_scope(actor: Actor, prefix: str = "") -> Q | None:
    """Rows tied to a unit in a round that `actor` may see; None means all of them."""
    if actor.system:
        return None
    if not takes_part(actor):
        return Q(pk__in=[])
    return _own_or_below(actor, f"{prefix}unit_path")


def seen_from_above(actor: Actor, prefix: str = "") -> Q | None:
    """Rows about a unit that only those above it may see."""
    if actor.system:
        return None
    if not oversees(actor) or actor.unit is None:
        return Q(pk__in=[])
    return _strictly_below(actor, f"{prefix}unit_path")


def _filter(queryset: QuerySet[M], condition: Q | None) -> QuerySet[M]:
    return queryset if condition is None else queryset.filter(condition)


class _StaffReadable(ModelPolicy[M]):
    """Seen by every evaluation participant; changed by district administrators."""

    def scope(self, actor: Actor, queryset: QuerySet[M]) -> QuerySet[M]:
        return queryset if actor.system or takes_part(actor) else queryset.none()

    def can(self, actor: Actor, action: str, obj: M | None = None) -> bool:
        if action == "view":
            return actor.system or takes_part(actor)
        return configures(actor)


@register(Scheme)
class SchemePolicy(_StaffReadable[Scheme]):
    pass


@register(Indicator)
class IndicatorPolicy(_StaffReadable[Indicator]):
    pass


@register(Round)
class RoundPolicy(ModelPolicy[Round]):
    """Rounds organised at or above the actor's unit, or below it."""

    def scope(self, actor: Actor, queryset: QuerySet[Round]) -> QuerySet[Round]:
        if actor.system:
            return queryset
        unit = actor.unit
        if unit is None or not takes_part(actor):
            return queryset.none()
        ancestors = [
            unit.path[:end] for end in range(unit.steplen, len(unit.path) + 1, unit.steplen)
        ]
        return queryset.filter(
            Q(organiser__path__in=ancestors) | Q(organiser__path__startswith=unit.path)
        )

    def can(self, actor: Actor, action: str, obj: Round | None = None) -> bool:
        if action == "view":
            return actor.system or takes_part(actor)
        return configures(actor)


@register(RoundUnit)
class RoundUnitPolicy(ModelPolicy[RoundUnit]):
    def scope(self, actor: Actor, queryset: QuerySet[RoundUnit]) -> QuerySet[RoundUnit]:
        return _filter(queryset, round_unit_scope(actor))

    def can(self, actor: Actor, action: str, obj: RoundUnit | None = None) -> bool:
        if action == "view":
            return actor.system or takes_part(actor)
        return configures(actor)


@register(SelfAssessment)
class SelfAssessmentPolicy(ModelPolicy[SelfAssessment]):
    """The unit fills in its own; those above it read it and may return it."""

    def scope(self, actor: Actor, queryset: QuerySet[SelfAssessment]) -> QuerySet[SelfAssessment]:
        return _filter(queryset, round_unit_scope(actor, "round_unit__"))

    def can(self, actor: Actor, action: str, obj: SelfAssessment | None = None) -> bool:
        if actor.system:
            return True
        unit = actor.unit
        if unit is None:
            return False
        if action == "view":
            return takes_part(actor)
        if action in ("edit", "submit"):
            return actor.has_capability(Capability.EVAL_SELF_ASSESS) and (
                obj is None or obj.round_unit.unit_id == unit.pk
            )
        if action == "return":
            # 退回修改 is part of rating the unit: those who may rate, from above it.
            return actor.has_capability(Capability.EVAL_RATE) and (
                obj is None
                or (
                    obj.round_unit.unit_path.startswith(unit.path)
                    and obj.round_unit.unit_path != unit.path
                )
            )
        return False


@register(SelfScore)
class SelfScorePolicy(ModelPolicy[SelfScore]):
    def scope(self, actor: Actor, queryset: QuerySet[SelfScore]) -> QuerySet[SelfScore]:
        return _filter(queryset, round_unit_scope(actor, "assessment__round_unit__"))


@register(Evidence)
class EvidencePolicy(ModelPolicy[Evidence]):
    def scope(self, actor: Actor, queryset: QuerySet[Evidence]) -> QuerySet[Evidence]:
        return _filter(queryset, round_unit_scope(actor, "score__assessment__round_unit__"))

    def can(self, actor: Actor, action: str, obj: Evidence | None = None) -> bool:
        return action == "view" and (actor.system or takes_part(actor))


@register(Rater)
class RaterPolicy(ModelPolicy[Rater]):
    def scope(self, actor: Actor, queryset: QuerySet[Rater]) -> QuerySet[Rater]:
        if actor.system:
            return queryset
        if actor.membership is None:
            return queryset.none()
        if configures(actor):
            return queryset
        return queryset.filter(membership=actor.membership)

    def can(self, actor: Actor, action: str, obj: Rater | None = None) -> bool:
        return configures(actor)


@register(SuperiorRating)
class SuperiorRatingPolicy(ModelPolicy[SuperiorRating]):
    """A rater sees their own ratings; district administrators see all; the unit none."""

    def scope(self, actor: Actor, queryset: QuerySet[SuperiorRating]) -> QuerySet[SuperiorRating]:
        if actor.system or configures(actor):
            return queryset
        if actor.membership is None:
            return queryset.none()
        return queryset.filter(rater__membership=actor.membership)


@register(SuperiorScore)
class SuperiorScorePolicy(ModelPolicy[SuperiorScore]):
    def scope(self, actor: Actor, queryset: QuerySet[SuperiorScore]) -> QuerySet[SuperiorScore]:
        if actor.system or configures(actor):
            return queryset
        if actor.membership is None:
            return queryset.none()
        return queryset.filter(rating__rater__membership=actor.membership)


@register(Survey)
class SurveyPolicy(_StaffReadable[Survey]):
    pass


@register(Question)
class QuestionPolicy(_StaffReadable[Question]):
    pass


@register(TokenBatch)
class TokenBatchPolicy(ModelPolicy[TokenBatch]):
    """Tokens are handed out from above: the unit itself could otherwise answer for residents."""

    def scope(self, actor: Actor, queryset: QuerySet[TokenBatch]) -> QuerySet[TokenBatch]:
        return _filter(queryset, seen_from_above(actor, "round_unit__"))

    def can(self, actor: Actor, action: str, obj: TokenBatch | None = None) -> bool:
        return actor.system or oversees(actor)


@register(SurveyToken)
class SurveyTokenPolicy(ModelPolicy[SurveyToken]):
    def scope(self, actor: Actor, queryset: QuerySet[SurveyToken]) -> QuerySet[SurveyToken]:
        return _filter(queryset, seen_from_above(actor, "batch__round_unit__"))


@register(OpenLink)
class OpenLinkPolicy(ModelPolicy[OpenLink]):
    def scope(self, actor: Actor, queryset: QuerySet[OpenLink]) -> QuerySet[OpenLink]:
        return _filter(queryset, seen_from_above(actor, "round_unit__"))

    def can(self, actor: Actor, action: str, obj: OpenLink | None = None) -> bool:
        return actor.system or oversees(actor)


@register(SurveyResponse)
class SurveyResponsePolicy(ModelPolicy[SurveyResponse]):
    def scope(self, actor: Actor, queryset: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
        return _filter(queryset, seen_from_above(actor, "round_unit__"))


@register(Answer)
class AnswerPolicy(ModelPolicy[Answer]):
    def scope(self, actor: Actor, queryset: QuerySet[Answer]) -> QuerySet[Answer]:
        return _filter(queryset, seen_from_above(actor, "response__round_unit__"))


@register(Result)
class ResultPolicy(ModelPolicy[Result]):
    """From above, always; a unit sees its own and lower results once the round is published."""

    def scope(self, actor: Actor, queryset: QuerySet[Result]) -> QuerySet[Result]:
        if actor.system:
            return queryset
        if not takes_part(actor) or actor.unit is None:
            return queryset.none()
        above = seen_from_above(actor, "round_unit__")
        published = _own_or_below(actor, "round_unit__unit_path") & Q(
            round_unit__round__state__in=[RoundState.PUBLISHED, RoundState.ARCHIVED]
        )
        return queryset.filter(published | above if above is not None else published)

    def can(self, actor: Actor, action: str, obj: Result | None = None) -> bool:
        if action == "view":
            return actor.system or takes_part(actor)
        return configures(actor)


@register(Appeal)
class AppealPolicy(ModelPolicy[Appeal]):
    """The unit files and follows its appeals; district administrators decide them."""

    def scope(self, actor: Actor, queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
        return _filter(queryset, round_unit_scope(actor, "round_unit__"))

    def can(self, actor: Actor, action: str, obj: Appeal | None = None) -> bool:
        if actor.system:
            return True
        if action == "view":
            return takes_part(actor)
        if action == "file":
            return actor.has_capability(Capability.EVAL_SELF_ASSESS)
        if action == "decide":
            return configures(actor)
        return False
