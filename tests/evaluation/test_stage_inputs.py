"""What the results read from the stages, from rows written by hand (the round is under review)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiceng.evaluation.models import (
    Answer,
    AssessmentStatus,
    Channel,
    Question,
    QuestionKind,
    RoundUnit,
    SelfAssessment,
    SelfScore,
    SurveyResponse,
)
from jiceng.evaluation.round_selectors import rater_scores, self_scores
from jiceng.evaluation.scoring import ResidentTally
from jiceng.evaluation.survey_selectors import resident_tallies
from tests.evaluation.result_fixtures import give_ratings, give_self, review_round

pytestmark = pytest.mark.django_db


def test_answers_of_every_counted_kind_and_none_of_the_excluded(tree):
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    survey = round_.survey  # the default questionnaire, unanswered
    satisfaction = Question.objects.create(
        survey=survey, kind=QuestionKind.SATISFACTION, text="总体满意度"
    )
    matrix = Question.objects.create(
        survey=survey, kind=QuestionKind.MATRIX, text="各项服务", options=["窗口", "走访"]
    )
    solved = Question.objects.create(
        survey=survey,
        kind=QuestionKind.SINGLE,
        text="您反映的问题解决了吗？",
        options=["解决了", "没有"],
        yes_option=0,
    )
    plain = Question.objects.create(
        survey=survey, kind=QuestionKind.SINGLE, text="您的年龄段", options=["青年", "老年"]
    )
    text = Question.objects.create(survey=survey, kind=QuestionKind.TEXT, text="意见建议")

    def respond(answers, excluded=""):
        response = SurveyResponse.objects.create(
            round_unit=a, channel=Channel.OPEN_LINK, excluded_reason=excluded
        )
        for question, value in answers:
            Answer.objects.create(response=response, question=question, value=value)

    respond([(satisfaction, 5), (matrix, [4, 2]), (solved, 0), (plain, 1), (text, "很好")])
    respond([(satisfaction, 5), (matrix, [4, 2]), (solved, 1), (text, "5")])
    respond([(satisfaction, 3), (solved, 0)])
    respond([(satisfaction, 1), (matrix, [1, 1]), (solved, 1)], excluded="same device")

    tallies = resident_tallies(round_)

    # levels 1–5: satisfaction 5, 5, 3; matrix rows 4, 2, 4, 2
    assert tallies[a.pk] == ResidentTally(ratings=(0, 2, 1, 2, 2), yes=2, yes_no=3)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    assert tallies[b.pk] == ResidentTally()


def test_only_submitted_assessments_count(tree):
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    give_self(a, items=2, visits=5, complaints=10)
    draft = SelfAssessment.objects.get(round_unit=b, status=AssessmentStatus.DRAFT)
    SelfScore.objects.create(assessment=draft, indicator_code="visits", points=Decimal(5))
    give_ratings(a, tree.street_a, [(5, 10), (0, 0)])

    # service: (2/3 · 100 + 100) / 2 = 83.33; outcome 100 → 91.67
    assert self_scores(round_) == {a.pk: pytest.approx(91.6667, abs=1e-4), b.pk: None}
    assert rater_scores(round_) == {a.pk: [25.0, 100.0], b.pk: []}  # lowest first
