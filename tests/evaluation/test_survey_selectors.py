# ruff: noqa: F811  (fixtures imported from test_survey_services arrive as parameters)
"""Reads of the residents' assessment: tallies for scoring, response rates, scoping."""

from __future__ import annotations

import pytest

from jiceng.evaluation import survey_selectors as selectors
from jiceng.evaluation import survey_services as services
from jiceng.evaluation.models import SurveyResponse
from jiceng.evaluation.scoring import ResidentTally
from tests.evaluation.test_survey_services import (  # noqa: F401  (fixtures)
    admin,
    good_answers,
    issue,
    questions_by_key,
    secretary,
    supervisor,
    survey_round,
    unit_of,
)

pytestmark = pytest.mark.django_db


def _answer(round_, token, *, overall, aspects, raised=True, solved=0):
    q = questions_by_key(round_)
    answers = {
        q["overall"].pk: overall,
        q["aspects"].pk: aspects,
        q["raised"].pk: 0 if raised else 1,
    }
    if raised:
        answers[q["solved"].pk] = solved
    return services.survey_answer(token=token, answers=answers)


class TestResidentTallies:
    def test_levels_and_solved_answers_are_counted_per_unit_by_hand(
        self, survey_round, tree, supervisor, django_assert_num_queries
    ):
        a1 = issue(survey_round, tree.community_a1, supervisor, count=4)
        a2 = issue(survey_round, tree.community_a2, supervisor, count=1)
        # 柳岸社区: three answers and one excluded.
        _answer(survey_round, a1[0], overall=5, aspects=[5, 5, 4, 3], solved=0)
        _answer(survey_round, a1[1], overall=2, aspects=[1, 2, 2, 3], solved=2)
        _answer(survey_round, a1[2], overall=4, aspects=[4, 4, 4, 4], raised=False)
        stuffed = _answer(survey_round, a1[3], overall=5, aspects=[5, 5, 5, 5], solved=0)
        services.response_exclude(response=stuffed, actor=supervisor, reason="同一人重复填写")
        # 桂香社区: one answer; 泉水村: none.
        _answer(survey_round, a2[0], overall=3, aspects=[3, 3, 3, 3], solved=0)

        with django_assert_num_queries(2):
            tallies = selectors.resident_tallies(survey_round)

        a1_id = unit_of(survey_round, tree.community_a1).pk
        a2_id = unit_of(survey_round, tree.community_a2).pk
        b1_id = unit_of(survey_round, tree.community_b1).pk
        # Levels 1..5 over overall (5, 2, 4) and matrix rows (5,5,4,3 / 1,2,2,3 / 4,4,4,4):
        # 1: 1; 2: 1 + 2 = 3; 3: 2; 4: 1 + 1 + 4 = 6; 5: 1 + 2 = 3.
        assert tallies[a1_id] == ResidentTally(ratings=(1, 3, 2, 6, 3), yes=1, yes_no=2)
        assert tallies[a2_id] == ResidentTally(ratings=(0, 0, 5, 0, 0), yes=1, yes_no=1)
        assert tallies[b1_id] == ResidentTally()
        with django_assert_num_queries(1):
            counts = selectors.resident_response_counts(survey_round)
        assert counts == {a1_id: 3, a2_id: 1, b1_id: 0}


class TestResponseRates:
    def test_figures_per_unit_below_the_actor_in_one_query(
        self, survey_round, tree, supervisor, admin, django_assert_num_queries
    ):
        a1 = unit_of(survey_round, tree.community_a1)
        services.round_unit_households_set(round_unit=a1, actor=supervisor, households=10)
        tokens = issue(survey_round, tree.community_a1, supervisor, count=4)
        void, _ = services.token_batch_create(round_unit=a1, actor=supervisor, count=6)
        services.token_batch_void(batch=void, actor=supervisor)
        link = services.open_link_create(round_unit=a1, actor=supervisor, place="文化广场")
        for token in tokens[:2]:
            services.survey_answer(token=token, answers=good_answers(survey_round))
        services.survey_answer(
            open_link=link, answers=good_answers(survey_round), device_id="d" * 22
        )
        with django_assert_num_queries(1):
            rows = {row.unit_id: row for row in selectors.response_rates(supervisor, survey_round)}
        assert set(rows) == {tree.community_a1.pk, tree.community_a2.pk}  # not 泉水村
        row = rows[tree.community_a1.pk]
        assert (row.answered, row.tokens_issued, row.tokens_used, row.open_answers) == (3, 4, 2, 1)
        assert selectors.rate(row.answered, row.households) == pytest.approx(0.3)
        assert rows[tree.community_a2.pk].answered == 0
        assert len(selectors.response_rates(admin, survey_round)) == 3

    def test_the_unit_itself_sees_no_answers_tokens_or_links(
        self, survey_round, tree, supervisor, secretary
    ):
        a1 = unit_of(survey_round, tree.community_a1)
        token = issue(survey_round, tree.community_a1, supervisor, count=1)[0]
        q = questions_by_key(survey_round)
        answers = good_answers(survey_round)
        answers[q["suggest"].pk] = "楼道灯坏了很久"
        services.survey_answer(token=token, answers=answers)
        assert selectors.text_answers(supervisor, a1).count() == 1
        assert selectors.text_answers(secretary, a1).count() == 0
        assert not selectors.response_rates(secretary, survey_round).exists()
        assert not selectors.token_batches(secretary, a1).exists()
        assert SurveyResponse.objects.count() == 1
