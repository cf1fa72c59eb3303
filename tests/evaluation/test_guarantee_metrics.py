"""Guarantee metrics (venues, funds, staff, care visits, rectification) of a round's units, and
how they enter the superior's source (docs/SCORING.md "Guarantee metrics in the superior's
assessment"). State is built through the support and conduct services; the numbers are worked
out by hand in the comments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.conduct.rectification_services import rectification_open, rectification_report
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.evaluation.guarantee_metrics import guarantee_metrics, used_guarantee_metrics
from jiceng.evaluation.models import (
    Indicator,
    Result,
    RoundState,
    RoundUnit,
    Scheme,
    ScoringRule,
)
from jiceng.evaluation.result_services import results_compute
from jiceng.evaluation.round_selectors import rater_scores, rater_summaries
from jiceng.evaluation.scoring import GUARANTEE_METRICS
from jiceng.orgs.models import Membership, OrgUnit, UnitKind
from jiceng.orgs.roles import Role
from jiceng.support import care_services, staff_services
from jiceng.support.care_services import CareDetails
from jiceng.support.venue_services import checkin_record, spotcheck_record
from tests.evaluation.factories import make_open_round, make_scheme
from tests.evaluation.result_fixtures import SMALL_ROUND_CONFIG, give_ratings
from tests.factories import actor_for, make_unit
from tests.support.funds_helpers import allocate, spend
from tests.support.venue_helpers import OFFICE, local, make_venue

pytestmark = pytest.mark.django_db

# Friday 20 March 2026, 10:00 in Shanghai: "now" for the state and the computation.
NOW = local(2026, 3, 20, 10)
FIRST_HALF = (date(2026, 1, 1), date(2026, 6, 30))


CLASSES = ("community", "street")


def guarantee_scheme(owner, keys=GUARANTEE_METRICS, *, unit_class="community"):
    """`make_scheme`'s two dimensions plus a third, guarantees (weight 50 like the others), with
    one metric indicator per key (weight 1 each): target 0.9 and floor 0.5, for the staff ratio
    3 and 1 per 1,000 residents."""
    scheme = Scheme.objects.filter(family=f"test-{unit_class}").first()
    if scheme is not None:  # a second round in one test: a new family for its keys
        Scheme.objects.filter(pk=scheme.pk).update(family=f"old-{scheme.pk}")
    scheme = make_scheme(owner, unit_class)
    guarantees = Indicator.objects.create(
        scheme=scheme, code="guarantees", name="强化服务保障", weight=Decimal("50"), position=3
    )
    for position, key in enumerate(keys, start=1):
        Indicator.objects.create(
            scheme=scheme,
            parent=guarantees,
            code=f"g-{key}",
            name=key,
            rule=ScoringRule.METRIC,
            rule_options={
                "metric": key,
                "target": 3 if key == "staff_ratio" else 0.9,
                "floor": 1 if key == "staff_ratio" else 0.5,
            },
            scored_by_self=False,
            scored_by_superior=False,
            position=position,
        )
    return scheme


def open_round(tree, units, keys=GUARANTEE_METRICS, *, period=FIRST_HALF, state=None):
    schemes = [guarantee_scheme(tree.district, keys, unit_class=cls) for cls in CLASSES]
    with clock.at(NOW):
        round_ = make_open_round(
            tree.district, units, schemes, state=state or RoundState.REVIEW, period=period
        )
    round_.snapshot = {**round_.snapshot, "config": SMALL_ROUND_CONFIG}
    round_.save(update_fields=["snapshot"])
    return round_


def values_by_unit(round_):
    values = guarantee_metrics(round_)
    units = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit__code"))
    return {units[pk]: metrics for pk, metrics in values.items()}


def supervisor(tree):
    return actor_for(tree.people[Role.STREET_SUPERVISOR])


# --- each metric ---------------------------------------------------------------------------
def test_venue_open_is_the_share_of_spot_checks_in_hours_that_found_the_venues_open(tree):
    inspector = supervisor(tree)
    with clock.at(NOW):
        centre = make_venue(tree.community_a1)
        room = make_venue(tree.community_a1, name="柳岸活动室", kind="activity_room")
        street = make_venue(tree.street_a, name="东湖街道党群服务中心")
        make_venue(tree.community_a2, name="桂香服务中心")  # never checked

        def check(venue, moment, found_open, actor=inspector):
            spotcheck_record(
                actor=actor,
                venue=venue,
                checked_at=moment,
                found_open=found_open,
                staff_present=1 if found_open else 0,
                condition="good",
            )

        check(centre, local(2026, 3, 16, 10), True)  # Monday, during posted hours
        check(centre, local(2026, 3, 17, 10), False)  # Tuesday, closed during hours
        check(room, local(2026, 3, 18, 15), True)  # Wednesday afternoon, open
        check(centre, local(2026, 3, 14, 10), False)  # Saturday: no posted hours, not counted
        # The street's own centre (checked from above it), open.
        check(street, local(2026, 3, 19, 10), True, actor=SYSTEM)
        round_ = open_round(tree, [tree.street_a, tree.community_a1, tree.community_a2])
        values = values_by_unit(round_)
    # 柳岸社区's two venues: 3 checks during hours, 1 closed → 2 / 3 open.
    assert values["QH-DH-LA"]["venue_open"] == pytest.approx(2 / 3)
    # The street counts its own venue and its communities': 3 open of 4.
    assert values["QH-DH"]["venue_open"] == 0.75
    # 桂香社区 has a venue nobody checked: not measured, not 0.
    assert values["QH-DH-GX"]["venue_open"] is None


def test_venue_visits_are_check_ins_during_posted_hours_per_posted_open_hour(tree):
    week = (date(2026, 3, 9), date(2026, 3, 13))  # Monday to Friday, no holiday
    with clock.at(local(2026, 3, 1, 9)):
        centre = make_venue(tree.community_a1)  # 7 h a weekday: 35 h in the week
        room = make_venue(
            tree.community_a1, name="柳岸活动室", kind="activity_room", weekly={0: OFFICE}
        )  # Mondays only: 7 h
        street = make_venue(tree.street_a, name="东湖街道党群服务中心")  # 35 h
        make_venue(tree.community_a2, name="桂香服务中心")  # 35 h, nobody comes

    def visits(venue, moments):
        for n, moment in enumerate(moments):
            with clock.at(moment):
                checkin_record(venue=venue, device_id=f"{venue.pk}-{n}".ljust(22, "x"))

    # 柳岸社区's centre: 6 check-ins during posted hours, one at lunch and one on Saturday
    # (outside them, not counted); its activity room: 1 on Monday morning.
    visits(centre, [local(2026, 3, day, hour) for day in (9, 10, 11) for hour in (10, 15)])
    visits(centre, [local(2026, 3, 12, 13), local(2026, 3, 14, 10)])
    visits(room, [local(2026, 3, 9, 11)])
    visits(street, [local(2026, 3, 13, 16)])
    bare = make_unit(tree.street_a, UnitKind.COMMUNITY, "新村社区")
    units = [tree.street_a, tree.community_a1, tree.community_a2, bare]
    round_ = open_round(tree, units, ("venue_open", "venue_visits"), period=week)
    with clock.at(NOW):
        values = values_by_unit(round_)
    # 柳岸社区: 7 check-ins during hours over 35 + 7 open hours.
    assert values["QH-DH-LA"]["venue_visits"] == pytest.approx(7 / 42)
    # The street: its own venue and its communities', 8 over 35 + 7 + 35 + 35 = 112 hours.
    assert values["QH-DH"]["venue_visits"] == pytest.approx(8 / 112)
    # 桂香社区's venue was open and nobody came: 0, which is a finding, not "not measured".
    assert values["QH-DH-GX"]["venue_visits"] == 0
    # A community without venues: not measured.
    assert values[bare.code]["venue_visits"] is None
    # No spot check in the week: the other venue metric is not measured.
    assert values["QH-DH-LA"]["venue_open"] is None


def test_fund_execution_is_spent_over_allocated_of_the_units_own_ledger_over_the_years(tree):
    with clock.at(NOW):
        # 柳岸社区: 2025 allocated 5,000, spent 5,000; 2026 allocated 10,000, spent 2,500.
        allocate(SYSTEM, tree.community_a1, "5000.00", year=2025)
        spend(SYSTEM, tree.community_a1, "5000.00", spent_on=date(2025, 9, 1))
        allocate(SYSTEM, tree.community_a1, "10000.00", year=2026)
        spend(SYSTEM, tree.community_a1, "2500.00", spent_on=date(2026, 3, 5))
        # A pending expense (above the 5,000.00 approval threshold) is committed, not spent.
        spend(SYSTEM, tree.community_a1, "6000.00", spent_on=date(2026, 3, 6))
        # 桂香社区: 2026 only, 10,000 allocated, 3,000 spent.
        allocate(SYSTEM, tree.community_a2, "10000.00", year=2026)
        spend(SYSTEM, tree.community_a2, "3000.00", spent_on=date(2026, 2, 1))
        # The street's own ledger is empty; its communities' ledgers are theirs, not its own.
        units = [tree.street_a, tree.community_a1, tree.community_a2]
        both_years = values_by_unit(
            open_round(tree, units, ("fund_execution",), period=(date(2025, 7, 1), FIRST_HALF[1]))
        )
    # (5,000 + 2,500) / (5,000 + 10,000) = 0.5: summed over the years before dividing.
    assert both_years["QH-DH-LA"] == {"fund_execution": 0.5}
    assert both_years["QH-DH-GX"] == {"fund_execution": 0.3}
    assert both_years["QH-DH"] == {"fund_execution": None}  # nothing allocated: not measured
    with clock.at(NOW):
        one_year = values_by_unit(open_round(tree, units, ("fund_execution",)))
    assert one_year["QH-DH-LA"] == {"fund_execution": 0.25}  # 2,500 / 10,000 in 2026 alone


def test_staff_ratio_counts_active_staff_of_the_subtree_per_thousand_residents(tree):
    OrgUnit.objects.filter(pk=tree.community_a1.pk).update(population=2000)
    OrgUnit.objects.filter(pk=tree.street_a.pk).update(population=5000)
    with clock.at(NOW):
        for name in ("王敏", "李强", "赵丽"):
            staff_services.staff_add(
                actor=SYSTEM,
                unit=tree.community_a1,
                name=name,
                position="社区工作者",
                employment="full_time",
            )
        staff_services.staff_add(
            actor=SYSTEM,
            unit=tree.grid_a1,
            name="周网格",
            position="网格员",
            employment="part_time",
        )
        gone = staff_services.staff_add(
            actor=SYSTEM,
            unit=tree.community_a1,
            name="钱离",
            position="社区工作者",
            employment="full_time",
        )
        staff_services.staff_leave(
            actor=SYSTEM, staff=gone, left_on=date(2026, 3, 1), reason="调离"
        )
        staff_services.staff_add(
            actor=SYSTEM,
            unit=tree.community_a2,
            name="孙桂",
            position="社区工作者",
            employment="full_time",
        )
        round_ = open_round(
            tree, [tree.street_a, tree.community_a1, tree.community_a2], ("staff_ratio",)
        )
        values = values_by_unit(round_)
    assert values["QH-DH-LA"] == {"staff_ratio": 2.0}  # 4 active (grid included) per 2,000
    assert values["QH-DH"] == {"staff_ratio": 1.0}  # 5 per 5,000
    assert values["QH-DH-GX"] == {"staff_ratio": None}  # population not recorded


def _household(unit, *, frequency, first_due_on, interval_days=None, visitor=None):
    return care_services.care_target_create(
        actor=SYSTEM,
        unit=unit,
        details=CareDetails(
            category="elderly_alone",
            name="李奶奶",
            address="柳岸路88号3号楼201",
            phone="13812345678",
            id_last4="123X",
            notes="独居",
            frequency=frequency,
            interval_days=interval_days,
            first_due_on=first_due_on,
        ),
        responsible=[visitor] if visitor else [],
    )


def test_care_visits_are_the_visits_done_on_time_over_the_visits_due(tree):
    staff = Membership.objects.get(user=tree.people[Role.COMMUNITY_STAFF])
    with clock.at(NOW):
        weekly = _household(
            tree.community_a1, frequency="weekly", first_due_on=date(2026, 3, 2), visitor=staff
        )
        for day in (2, 9, 18):
            care_services.care_visit_record(
                actor=SYSTEM,
                target=weekly,
                visited_on=date(2026, 3, day),
                form="home",
                findings="身体尚好。",
                visitor=staff,
            )
        _household(tree.grid_a1, frequency="days", interval_days=10, first_due_on=date(2026, 3, 5))
        round_ = open_round(
            tree, [tree.street_a, tree.community_a1, tree.community_a2], ("care_visits",)
        )
        values = values_by_unit(round_)
    # Weekly: due 2 Mar (on time), 9 Mar (on time), 16 Mar (late, visited the 18th); the next
    # falls due on 25 Mar, not yet. Every 10 days: due 5 Mar and 15 Mar, both passed unvisited.
    # 柳岸社区 with its grid: 2 on time of 3 + 2 due = 2 / 5.
    assert values["QH-DH-LA"] == {"care_visits": 0.4}
    assert values["QH-DH"] == {"care_visits": 0.4}
    assert values["QH-DH-GX"] == {"care_visits": None}  # nothing due


def test_rectification_is_the_weighted_progress_of_the_periods_items(tree):
    # Items are stamped with the real time, so the period runs around today.
    today = timezone.localdate()
    period = (today - timedelta(days=30), today + timedelta(days=30))
    deadline = timezone.now() + timedelta(days=10)
    first = rectification_open(
        actor=supervisor(tree),
        unit=tree.community_a1,
        title="开放时间未公示",
        deadline=deadline,
        source_kind="supervision",
        weight=2,
    )
    rectification_open(
        actor=supervisor(tree),
        unit=tree.grid_a1,
        title="台账不全",
        deadline=deadline,
        source_kind="supervision",
        weight=1,
    )
    rectification_report(
        actor=actor_for(tree.people[Role.COMMUNITY_STAFF]), item=first, progress=50, note="进行中"
    )
    round_ = open_round(
        tree,
        [tree.street_a, tree.community_a1, tree.community_a2],
        ("rectification",),
        period=period,
    )
    values = values_by_unit(round_)
    # (2 × 50 + 1 × 0) / (2 + 1) = 33.3 % (the roll-up rounds to one decimal) → 0.333.
    assert values["QH-DH-LA"] == {"rectification": pytest.approx(0.333)}
    assert values["QH-DH"] == {"rectification": pytest.approx(0.333)}
    assert values["QH-DH-GX"] == {"rectification": None}  # no items: not measured


def test_nothing_recorded_gives_none_for_every_metric(tree):
    round_ = open_round(tree, [tree.community_a1, tree.community_a2])
    with clock.at(NOW):
        values = values_by_unit(round_)
    assert values == {
        "QH-DH-LA": dict.fromkeys(GUARANTEE_METRICS),
        "QH-DH-GX": dict.fromkeys(GUARANTEE_METRICS),
    }


def test_a_round_whose_schemes_use_no_guarantee_metric_reads_nothing(tree):
    scheme = make_scheme(tree.district, "community")
    with clock.at(NOW):
        round_ = make_open_round(
            tree.district, [tree.community_a1], [scheme], state=RoundState.REVIEW
        )
    assert used_guarantee_metrics(round_.snapshot) == set()
    with CaptureQueriesContext(connection) as queries:
        values = guarantee_metrics(round_)
    assert list(values.values()) == [{}]
    assert len(queries) == 1  # the round's units


# --- scoring -------------------------------------------------------------------------------
def fund_round(tree):
    """Two communities rated alike by one rater each; only their fund execution differs, and a
    third community has no allocation at all."""
    third = make_unit(tree.street_a, UnitKind.COMMUNITY, "新村社区")
    with clock.at(NOW):
        allocate(SYSTEM, tree.community_a1, "10000.00")
        spend(SYSTEM, tree.community_a1, "4000.00", spent_on=date(2026, 2, 1))
        spend(SYSTEM, tree.community_a1, "3000.00", spent_on=date(2026, 3, 1))
        allocate(SYSTEM, tree.community_a2, "10000.00")
        spend(SYSTEM, tree.community_a2, "3000.00", spent_on=date(2026, 2, 1))
    units = [tree.community_a1, tree.community_a2, third]
    round_ = open_round(tree, units, ("fund_execution",))
    for round_unit in RoundUnit.objects.filter(round=round_):
        give_ratings(round_unit, tree.street_a, [(4, 10)])  # visits 4 of 5, nothing deducted
    return round_, third


def test_better_fund_execution_gives_a_higher_superior_score(tree):
    round_, third = fund_round(tree)
    with clock.at(NOW):
        results_compute(round_=round_, actor=SYSTEM)
    results = {r.round_unit.unit_id: r for r in Result.objects.filter(round_unit__round=round_)}
    # Each rating: service = (checklist 100 + visits 80) / 2 = 90; outcome = complaints 100 (the
    # on-time case metric belongs to the residents); guarantees = fund execution scored
    # against target 0.9, floor 0.5. Dimensions weigh 50 each.
    # 柳岸 7,000 / 10,000 = 0.7 → (0.7 − 0.5) / 0.4 = 50 → (90 + 100 + 50) / 3 = 80.
    a1 = results[tree.community_a1.pk]
    assert a1.superior_score == 80.0
    assert a1.details["guarantees"] == {"fund_execution": 0.7}
    assert a1.details["dimensions"]["superior"] == {
        "service": 90.0,
        "outcome": 100.0,
        "guarantees": 50.0,
    }
    # 桂香 0.3, below the floor → 0 → (90 + 100 + 0) / 3 = 63.33.
    a2 = results[tree.community_a2.pk]
    assert a2.superior_score == 63.33
    assert a2.superior_score < a1.superior_score
    # No allocation: not measured; the guarantees dimension gives its weight to the others.
    new = results[third.pk]
    assert new.details["guarantees"] == {"fund_execution": None}
    assert new.superior_score == 95.0  # (90 + 100) / 2


def test_every_rater_of_a_unit_gets_the_same_automatic_part(tree):
    round_, _third = fund_round(tree)
    a1 = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    give_ratings(a1, tree.street_a, [(0, 0)])  # a harsh second rater: service 50, outcome 0
    with clock.at(NOW):
        metrics = guarantee_metrics(round_)
    # (50 + 0 + 50) / 3 = 33.33 and (90 + 100 + 50) / 3 = 80: the fund part is 50 for both.
    assert rater_scores(round_, [a1.pk], metrics=metrics)[a1.pk] == pytest.approx([100 / 3, 80])


def test_the_rounds_page_aggregate_leaves_the_guarantee_metrics_out(tree, client):
    round_, _third = fund_round(tree)
    summaries = rater_summaries(round_)
    # Hand-scored indicators only: (90 + 100) / 2 for every unit, whatever its funds.
    assert {summary.score for summary in summaries.values()} == {95.0}
    round_.state = RoundState.SUPERIOR
    round_.save(update_fields=["state"])
    client.force_login(tree.people[Role.DISTRICT_ADMIN])
    page = client.get(f"/evaluation/rounds/{round_.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "without objective indicators" in page.content.decode()
    # A round whose schemes have no guarantee metric has nothing to warn about.
    plain = make_open_round(
        tree.district,
        [tree.community_b1],
        [make_scheme(tree.district, "village")],
        state=RoundState.SUPERIOR,
    )
    page = client.get(f"/evaluation/rounds/{plain.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Rater spread" in page.content.decode()  # the raters' columns are there
    assert "without objective indicators" not in page.content.decode()


def test_computing_costs_the_same_queries_for_more_units_with_guarantee_metrics(tree):
    """Every guarantee metric in the scheme, state for each, then six more units with state."""
    inspector = supervisor(tree)

    def give_state(unit, index):
        OrgUnit.objects.filter(pk=unit.pk).update(population=1000 + index)
        unit.refresh_from_db()
        venue = make_venue(unit, name=f"服务中心{index}")
        spotcheck_record(
            actor=inspector,
            venue=venue,
            checked_at=local(2026, 3, 16, 10),
            found_open=True,
            staff_present=1,
            condition="good",
        )
        allocate(SYSTEM, unit, "1000.00")
        spend(SYSTEM, unit, "100.00")
        staff_services.staff_add(
            actor=SYSTEM, unit=unit, name=f"员工{index}", position="社工", employment="full_time"
        )
        _household(unit, frequency="weekly", first_due_on=date(2026, 3, 2))
        rectification_open(
            actor=inspector,
            unit=unit,
            title="问题",
            deadline=timezone.now() + timedelta(days=5),
            source_kind="supervision",
        )

    with clock.at(NOW):
        give_state(tree.community_a1, 0)
        round_ = open_round(tree, [tree.community_a1])
        give_ratings(RoundUnit.objects.get(round=round_), tree.street_a, [(3, 8)])
        results_compute(round_=round_, actor=SYSTEM)
        with CaptureQueriesContext(connection) as few:
            results_compute(round_=round_, actor=SYSTEM)
        for index in range(1, 7):
            unit = make_unit(tree.street_a, UnitKind.COMMUNITY, f"新社区{index}")
            give_state(unit, index)
            round_unit = RoundUnit.objects.create(
                round=round_, unit=unit, unit_class="community", unit_path=unit.path
            )
            give_ratings(round_unit, tree.street_a, [(2, 2)])
        with CaptureQueriesContext(connection) as many:
            assert len(results_compute(round_=round_, actor=SYSTEM)) == 7
    metrics = Result.objects.filter(round_unit__round=round_).values_list("details", flat=True)
    # Each unit: its one spot check found the venue open; its weekly household was never
    # visited (due 2, 9 and 16 March, all missed).
    assert all(
        details["guarantees"]["venue_open"] == 1.0 and details["guarantees"]["care_visits"] == 0.0
        for details in metrics
    )
    assert len(many) == len(few)
