"""The case-rate selector against cases built through the services, checked by hand."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jiceng.cases import services
from jiceng.cases.models import Case, Category, RateTally
from jiceng.cases.rate_selectors import Peers, unit_rates
from jiceng.cases.rate_services import rate_tallies_rebuild
from jiceng.cases.rates import Median, Month, Rate
from jiceng.cases.tasks import rebuild_recent_rate_tallies
from jiceng.core import clock
from jiceng.core.actors import RESIDENT, SYSTEM, Actor
from jiceng.core.errors import DomainError, Forbidden
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Role, UnitKind
from tests.factories import actor_for, make_member, make_unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = Month(2025, 3)
APRIL = Month(2025, 4)
MONTHS = [Month(2025, 2), MARCH, APRIL]
NOW = datetime(2025, 4, 15, 12, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment of 2025 in Shanghai local time (March 2025 has no public holiday)."""
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Desk:
    """Who acts where in the scenario."""

    a1: Actor  # branch secretary of 柳岸社区 (community A1)
    a2: Actor  # branch secretary of 桂香社区 (community A2, no grids)
    grid: Actor  # grid worker of 柳岸第一网格 (grid A1)
    street: Actor  # street supervisor of 东湖街道 (street A)


@pytest.fixture
def desk(tree, actors) -> Desk:
    a2 = make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="a2_secretary")
    return Desk(
        a1=actors[Role.BRANCH_SECRETARY],
        a2=actor_for(a2),
        grid=actors[Role.GRID_WORKER],
        street=actors[Role.STREET_SUPERVISOR],
    )


def _submit(submit, moment: datetime, **fields) -> Case:
    with clock.at(moment):
        return submit(**fields)


def _accept(case: Case, actor: Actor, moment: datetime) -> Case:
    with clock.at(moment):
        return services.case_accept(case=case, actor=actor)


def _resolve_here(case: Case, actor: Actor, accepted: datetime, resolved: datetime) -> Case:
    """Accept, dispatch to the own unit, resolve."""
    _accept(case, actor, accepted)
    assert actor.unit is not None
    with clock.at(accepted + timedelta(minutes=5)):
        services.case_dispatch(case=case, actor=actor, to_unit=actor.unit)
    with clock.at(resolved):
        return services.case_resolve(case=case, actor=actor, body="已处理完毕，请您确认。")


def _answer(case: Case, moment: datetime, solved: str, satisfaction: int | None) -> None:
    with clock.at(moment):
        services.case_feedback(case=case, actor=RESIDENT, solved=solved, satisfaction=satisfaction)


def _close_unanswered(case: Case, moment: datetime) -> None:
    with clock.at(moment):
        services.case_close_without_feedback(case=case, actor=SYSTEM)


