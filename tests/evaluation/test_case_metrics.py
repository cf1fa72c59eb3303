"""Case metrics of a round's units, from cases built through the case services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.cases import services
from jiceng.cases.models import Case, Category, Channel
from jiceng.cases.rate_services import rate_tallies_rebuild
from jiceng.cases.rates import Month
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, RESIDENT, SYSTEM
from jiceng.evaluation.case_metrics import case_tallies, period_months
from jiceng.evaluation.models import Result, RoundState, RoundUnit, UnitClass
from jiceng.evaluation.result_services import results_compute
from jiceng.evaluation.scoring import CaseTally
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.evaluation.result_fixtures import SMALL_ROUND_CONFIG, give_answers
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=SHANGHAI)


def _submit(tree, area, moment: datetime) -> Case:
    with clock.at(moment):
        return services.case_submit(
            actor=ANONYMOUS,
            category=Category.objects.get(code="rubbish"),
            area=area,
            title="小区垃圾站满溢",
            description="小区垃圾站已经三天没有清运，气味很大。",
            channel=Channel.WEB,
        )


def _handle(case: Case, actor, accepted: datetime, resolved: datetime) -> None:
    with clock.at(accepted):
        services.case_accept(case=case, actor=actor)
    with clock.at(accepted + timedelta(minutes=5)):
        services.case_dispatch(case=case, actor=actor, to_unit=actor.unit)
    with clock.at(resolved):
        services.case_resolve(case=case, actor=actor, body="已处理完毕，请您确认。")


@pytest.fixture
def round_with_cases(tree):
    """March 2025 in 柳岸 (A1) and 桂香 (A2); one April case in 柳岸 lies outside the period.

    A1: c1 accepted and resolved in time, answered "yes" rated 5 (closed on feedback);
        c2 accepted an hour late, resolved an hour late, answered "partly" rated 3.
    A2: c3 accepted and resolved in time, never answered, closed for want of feedback.
    """
    a1 = actor_for(tree.people[Role.BRANCH_SECRETARY])
    a2 = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="a2"))
    c1 = _submit(tree, tree.community_a1, at(3, 3))
    _handle(c1, a1, c1.respond_by, at(3, 4, 10))
    with clock.at(at(3, 5)):
        services.case_feedback(case=c1, actor=RESIDENT, solved="yes", satisfaction=5)
    c2 = _submit(tree, tree.community_a1, at(3, 10))
    c2.refresh_from_db()
    _handle(c2, a1, c2.respond_by + timedelta(hours=1), c2.resolve_by + timedelta(hours=1))
    with clock.at(at(3, 28)):
        services.case_feedback(case=c2, actor=RESIDENT, solved="partly", satisfaction=3)
    c3 = _submit(tree, tree.community_a2, at(3, 6))
    _handle(c3, a2, c3.respond_by - timedelta(hours=1), at(3, 7))
    with clock.at(at(3, 25)):
        services.case_close_without_feedback(case=c3, actor=SYSTEM)
    c4 = _submit(tree, tree.community_a1, at(4, 2))
    _handle(c4, a1, c4.respond_by, at(4, 3))
    schemes = [make_scheme(tree.district), make_scheme(tree.district, UnitClass.VILLAGE)]
    return make_open_round(
        tree.district,
        [tree.community_a1, tree.community_a2, tree.community_b1],
        schemes,
        state=RoundState.REVIEW,
        period=(date(2025, 3, 1), date(2025, 3, 31)),
    )


EXPECTED = {
    "QH-DH-LA": CaseTally(
        response=(1, 2), resolution=(2, 2), satisfaction=(1, 2), on_time=(1, 2), no_feedback=(0, 2)
    ),
    "QH-DH-GX": CaseTally(
        response=(1, 1), resolution=(0, 0), satisfaction=(0, 0), on_time=(1, 1), no_feedback=(1, 1)
    ),
    "QH-SQ-QS": CaseTally(),
}


def _by_code(round_, tallies):
    codes = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit__code"))
    return {codes[pk]: tally for pk, tally in tallies.items()}


def test_case_metrics_count_the_period_live(round_with_cases):
    with CaptureQueriesContext(connection) as queries:
        tallies = case_tallies(round_with_cases, now=NOW)
    assert _by_code(round_with_cases, tallies) == EXPECTED
    assert len(queries) <= 4


def test_case_metrics_read_the_stored_monthly_tallies(round_with_cases):
    rate_tallies_rebuild([Month(2025, 3)], now=NOW)
    with CaptureQueriesContext(connection) as queries:
        tallies = case_tallies(round_with_cases, now=NOW)
    assert _by_code(round_with_cases, tallies) == EXPECTED
    assert not any("UNION" in query["sql"] for query in queries.captured_queries)
    assert len(queries) <= 4


def test_a_period_covers_every_month_it_touches():
    assert period_months(date(2025, 11, 15), date(2026, 2, 1)) == [
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 1),
        Month(2026, 2),
    ]


def test_computing_the_results_brings_in_the_periods_case_metrics(tree, round_with_cases):
    """No one enters case metrics: computing the round reads them from the period's cases.

    Both communities: four answers 5, 5, 4, 4 → rating 87.5 (no prior in these settings).
    The scheme's only case metric is on-time (target 95 %, floor 60 %): 柳岸 1 of 2 = 50 %
    → 0; 桂香 1 of 1 → 100. Residents' part = (87.5·40 + metric·30) / 70 (no yes/no answers):
    柳岸 50.0, 桂香 92.86. The April case of 柳岸 lies outside the period and is not counted.
    """
    round_with_cases.snapshot = {**round_with_cases.snapshot, "config": SMALL_ROUND_CONFIG}
    round_with_cases.save(update_fields=["snapshot"])
    for unit in (tree.community_a1, tree.community_a2):
        give_answers(RoundUnit.objects.get(round=round_with_cases, unit=unit), [5, 5, 4, 4])

    with clock.at(NOW):
        results_compute(round_=round_with_cases, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))

    results = {
        result.round_unit.unit.code: result
        for result in Result.objects.filter(round_unit__round=round_with_cases).select_related(
            "round_unit__unit"
        )
    }
    la, gx = results["QH-DH-LA"], results["QH-DH-GX"]
    assert la.details["cases"]["on_time"] == [1, 2]
    assert la.details["cases"]["no_feedback"] == [0, 2]
    assert gx.details["cases"]["on_time"] == [1, 1]
    assert (la.details["residents"]["cases"], gx.details["residents"]["cases"]) == (0.0, 100.0)
    assert la.residents_score == pytest.approx(50.0, abs=0.005)
    assert gx.residents_score == pytest.approx(92.86, abs=0.005)
