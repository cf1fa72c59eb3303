"""Stage rows for result tests, written directly: the round is already under review, where the
stage services (rightly) refuse new answers.

The scheme is `factories.make_scheme`'s: dimensions service (duty-roster checklist of 3 items,
visits on a 0–5 scale) and outcome (complaints: a deduction from 10 points; on-time is a case
metric). `complaints` below is the points kept, so the row stores 10 − complaints deducted. With
every checklist item met, a score is ((100 + 20·visits) / 2 + 10·complaints) / 2.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from jiceng.evaluation.models import (
    Answer,
    AssessmentStatus,
    Channel,
    Question,
    QuestionKind,
    Rater,
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
)
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import make_member

# Settings that make small hand-built rounds count: two answers suffice, no prior.
SMALL_ROUND_CONFIG = {"residents": {"min_responses": 2, "prior_weight": 0, "min_cases": 1}}


def review_round(
    organiser: OrgUnit, units: list[OrgUnit], *, period: tuple[date, date] | None = None
) -> Round:
    schemes = [
        Scheme.objects.filter(family=f"test-{cls}").first() or make_scheme(organiser, cls)
        for cls in ("community", "village")
    ]
    extra = {"period": period} if period else {}
    round_ = make_open_round(organiser, units, schemes, state=RoundState.REVIEW, **extra)
    round_.snapshot = {**round_.snapshot, "config": SMALL_ROUND_CONFIG}
    round_.save(update_fields=["snapshot"])
    return round_


def give_self(round_unit: RoundUnit, *, items: int, visits: int, complaints: int) -> None:
    assessment, _created = SelfAssessment.objects.get_or_create(round_unit=round_unit)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = timezone.now()
    assessment.save()
    _scores(SelfScore, {"assessment": assessment}, items, visits, complaints)


def _scores(model, owner, items: int, visits: int, complaints: int) -> None:
    model.objects.create(
        **owner, indicator_code="duty-roster", items_met=list(range(items)), points=None
    )
    model.objects.create(**owner, indicator_code="visits", points=Decimal(visits))
    model.objects.create(**owner, indicator_code="complaints", points=Decimal(10 - complaints))


def give_ratings(round_unit: RoundUnit, rater_unit: OrgUnit, scores: list[tuple[int, int]]) -> None:
    """One submitted rating per (visits, complaints) by a new rater, all checklist items met."""
    for visits, complaints in scores:
        user = make_member(rater_unit, Role.STREET_SUPERVISOR)
        membership = Membership.objects.get(user=user, unit=rater_unit)
        rater = Rater.objects.create(round=round_unit.round, membership=membership)
        rating = SuperiorRating.objects.create(
            round_unit=round_unit,
            rater=rater,
            status=AssessmentStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        _scores(SuperiorScore, {"rating": rating}, 3, visits, complaints)


def give_answers(round_unit: RoundUnit, levels: list[int], *, excluded: int = 0) -> None:
    """One response per level to the round's satisfaction question; `excluded` more at 1."""
    survey, _created = Survey.objects.get_or_create(
        round=round_unit.round, defaults={"title": "满意度调查"}
    )
    question, _created = Question.objects.get_or_create(
        survey=survey, kind=QuestionKind.SATISFACTION, text="您对社区服务满意吗？"
    )
    for level in levels:
        response = SurveyResponse.objects.create(round_unit=round_unit, channel=Channel.TOKEN)
        Answer.objects.create(response=response, question=question, value=level)
    for _ in range(excluded):
        response = SurveyResponse.objects.create(
            round_unit=round_unit, channel=Channel.OPEN_LINK, excluded_reason="device limit"
        )
        Answer.objects.create(response=response, question=question, value=1)