def build_march(tree, submit, desk: Desk) -> dict[str, Case]:
    """Ten cases in street A (and one in street B) around March 2025; see the expectations."""
    noise = Category.objects.get(code="noise")  # street level
    cases: dict[str, Case] = {}

    # c1 (A1): accepted exactly at respond_by; resolved 03-04 10:00 (25 h, on time); "yes", 5.
    c1 = cases["c1"] = _submit(submit, at(3, 3))
    _resolve_here(c1, desk.a1, c1.respond_by, at(3, 4, 10))
    _answer(c1, at(3, 5, 10), "yes", 5)

    # c2 (A1 → grid): accepted an hour late; the grid resolves 03-12 (late), the resident says
    # "no" (rated 2) and the case reopens with a new deadline (03-18 17:30); resolved again
    # 03-14 09:00 (on time, 240 h after submission); never answered again; closed 03-28.
    c2 = cases["c2"] = _submit(submit, at(3, 4))
    _accept(c2, desk.a1, c2.respond_by + timedelta(hours=1))
    with clock.at(c2.respond_by + timedelta(hours=2)):
        services.case_dispatch(case=c2, actor=desk.a1, to_unit=tree.grid_a1)
    with clock.at(at(3, 12)):
        services.case_resolve(case=c2, actor=desk.grid, body="已清运。")
    _answer(c2, at(3, 13, 10), "no", 2)
    with clock.at(at(3, 14)):
        services.case_resolve(case=c2, actor=desk.grid, body="再次清运并消毒。")
    _close_unanswered(c2, at(3, 28, 10))

    # c3 (A1): submitted 03-31 23:30 local (March), never accepted: late by NOW.
    cases["c3"] = _submit(submit, at(3, 31, 23, 30))

    # c4 (A1): rejected within the hour: a response in time.
    c4 = cases["c4"] = _submit(submit, at(3, 10))
    with clock.at(at(3, 10, 10)):
        services.case_reject(case=c4, actor=desk.a1, note="不属于本社区受理范围。")

    # c5 (A1): resolved 03-12, "no" (rated 1) reopens it; resolved again 03-13 09:00 (48 h,
    # on time against the new deadline), then "yes", 5 (round 2) and closed 03-14.
    c5 = cases["c5"] = _submit(submit, at(3, 11))
    _resolve_here(c5, desk.a1, at(3, 11, 10), at(3, 12))
    _answer(c5, at(3, 12, 15), "no", 1)
    with clock.at(at(3, 13)):
        services.case_resolve(case=c5, actor=desk.a1, body="已彻底清理。")
    _answer(c5, at(3, 14, 10), "yes", 5)

    # c6 (A2): resolved 03-06 (24 h, on time), no answer, closed for want of one 03-20.
    c6 = cases["c6"] = _submit(submit, at(3, 5), area=tree.community_a2)
    _resolve_here(c6, desk.a2, at(3, 5, 10), at(3, 6))
    _close_unanswered(c6, at(3, 20, 10))

    # c7 (street A itself, a street-level category): 24 h, on time, "partly" without rating.
    c7 = cases["c7"] = _submit(submit, at(3, 6), category=noise)
    _resolve_here(c7, desk.street, at(3, 6, 10), at(3, 7))
    _answer(c7, at(3, 10, 10), "partly", None)

    # c8 (street B): never accepted; not street A's business.
    cases["c8"] = _submit(submit, at(3, 5), area=tree.community_b1)

    # c9 (A1): resolved 03-31 23:30 local, after its deadline (03-20 17:30): 350.5 h, late.
    c9 = cases["c9"] = _submit(submit, at(3, 17))
    _resolve_here(c9, desk.a1, at(3, 17, 10), at(3, 31, 23, 30))

    # c10 (A1): accepted in time in March, resolved 04-01 00:30 local: April's.
    c10 = cases["c10"] = _submit(submit, at(3, 24))
    _resolve_here(c10, desk.a1, at(3, 24, 10), at(4, 1, 0, 30))

    # c11 (A1): submitted 04-15 11:00, not accepted, respond_by after NOW: not due yet.
    cases["c11"] = _submit(submit, at(4, 15, 11))
    return cases


@pytest.fixture
def march(tree, submit, desk) -> dict[str, Case]:
    return build_march(tree, submit, desk)


def _by_code(report):
    return {peer.unit.code: peer for peer in report.peers}


