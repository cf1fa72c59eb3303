"""Obstruction analytics: the pure functions on hand-built timelines, hand-computed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiceng.conduct.obstruction import (
    Analysis,
    EventRow,
    UnitStats,
    analyse,
    components,
    obstruction_index,
    ranking,
    sankey,
)
from jiceng.core.calendar import WorkCalendar

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def row(case: int, at: datetime, kind: str, to: int | None, status: str, frm: int | None = None):
    return EventRow(case, at, kind, frm, to, status)


class TestDwell:
    def test_held_time_is_split_between_units_and_stops_at_resolution(self):
        rows = [
            row(1, h(3), "dispatched", 2, "dispatched", 1),
            row(1, h(0), "submitted", 1, "submitted"),  # order does not matter
            row(1, h(2), "accepted", None, "accepted"),
            row(1, h(10), "resolved", None, "resolved"),
            row(1, h(20), "closed", None, "closed"),
        ]
        result = analyse(rows, until=h(100), stall_hours=1000)
        assert result.units[1].dwell_hours == 3
        assert result.units[2].dwell_hours == 7
        assert result.units[2].resolved == {1}
        assert result.units[1].dwell_by_status == {"submitted": 2, "accepted": 1}
        assert result.units[1].slowest_step == ("submitted", 2)
        assert result.units[2].dwell_by_status == {"dispatched": 7}
        assert result.flows == {(1, 2): 1}

    def test_open_case_dwells_until_the_end_of_the_period(self):
        rows = [row(5, h(0), "submitted", 1, "submitted")]
        result = analyse(rows, until=h(30), stall_hours=1000)
        assert result.units[1].dwell_hours == 30


class TestStalls:
    def test_wall_clock_stall_beyond_threshold(self):
        rows = [
            row(1, h(0), "submitted", 1, "submitted"),
            row(1, h(15), "accepted", None, "accepted"),
            row(1, h(16), "resolved", None, "resolved"),
        ]
        assert analyse(rows, until=h(16), stall_hours=14).units[1].stalled == {1}
        assert analyse(rows, until=h(16), stall_hours=15).units[1].stalled == set()

    def test_weekend_and_holiday_do_not_count_in_working_time(self):
        # Friday 6 March 16:00 → Tuesday 10 March 10:00, Monday 9 March a holiday:
        # 1.5 h on Friday (to 17:30) + 1 h on Tuesday = 2.5 working hours, 90 wall hours.
        cal = WorkCalendar(holidays=frozenset({date(2026, 3, 9)}), tz=TZ)

        def hours(a: datetime, b: datetime) -> float:
            return cal.working_time_between(a, b) / timedelta(hours=1)

        friday = datetime(2026, 3, 6, 16, 0, tzinfo=TZ)
        tuesday = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
        friday_after = datetime(2026, 3, 13, 10, 0, tzinfo=TZ)  # 3 working days later
        rows = [
            row(1, friday, "submitted", 1, "submitted"),
            row(1, tuesday, "accepted", None, "accepted"),
            row(1, friday_after, "resolved", None, "resolved"),
        ]
        result = analyse(rows, until=friday_after, hours=hours, stall_hours=14)
        # Tue 10:00 → Fri 10:00: Tue 6 h, Wed 7 h, Thu 7 h, Fri 1 h = 21 h: a stall
        assert result.units[1].dwell_hours == pytest.approx(2.5 + 21)
        assert result.units[1].stalled == {1}
        only_weekend = analyse(rows[:2], until=tuesday, hours=hours, stall_hours=14)
        assert only_weekend.units[1].stalled == set()
        assert analyse(rows[:2], until=tuesday, stall_hours=14).units[1].stalled == {1}


class TestTransfers:
    ROWS = [
        row(1, h(0), "submitted", 1, "submitted"),
        row(1, h(1), "dispatched", 2, "dispatched", 1),
        row(1, h(2), "transferred", 3, "dispatched", 2),
        row(1, h(3), "transferred", 2, "dispatched", 3),  # back to 2: a bounce
        row(1, h(4), "transfer_approved", 3, "dispatched", 2),  # back to 3: a bounce
        row(1, h(5), "returned", 1, "accepted", 3),  # back to 1: a bounce and a return
    ]

    def test_bounces_chains_and_returns(self):
        result = analyse(self.ROWS, until=h(6))
        assert result.bounces == {1: 3}
        assert result.chains == {1}  # three transfers
        assert result.units[1].bounced_in == {1}
        assert result.units[2].bounced_in == {1}
        assert result.units[3].bounced_in == {1}
        assert result.units[3].returns == 1
        assert result.units[2].transfers_out == 2
        assert result.flows == {(1, 2): 1, (2, 3): 2, (3, 2): 1, (3, 1): 1}

    def test_two_transfers_are_no_chain(self):
        result = analyse(self.ROWS[:4], until=h(6))
        assert result.chains == set()
        assert result.bounces == {1: 1}

    def test_escalations_are_received_by_the_superior_and_do_not_move_the_case(self):
        rows = [
            row(1, h(0), "submitted", 2, "submitted"),
            row(1, h(5), "escalated", 9, "submitted", 2),
        ]
        result = analyse(rows, until=h(6), stall_hours=100)
        assert result.units[9].escalations_received == 1
        assert result.units[2].escalated_from == {1}
        assert result.units[2].dwell_hours == 6
        assert 1 not in result.units[9].cases


class TestReopen:
    def test_reopen_is_charged_to_the_unit_that_resolved(self):
        rows = [
            row(1, h(0), "submitted", 2, "submitted"),
            row(1, h(1), "resolved", None, "resolved"),
            row(1, h(2), "reopened", None, "in_progress"),
            row(1, h(3), "resolved", None, "resolved"),
            row(2, h(0), "submitted", 2, "submitted"),
            row(2, h(1), "resolved", None, "resolved"),
        ]
        result = analyse(rows, until=h(5))
        assert result.units[2].reopened == {1}
        assert result.units[2].reopen_rate == 0.5
        assert result.units[2].dwell_hours == 3  # 1 + 1 (case 1 reopened) + 1

    def test_no_resolution_no_rate(self):
        assert UnitStats(1).reopen_rate is None


def example_stats(unit: int = 1, cases: int = 10) -> UnitStats:
    return UnitStats(
        unit,
        cases=set(range(1, cases + 1)),
        dwell_hours=17.5 * cases,
        stalled={1, 2},
        bounced_in={1},
        returns=1,
        resolved={1, 2, 3, 4},
        reopened={1},
        escalated_from={1, 2, 3, 4, 5},
    )


class TestIndex:
    def test_worked_example_of_docs(self):
        stats = example_stats()
        assert components(stats) == pytest.approx(
            {
                "stall": 0.2,
                "dwell": 0.5,
                "bounce": 0.1,
                "escalation": 0.5,
                "return": 0.1,
                "reopen": 0.25,
            }
        )
        # 100 × (0.3·0.2 + 0.2·0.5 + 0.15·0.1 + 0.15·0.5 + 0.1·0.1 + 0.1·0.25) = 28.5
        assert obstruction_index(stats) == pytest.approx(28.5)

    def test_small_samples_get_no_index_not_zero(self):
        assert obstruction_index(example_stats(cases=4)) is None
        assert obstruction_index(example_stats(cases=4), min_cases=4) is not None

    def test_bounds(self):
        assert obstruction_index(UnitStats(1, cases=set(range(5)))) == 0
        worst = UnitStats(
            1,
            cases=set(range(5)),
            dwell_hours=10_000,
            stalled=set(range(5)),
            bounced_in=set(range(5)),
            returns=99,
            resolved={0},
            reopened={0},
            escalated_from=set(range(5)),
        )
        assert obstruction_index(worst) == 100

    def test_ranking_ties_share_a_rank_and_small_units_come_last(self):
        clean = UnitStats(4, cases=set(range(20)))
        analysis = Analysis(
            units={
                1: example_stats(1),
                2: example_stats(2),
                3: example_stats(3, cases=3),
                4: clean,
            },
            flows={},
            chains=set(),
            bounces={},
        )
        ranked = ranking(analysis)
        assert [(r.stats.unit, r.rank) for r in ranked] == [(1, 1), (2, 1), (4, 3), (3, None)]
        assert ranked[-1].index is None


def test_sankey_has_no_cycles():
    data = sankey({(1, 2): 2, (2, 1): 1}, {1: "A", 2: "B"})
    sources = {link["source"] for link in data["links"]}
    targets = {link["target"] for link in data["links"]}
    assert sources.isdisjoint(targets)
    assert {"source": "A ›", "target": "› B", "value": 2} in data["links"]
    assert {"source": "B ›", "target": "› A", "value": 1} in data["links"]
    assert len(data["nodes"]) == 4
