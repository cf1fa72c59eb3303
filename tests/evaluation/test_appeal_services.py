"""Appeals: who may file and when, decisions, and the recomputation an upheld appeal triggers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiceng.core import clock
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation.models import AppealStatus, Result, RoundUnit
from jiceng.evaluation.result_services import (
    appeal_decide,
    appeal_file,
    results_compute,
    round_publish,
)
from jiceng.orgs.roles import Role
from tests.evaluation.result_fixtures import give_answers, give_ratings, give_self, review_round
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(tree):
    """柳岸 (A1) 78.88, rank 2; 桂香 (A2) 96.67, rank 1 (see test_result_services)."""
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6)])
    give_answers(a, [5, 5, 4, 4])
    give_ratings(b, tree.street_a, [(5, 10), (5, 10), (5, 10), (5, 8), (0, 0)])
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
    results_compute(round_=round_, actor=admin)
    return round_publish(round_=round_, actor=admin)


def _unit(round_, unit):
    return RoundUnit.objects.get(round=round_, unit=unit)


def _secretary(tree):
    return actor_for(tree.people[Role.BRANCH_SECRETARY])


def test_the_unit_files_an_appeal_once_while_it_is_pending(tree, published):
    a = _unit(published, tree.community_a1)
    appeal = appeal_file(round_unit=a, actor=_secretary(tree), grounds="入户走访记录漏算了三次。")
    assert appeal.status == AppealStatus.PENDING
    assert AuditEntry.objects.filter(action="evaluation.appeal.filed").count() == 1
    with pytest.raises(Conflict):
        appeal_file(round_unit=a, actor=_secretary(tree), grounds="再次申诉。")


def test_grounds_are_required(tree, published):
    with pytest.raises(DomainError) as error:
        appeal_file(
            round_unit=_unit(published, tree.community_a1), actor=_secretary(tree), grounds="  "
        )
    assert error.value.field == "grounds"


def test_sibling_units_and_staff_without_the_capability_cannot_file(tree, published):
    a = _unit(published, tree.community_a1)
    sibling = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="gx"))
    with pytest.raises(Forbidden):
        appeal_file(round_unit=a, actor=sibling, grounds="替兄弟单位申诉。")
    with pytest.raises(Forbidden):
        appeal_file(
            round_unit=a, actor=actor_for(tree.people[Role.COMMUNITY_STAFF]), grounds="申诉。"
        )
    with pytest.raises(Forbidden):  # the street above may not appeal on the unit's behalf
        appeal_file(
            round_unit=a, actor=actor_for(tree.people[Role.STREET_SUPERVISOR]), grounds="申诉。"
        )


def test_appeals_close_at_the_deadline(tree, published):
    a = _unit(published, tree.community_a1)
    with clock.at(published.appeal_deadline + timedelta(seconds=1)), pytest.raises(Conflict):
        appeal_file(round_unit=a, actor=_secretary(tree), grounds="逾期申诉。")
    with clock.at(published.appeal_deadline):
        appeal_file(round_unit=a, actor=_secretary(tree), grounds="最后一刻申诉。")


def test_no_appeal_before_publication(tree):
    round_ = review_round(tree.district, [tree.community_a1])
    with pytest.raises(Conflict):
        appeal_file(
            round_unit=_unit(round_, tree.community_a1), actor=_secretary(tree), grounds="申诉。"
        )


def test_dismissal_needs_a_reason_and_only_the_district_decides(tree, published):
    appeal = appeal_file(
        round_unit=_unit(published, tree.community_a1), actor=_secretary(tree), grounds="申诉。"
    )
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
    with pytest.raises(Forbidden):
        appeal_decide(
            appeal=appeal,
            actor=actor_for(tree.people[Role.STREET_SUPERVISOR]),
            upheld=False,
            reason="不成立。",
        )
    with pytest.raises(DomainError):
        appeal_decide(appeal=appeal, actor=admin, upheld=False, reason=" ")
    decided = appeal_decide(
        appeal=appeal, actor=admin, upheld=False, reason="走访记录已核实，无漏算。"
    )
    assert decided.status == AppealStatus.DISMISSED
    assert decided.decision_reason == "走访记录已核实，无漏算。"
    with pytest.raises(Conflict):
        appeal_decide(appeal=decided, actor=admin, upheld=True, reason="改判。")
    assert AuditEntry.objects.filter(action="evaluation.appeal.dismissed").count() == 1


def test_an_upheld_correction_recomputes_ranks_and_is_audit_logged(tree, published):
    a = _unit(published, tree.community_a1)
    appeal = appeal_file(round_unit=a, actor=_secretary(tree), grounds="上级评分漏看了材料。")
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])

    appeal_decide(
        appeal=appeal,
        actor=admin,
        upheld=True,
        reason="材料属实，上级与群众评分均更正为 100 分。",
        adjustments={"superior": 100, "residents": "100"},
    )

    result = Result.objects.get(round_unit=a)
    # (80·10 + 100·45 + 100·45) / 100 = 98, now ahead of 桂香's 96.67
    assert (result.residents_score, result.superior_score) == (100.0, 100.0)
    assert result.composite == 98.0
    assert result.rank == 1
    assert result.grade == "good"
    assert result.details["adjustments"] == {"superior": 100.0, "residents": 100.0}
    assert Result.objects.get(round_unit=_unit(published, tree.community_a2)).rank == 2
    entry = AuditEntry.objects.get(action="evaluation.appeal.upheld")
    changed = {change["round_unit"]: change for change in entry.data["changes"]}
    assert changed[a.pk]["before"] == {"composite": 78.88, "grade": "fairly_good", "rank": 2}
    assert changed[a.pk]["after"] == {"composite": 98.0, "grade": "good", "rank": 1}
    b = _unit(published, tree.community_a2)
    assert (changed[b.pk]["before"]["rank"], changed[b.pk]["after"]["rank"]) == (1, 2)
    assert entry.data["adjustments"] == {"superior": 100.0, "residents": 100.0}

    # Kept where every later recomputation reads it.
    published.refresh_from_db()
    assert published.snapshot["adjustments"] == {str(a.pk): {"superior": 100.0, "residents": 100.0}}


def test_a_correction_must_name_a_source_and_a_score_within_range(tree, published):
    appeal = appeal_file(
        round_unit=_unit(published, tree.community_a1), actor=_secretary(tree), grounds="申诉。"
    )
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
    for adjustments in ({"nobody": 50}, {"superior": 101}, {"superior": "x"}):
        with pytest.raises(DomainError):
            appeal_decide(
                appeal=appeal, actor=admin, upheld=True, reason="", adjustments=adjustments
            )
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.PENDING