class TestStreetFigures:
    def test_the_street_and_everything_below_it(self, tree, march, desk):
        report = unit_rates(desk.street, months=MONTHS, now=NOW)
        assert report.unit == tree.street_a and report.months == MONTHS
        figures = report.total.months[MARCH]
        # Response, March: on time c1 (at the deadline), c4 (rejected), c5, c6, c7, c9, c10;
        # late c2 (an hour late), c3 (never accepted); c8 is street B's → 7 of 9.
        assert figures.response == Rate(7, 9)
        # Resolved in March: c1, c2 (grid), c5, c6, c7, c9; c10 is April's.
        # On time: all but c9 → 5 of 6.
        assert figures.on_time == Rate(5, 6)
        # Latest answers: c1 yes, c2 no (round 1, never answered again), c5 yes (round 2),
        # c7 partly; c6 and c9 none → 3 of 4.
        assert figures.resolution == Rate(3, 4)
        # Ratings: c1 5, c2 2, c5 5 (round 2, not round 1's 1); c7 unrated → 2 of 3.
        assert figures.satisfaction == Rate(2, 3)
        # Hours: c1 25, c2 240, c5 48, c6 24, c7 24, c9 350.5 → 24, 24, 25, 48, 240, 350.5;
        # median (25 + 48) / 2 = 36.5.
        assert figures.handling == Median(36.5, 6)
        # Closed in March: c1 (answer), c2 (none), c5 (answer), c6 (none), c7 (answer) → 2 of 5.
        assert figures.no_feedback == Rate(2, 5)

    def test_april_and_an_empty_month(self, march, desk):
        report = unit_rates(desk.street, months=MONTHS, now=NOW)
        april = report.total.months[APRIL]
        # c11 is not due yet: nothing to count, None rather than 0.
        assert april.response == Rate(0, 0) and april.response.value is None
        # c10: resolved 04-01 00:30, after its deadline (03-27 17:30): late → 0 of 1.
        assert april.on_time == Rate(0, 1)
        assert april.resolution.value is None
        february = report.total.months[Month(2025, 2)]
        assert february.response.value is None and february.handling == Median(None, 0)

    def test_own_figures_and_the_children(self, tree, march, desk):
        report = unit_rates(desk.street, months=MONTHS, now=NOW)
        assert report.peers_are == Peers.CHILDREN
        # The street itself received and resolved c7 only.
        own = report.own.months[MARCH]
        assert own.response == Rate(1, 1)
        assert own.resolution == Rate(1, 1)
        assert own.satisfaction == Rate(0, 0)
        assert own.no_feedback == Rate(0, 1)
        children = _by_code(report)
        assert list(children) == ["QH-DH-LA", "QH-DH-GX"]
        a1 = children["QH-DH-LA"].months[MARCH]
        # A1 with its grid: response c1, c2✗, c3✗, c4, c5, c9, c10 → 5 of 7; resolved c1, c2,
        # c5, c9 → on time 3 of 4; answers yes, no, yes → 2/3; ratings 5, 2, 5 → 2/3;
        # hours 25, 48, 240, 350.5 → (48 + 240) / 2 = 144; closed c1, c2, c5 → 1 of 3.
        assert a1.response == Rate(5, 7)
        assert a1.on_time == Rate(3, 4)
        assert a1.resolution == Rate(2, 3)
        assert a1.satisfaction == Rate(2, 3)
        assert a1.handling == Median(144.0, 4)
        assert a1.no_feedback == Rate(1, 3)
        a2 = children["QH-DH-GX"].months[MARCH]
        assert a2.response == Rate(1, 1)
        assert a2.on_time == Rate(1, 1)
        assert a2.resolution.value is None
        assert a2.handling == Median(24.0, 1)
        assert a2.no_feedback == Rate(1, 1)

    def test_the_grid_gets_what_it_resolved(self, tree, march, desk):
        report = unit_rates(desk.street, code="QH-DH-LA-01", months=MONTHS, now=NOW)
        grid = report.total.months[MARCH]
        # The grid received nothing (A1 accepted c2) but resolved c2: on time, "no", 240 h.
        assert grid.response == Rate(0, 0)
        assert grid.on_time == Rate(1, 1)
        assert grid.resolution == Rate(0, 1)
        assert grid.handling == Median(240.0, 1)
        # A1's own figures leave the grid's out: resolved c1, c5, c9.
        a1 = unit_rates(desk.a1, months=MONTHS, now=NOW)
        assert a1.own.months[MARCH].on_time == Rate(2, 3)
        assert a1.total.months[MARCH].on_time == Rate(3, 4)
        assert [peer.unit.code for peer in a1.peers] == ["QH-DH-LA-01"]

    def test_numbers_follow_the_clock(self, march, desk):
        # Judged on 04-01 12:00, c3 (respond_by 04-02 10:00) was not due yet: 7 of 8.
        report = unit_rates(desk.street, months=[MARCH], now=at(4, 1, 12))
        assert report.total.months[MARCH].response == Rate(7, 8)


