"""Computing and publishing results on small rounds worked out by hand (result_fixtures)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation.models import Result, RoundState, RoundUnit
from jiceng.evaluation.result_services import class_configs, results_compute, round_publish
from jiceng.evaluation.round_config import scoring_config
from jiceng.evaluation.scoring import ScoringConfig
from jiceng.orgs.roles import Role, UnitKind
from tests.evaluation.result_fixtures import give_answers, give_ratings, give_self, review_round
from tests.factories import actor_for, make_unit

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def scored_round(tree):
    """A (柳岸): self 80, one rater 70, residents 5,5,4,4 → 87.5 (three excluded answers).
    B (桂香): no self, raters 100,100,100,90,25 → trimmed mean 96.67, no residents.
    C (泉水村, a village): nothing at all."""
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2, tree.community_b1])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6)])
    give_answers(a, [5, 5, 4, 4], excluded=3)
    give_ratings(b, tree.street_a, [(5, 10), (5, 10), (5, 10), (5, 8), (0, 0)])
    return round_


def _admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def _by_unit(round_):
    return {r.round_unit.unit.code: r for r in Result.objects.filter(round_unit__round=round_)}


def test_results_match_the_hand_computed_round(tree, scored_round):
    results_compute(round_=scored_round, actor=_admin(tree))
    results = _by_unit(scored_round)

    a = results["QH-DH-LA"]
    assert (a.self_score, a.residents_score, a.superior_score) == (80.0, 87.5, 70.0)
    # (80·10 + 87.5·45 + 70·45) / 100 = 78.875, shown as 78.88
    assert a.composite == 78.88
    assert a.grade == "fairly_good"
    assert (a.rank, a.peers) == (2, 2)
    assert a.details["residents"]["responses"] == 4  # the excluded answers are not counted
    assert a.details["residents"]["kept_out"] == 3  # but are shown, with a flag
    assert a.details["raters"] == {
        "count": 1,
        "trimmed": False,
        "spread": 0.0,
        "lowest": 70.0,
        "highest": 70.0,
    }
    assert a.details["flags"] == ["answers_kept_out", "single_rater"]
    assert a.details["dimensions"] == {
        "self": {"service": 90.0, "outcome": 70.0},
        "superior": {"service": 80.0, "outcome": 60.0},
    }

    b = results["QH-DH-GX"]
    assert b.self_score is None and b.residents_score is None
    assert b.superior_score == pytest.approx(96.67, abs=0.005)
    assert b.details["raters"]["trimmed"] is True
    assert b.composite == 96.67  # the superior alone: its weight takes the missing sources'
    assert b.details["grade_before_gates"] == "good"
    assert b.grade == "fairly_good"  # the superior alone cannot produce 好
    assert b.details["gates"] == ["good_needs_residents"]
    assert b.details["flags"] == ["no_responses", "rater_disagreement"]  # none, not "too few"
    assert (b.rank, b.peers) == (1, 2)

    c = results["QH-SQ-QS"]
    assert (c.composite, c.grade, c.rank, c.peers) == (None, "", None, 0)
    assert c.details["flags"] == ["not_assessed"]


def test_results_are_computed_only_under_review_and_by_the_district(tree, scored_round):
    with pytest.raises(Forbidden):
        results_compute(round_=scored_round, actor=actor_for(tree.people[Role.STREET_SUPERVISOR]))
    scored_round.state = RoundState.SUPERIOR
    scored_round.save()
    with pytest.raises(Conflict):
        results_compute(round_=scored_round, actor=_admin(tree))
    assert not Result.objects.exists()


def test_recomputing_replaces_the_results_and_logs_before_and_after(tree, scored_round):
    admin = _admin(tree)
    first = {r.round_unit_id: r.pk for r in results_compute(round_=scored_round, actor=admin)}
    a = RoundUnit.objects.get(round=scored_round, unit=tree.community_a1)
    give_ratings(a, tree.street_a, [(5, 10)])  # a second rater: superior (70 + 100) / 2 = 85

    again = results_compute(round_=scored_round, actor=admin)

    assert {r.round_unit_id: r.pk for r in again} == first  # report links stay valid
    assert _by_unit(scored_round)["QH-DH-LA"].superior_score == 85.0
    entry = AuditEntry.objects.filter(action="evaluation.result.recomputed").get()
    (change,) = entry.data["changes"]
    assert change["before"] == {"composite": 78.88, "grade": "fairly_good", "rank": 2}
    # (800 + 87.5·45 + 85·45) / 100 = 85.625 → 85.62 (half to even)
    assert change["after"]["composite"] == 85.62
    assert AuditEntry.objects.filter(action="evaluation.result.computed").count() == 1


def test_publishing_sets_the_appeal_deadline_in_working_days(tree, scored_round):
    admin = _admin(tree)
    with pytest.raises(DomainError):
        round_publish(round_=scored_round, actor=admin)  # nothing computed yet
    results_compute(round_=scored_round, actor=admin)
    friday = datetime(2026, 7, 3, 10, 0, tzinfo=SHANGHAI)
    with clock.at(friday):
        published = round_publish(round_=scored_round, actor=admin, unscored_confirmed=1)
    assert published.state == RoundState.PUBLISHED
    assert published.appeal_deadline == get_calendar().add_working_days(friday, 5)
    assert published.appeal_deadline.astimezone(SHANGHAI).date().isoformat() == "2026-07-10"
    with pytest.raises(Conflict):
        round_publish(round_=published, actor=admin, unscored_confirmed=1)
    assert AuditEntry.objects.filter(action="evaluation.result.published").count() == 1


def test_flags_tell_an_unassessed_unit_from_missing_and_too_few_responses(tree):
    """The minimum sample is 2 here (SMALL_ROUND_CONFIG)."""
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2, tree.community_b1])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    c = RoundUnit.objects.get(round=round_, unit=tree.community_b1)
    give_self(a, items=3, visits=4, complaints=7)
    give_answers(a, [5])  # one response, below the minimum of two
    give_self(b, items=3, visits=4, complaints=7)
    give_ratings(b, tree.street_a, [(3, 6), (4, 7)])  # no resident answered
    give_answers(c, [], excluded=2)  # only refused answers: still nobody assessed it

    results_compute(round_=round_, actor=_admin(tree))
    results = _by_unit(round_)

    few, none, unassessed = results["QH-DH-LA"], results["QH-DH-GX"], results["QH-SQ-QS"]
    assert few.details["residents"]["responses"] == 1
    assert few.details["flags"] == ["low_responses"]
    assert few.composite == 80.0  # the self-assessment alone
    assert none.details["residents"]["responses"] == 0
    assert none.details["flags"] == ["no_responses"]
    assert none.composite is not None
    # No inputs from any source: no composite, grade or rank, and one flag that says so (with
    # the refused answers, which explain it) rather than "too few responses" or "no responses".
    assert (unassessed.composite, unassessed.grade, unassessed.rank) == (None, "", None)
    assert unassessed.details["flags"] == ["not_assessed", "answers_kept_out"]


def test_publishing_with_unscored_units_needs_the_administrators_confirmation(tree, scored_round):
    admin = _admin(tree)
    results_compute(round_=scored_round, actor=admin)  # C (泉水村) has no composite

    with pytest.raises(DomainError) as refused, translation.override("en"):
        round_publish(round_=scored_round, actor=admin)
    assert str(refused.value.message) == (
        "1 of 3 units has no score; confirm that you want to publish the results anyway."
    )
    scored_round.refresh_from_db()
    assert scored_round.state == RoundState.REVIEW and scored_round.published_at is None
    assert not AuditEntry.objects.filter(action="evaluation.result.published").exists()

    with pytest.raises(DomainError):  # confirmed for another number of unscored units
        round_publish(round_=scored_round, actor=admin, unscored_confirmed=2)
    published = round_publish(round_=scored_round, actor=admin, unscored_confirmed=1)
    assert published.state == RoundState.PUBLISHED and published.appeal_deadline is not None
    entry = AuditEntry.objects.get(action="evaluation.result.published")
    assert entry.data["units"] == 3 and entry.data["unscored"] == 1
    assert entry.data["appeal_deadline"] == published.appeal_deadline.isoformat()


def test_a_round_with_every_unit_scored_publishes_without_confirmation(tree, scored_round):
    admin = _admin(tree)
    RoundUnit.objects.filter(round=scored_round, unit=tree.community_b1).delete()
    results_compute(round_=scored_round, actor=admin)

    assert round_publish(round_=scored_round, actor=admin).state == RoundState.PUBLISHED
    entry = AuditEntry.objects.get(action="evaluation.result.published")
    assert (entry.data["units"], entry.data["unscored"]) == (2, 0)


def test_invalid_scoring_settings_are_a_domain_error():
    assert scoring_config({"weights": {"self": 0, "residents": 50, "superior": 50}}).weights == (
        scoring_config({}).weights.__class__(0, 50, 50)
    )
    assert scoring_config({"cuts": {"good": 95}}).cuts.good == 95
    with pytest.raises(DomainError):
        scoring_config({"weights": {"self": 50, "residents": 50, "superior": 50}})
    with pytest.raises(DomainError):
        scoring_config({"no_such_setting": 1})


def test_the_system_actor_may_compute(tree, scored_round):
    assert len(results_compute(round_=scored_round, actor=SYSTEM)) == 3


def test_computing_costs_the_same_queries_for_more_units(tree, scored_round):
    admin = _admin(tree)
    results_compute(round_=scored_round, actor=admin)
    with CaptureQueriesContext(connection) as few:
        results_compute(round_=scored_round, actor=admin)
    for index in range(6):
        unit = make_unit(tree.street_a, UnitKind.COMMUNITY, f"新社区{index}")
        round_unit = RoundUnit.objects.create(
            round=scored_round, unit=unit, unit_class="community", unit_path=unit.path
        )
        give_self(round_unit, items=1, visits=1, complaints=1)
        give_ratings(round_unit, tree.street_a, [(2, 2)])
        give_answers(round_unit, [3, 4])
    with CaptureQueriesContext(connection) as many:
        assert len(results_compute(round_=scored_round, actor=admin)) == 9
    assert len(many) == len(few)


def test_each_class_scores_the_case_metrics_its_scheme_chose():
    def metric(code, key, weight, target, floor):
        options = {"metric": key, "target": target, "floor": floor}
        return {"code": code, "weight": weight, "rule": "metric", "rule_options": options}

    snapshot = {
        "schemes": {
            "community": {
                "dimensions": [
                    {
                        "code": "conduct",
                        "weight": "30",
                        "indicators": [
                            metric("a", "on_time", "1", 0.95, 0.6),
                            {"code": "b", "weight": "1", "rule": "scale", "rule_options": {}},
                        ],
                    },
                    {
                        "code": "outcome",
                        "weight": "70",
                        "indicators": [
                            metric("c", "satisfaction", "3", 0.9, 0.5),
                            metric("d", "on_time", "1", 0.9, 0.5),
                        ],
                    },
                ]
            },
            "village": {"dimensions": [{"code": "x", "weight": "1", "indicators": []}]},
        }
    }
    base = ScoringConfig()

    configs = class_configs(snapshot, base)

    rules = configs["community"].residents.case_metrics
    # on_time: 30 % · ½ + 70 % · ¼ = 32.5 points (target and floor of the first indicator);
    # satisfaction: 70 % · ¾ = 52.5; metrics the scheme did not choose are left out.
    assert set(rules) == {"on_time", "satisfaction"}
    assert (rules["on_time"].target, rules["on_time"].floor) == (0.95, 0.6)
    assert rules["on_time"].weight == pytest.approx(32.5)
    assert (rules["satisfaction"].target, rules["satisfaction"].floor) == (0.9, 0.5)
    assert rules["satisfaction"].weight == pytest.approx(52.5)
    # A scheme without metric indicators keeps the configured metrics.
    assert configs["village"] is base