class TestScope:
    def test_a_community_cannot_see_its_sibling(self, march, desk):
        with pytest.raises(Http404):
            unit_rates(desk.a1, code="QH-DH-GX", months=MONTHS, now=NOW)
        with pytest.raises(Http404):
            unit_rates(desk.a1, code="QH-DH", months=MONTHS, now=NOW)
        with pytest.raises(Http404):
            unit_rates(desk.a1, code="NO-SUCH-UNIT", months=MONTHS, now=NOW)

    def test_a_leaf_community_compares_with_siblings_only_when_they_are_visible(
        self, tree, march, desk
    ):
        # 桂香社区 has no grids. Its own secretary sees only itself.
        alone = unit_rates(desk.a2, months=MONTHS, now=NOW)
        assert alone.peers_are == Peers.SELF
        assert [peer.unit.code for peer in alone.peers] == ["QH-DH-GX"]
        # The street supervisor sees it next to 柳岸社区 (with its grid's cases).
        beside = unit_rates(desk.street, code="QH-DH-GX", months=MONTHS, now=NOW)
        assert beside.peers_are == Peers.SIBLINGS
        siblings = _by_code(beside)
        assert list(siblings) == ["QH-DH-LA", "QH-DH-GX"]
        assert siblings["QH-DH-LA"].months[MARCH].on_time == Rate(3, 4)
        assert beside.total.months[MARCH].on_time == Rate(1, 1)

    def test_grid_siblings(self, tree, march, desk):
        make_unit(tree.community_a1, UnitKind.GRID, "柳岸第二网格", code="QH-DH-LA-02")
        from_street = unit_rates(desk.street, code="QH-DH-LA-01", months=MONTHS, now=NOW)
        assert from_street.peers_are == Peers.SIBLINGS
        assert [peer.unit.code for peer in from_street.peers] == ["QH-DH-LA-01", "QH-DH-LA-02"]
        # The grid worker sees its own grid only.
        own = unit_rates(desk.grid, months=MONTHS, now=NOW)
        assert own.peers_are == Peers.SELF
        assert own.total.months[MARCH].resolution == Rate(0, 1)

    def test_another_street_sees_none_of_it(self, tree, march):
        other = actor_for(make_member(tree.street_b, Role.STREET_SUPERVISOR, username="sq"))
        report = unit_rates(other, months=MONTHS, now=NOW)
        # Only c8, never accepted by 泉水村: 0 of 1.
        assert report.total.months[MARCH].response == Rate(0, 1)
        assert report.total.months[MARCH].on_time.value is None

    def test_roles_without_case_capabilities_are_refused(self, tree, actors):
        with pytest.raises(Forbidden):
            unit_rates(actors[Role.DISCIPLINE_INSPECTOR], months=MONTHS, now=NOW)
        with pytest.raises(Forbidden):
            unit_rates(actors[Role.SYSTEM_ADMIN], months=MONTHS, now=NOW)

    def test_the_months_asked_for_are_bounded(self, tree, desk):
        many = [Month(2020 + i // 12, i % 12 + 1) for i in range(37)]
        with pytest.raises(DomainError):
            unit_rates(desk.street, months=many, now=NOW)
        # By default, the twelve months up to the current one.
        report = unit_rates(desk.street, now=NOW)
        assert report.months[0] == Month(2024, 5) and report.months[-1] == APRIL


class TestCost:
    def test_query_count_does_not_grow_with_the_cases(self, tree, submit, desk):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                unit_rates(desk.street, months=MONTHS, now=NOW)
            return len(queries)

        build_march(tree, submit, desk)
        few = count()
        for day in (3, 4, 5, 6, 7):
            case = _submit(submit, at(3, day, 14))
            _resolve_here(case, desk.a1, at(3, day, 15), at(3, day, 16))
            _answer(case, at(3, day, 17), "yes", 4)
        many = count()
        assert few == many <= 4


class TestStoredTallies:
    """Months before the current one come from the stored tallies once they are built."""

    def _figures(self, desk, **kwargs):
        report = unit_rates(desk.street, months=MONTHS, now=NOW, **kwargs)
        return (
            {month: report.total.months[month] for month in MONTHS},
            {month: report.own.months[month] for month in MONTHS},
            {peer.unit.code: peer.months[MARCH] for peer in report.peers},
        )

    def test_stored_months_give_the_live_figures(self, tree, march, desk):
        live = self._figures(desk)
        with clock.at(NOW):
            written = rate_tallies_rebuild([Month(2025, 2), MARCH])
        units = OrgUnit.objects.count()
        assert written == 2 * units  # every unit, zeros included
        assert RateTally.objects.filter(month=date(2025, 3, 1)).count() == units
        stored = self._figures(desk)
        assert stored == live
        # March's street figures, as in test_the_street_and_everything_below_it.
        assert stored[0][MARCH].handling == Median(36.5, 6)
        assert stored[0][MARCH].response == Rate(7, 9)

    def test_stored_months_are_read_not_counted(self, tree, submit, march, desk):
        with clock.at(NOW):
            rate_tallies_rebuild([MARCH])
        # Resolved in March after the tallies were built: March shows it once they are rebuilt.
        case = _submit(submit, at(3, 20))
        _resolve_here(case, desk.a1, at(3, 20, 10), at(3, 21))
        before = unit_rates(desk.street, months=[MARCH], now=NOW).total.months[MARCH]
        assert before.on_time == Rate(5, 6)
        with clock.at(NOW):
            rate_tallies_rebuild([MARCH])
        after = unit_rates(desk.street, months=[MARCH], now=NOW).total.months[MARCH]
        assert after.on_time == Rate(6, 7)

    def test_the_current_month_is_always_counted_live(self, tree, march, desk):
        with clock.at(NOW):
            rate_tallies_rebuild([MARCH, APRIL])
        RateTally.objects.filter(month=date(2025, 4, 1)).update(resolved=99, resolved_in_time=99)
        RateTally.objects.filter(month=date(2025, 3, 1)).update(closed=0, closed_no_feedback=0)
        report = unit_rates(desk.street, months=MONTHS, now=NOW)
        assert report.total.months[APRIL].on_time == Rate(0, 1)  # live, not the stored 99s
        assert report.total.months[MARCH].no_feedback == Rate(0, 0)  # stored

    def test_medians_are_read_only_for_the_months_asked_for(self, tree, march, desk):
        with clock.at(NOW):
            rate_tallies_rebuild([Month(2025, 2), MARCH])
        report = unit_rates(desk.street, months=MONTHS, now=NOW, medians=[APRIL])
        assert report.total.months[MARCH].handling == Median(None, 0)
        assert report.total.months[MARCH].on_time == Rate(5, 6)
        # April is counted live: c10, 03-24 09:00 → 04-01 00:30 = 183.5 h.
        assert report.total.months[APRIL].handling == Median(183.5, 1)

    def test_query_count_with_stored_months(self, tree, march, desk):
        with clock.at(NOW):
            rate_tallies_rebuild([Month(2025, 2), MARCH])
        with CaptureQueriesContext(connection) as queries:
            unit_rates(desk.street, months=MONTHS, now=NOW)
        assert len(queries) <= 4

    def test_the_hourly_job_and_the_command(self, tree, march, desk):
        with clock.at(NOW):
            assert rebuild_recent_rate_tallies.call_local() == 2 * OrgUnit.objects.count()
            assert set(RateTally.objects.values_list("month", flat=True)) == {
                date(2025, 3, 1),
                date(2025, 4, 1),
            }
            out = io.StringIO()
            with translation.override("en"):
                call_command("rebuild_rate_tallies", "--month", "2025-02", stdout=out)
        assert "tallies of 1 month stored" in out.getvalue()
        assert RateTally.objects.filter(month=date(2025, 2, 1)).exists()
        with pytest.raises(CommandError):
            call_command("rebuild_rate_tallies", "--month", "2025-13")
        with pytest.raises(CommandError):
            call_command("rebuild_rate_tallies", "--months", "99")
