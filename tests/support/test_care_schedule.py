"""The visit schedule's date arithmetic and the completion metric: pure functions, no database."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.support.care_schedule import (
    MONTHLY,
    WEEKLY,
    Occurrence,
    Schedule,
    add_months,
    completion,
    is_overdue,
    next_due,
    settle,
)

D = date


class TestNextDue:
    def test_the_first_visit_is_due_on_the_first_due_date(self):
        schedule = Schedule(WEEKLY, first_due=D(2026, 11, 2))
        assert next_due(schedule, None) == D(2026, 11, 2)

    @pytest.mark.parametrize(
        ("frequency", "interval", "last", "expected"),
        [
            ("days", 10, D(2026, 11, 25), D(2026, 12, 5)),
            ("days", 1, D(2026, 12, 31), D(2027, 1, 1)),
            (WEEKLY, 99, D(2026, 11, 27), D(2026, 12, 4)),  # the interval is ignored
            (MONTHLY, 99, D(2026, 11, 15), D(2026, 12, 15)),
            (MONTHLY, 30, D(2026, 1, 31), D(2026, 2, 28)),  # the month's last day
            (MONTHLY, 30, D(2028, 1, 31), D(2028, 2, 29)),  # leap year
            (MONTHLY, 30, D(2026, 12, 31), D(2027, 1, 31)),  # over the year's end
        ],
    )
    def test_the_next_visit_is_due_one_interval_after_the_last(
        self, frequency, interval, last, expected
    ):
        schedule = Schedule(frequency, first_due=D(2026, 1, 1), interval_days=interval)
        assert next_due(schedule, last) == expected

    def test_add_months_clamps_and_rolls_over_years(self):
        assert add_months(D(2026, 3, 31), 1) == D(2026, 4, 30)
        assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
        assert add_months(D(2026, 5, 15), 12) == D(2027, 5, 15)

    def test_overdue_starts_the_day_after_the_due_date(self):
        assert not is_overdue(D(2026, 11, 27), D(2026, 11, 27))
        assert is_overdue(D(2026, 11, 27), D(2026, 11, 28))

    @pytest.mark.parametrize(
        ("frequency", "interval"), [("yearly", 30), ("days", 0), ("days", 367)]
    )
    def test_a_bad_schedule_is_refused(self, frequency, interval):
        with pytest.raises(ValueError):
            Schedule(frequency, first_due=D(2026, 1, 1), interval_days=interval)


class TestSettle:
    weekly = Schedule(WEEKLY, first_due=D(2026, 11, 2))

    def test_visits_on_time_late_and_missed(self):
        # Due 11-02: visited 11-02 (on time). Due 11-09: visited 11-12 (late). Due 11-19:
        # nobody came within a week, missed; due 11-26 then counts from 11-19: missed too on 12-01.
        occurrences = settle(self.weekly, [D(2026, 11, 2), D(2026, 11, 12)], until=D(2026, 12, 1))
        assert occurrences == [
            Occurrence(D(2026, 11, 2), D(2026, 11, 2)),
            Occurrence(D(2026, 11, 9), D(2026, 11, 12)),
            Occurrence(D(2026, 11, 19), None),
            Occurrence(D(2026, 11, 26), None),
        ]
        assert [o.on_time for o in occurrences] == [True, False, False, False]

    def test_a_visit_a_whole_interval_late_misses_the_due_date_and_meets_the_next(self):
        occurrences = settle(self.weekly, [D(2026, 11, 9)], until=D(2026, 11, 10))
        assert occurrences == [
            Occurrence(D(2026, 11, 2), None),
            Occurrence(D(2026, 11, 9), D(2026, 11, 9)),
        ]

    def test_a_due_date_still_open_is_not_listed_but_one_met_early_is(self):
        assert settle(self.weekly, [], until=D(2026, 11, 2)) == []
        assert settle(self.weekly, [D(2026, 10, 30)], until=D(2026, 10, 31)) == [
            Occurrence(D(2026, 11, 2), D(2026, 10, 30))
        ]

    def test_two_visits_on_one_day_are_one_visit_and_later_visits_are_ignored(self):
        visits = [D(2026, 11, 2), D(2026, 11, 2), D(2026, 12, 30)]
        assert settle(self.weekly, visits, until=D(2026, 11, 5)) == [
            Occurrence(D(2026, 11, 2), D(2026, 11, 2))
        ]


class TestCompletion:
    monthly = Schedule(MONTHLY, first_due=D(2026, 9, 15))
    november = (D(2026, 11, 1), D(2026, 11, 30))

    def test_the_worked_example_of_scoring_md(self):
        # docs/SCORING.md, "Care-visit completion".
        a = Schedule(WEEKLY, first_due=D(2026, 11, 2))
        b = Schedule("days", first_due=D(2026, 11, 10), interval_days=10)
        today = D(2026, 12, 3)
        a_visits = [D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 18), D(2026, 11, 25)]
        assert completion(a, a_visits, period=self.november, today=today) == (3, 4)
        # B: met 11-10 early (11-08); 11-18 and 11-28 missed; 12-08 not due yet.
        b_visits = [D(2026, 11, 8)]
        assert completion(b, b_visits, period=self.november, today=today) == (1, 3)
        assert settle(b, b_visits, until=today) == [
            Occurrence(D(2026, 11, 10), D(2026, 11, 8)),
            Occurrence(D(2026, 11, 18), None),
            Occurrence(D(2026, 11, 28), None),
        ]

    def test_counts_due_dates_within_the_period_only(self):
        visits = [D(2026, 9, 14), D(2026, 10, 14), D(2026, 11, 13)]
        # Due 09-15 (met 09-14), 10-14 (met 10-14), 11-14 (met 11-13), 12-13 still open.
        assert completion(self.monthly, visits, period=self.november, today=D(2026, 12, 5)) == (
            1,
            1,
        )
        october = (D(2026, 10, 1), D(2026, 10, 31))
        assert completion(self.monthly, visits, period=october, today=D(2026, 12, 5)) == (1, 1)

    def test_nobody_visiting_misses_one_visit_per_interval(self):
        quarter = (D(2026, 9, 1), D(2026, 11, 30))
        assert completion(self.monthly, [], period=quarter, today=D(2026, 12, 1)) == (0, 3)

    def test_a_due_date_of_today_is_not_due_yet(self):
        period = (D(2026, 9, 1), D(2026, 9, 30))
        assert completion(self.monthly, [], period=period, today=D(2026, 9, 15)) == (0, 0)
        assert completion(self.monthly, [], period=period, today=D(2026, 9, 16)) == (0, 1)

    def test_nothing_falls_due_after_the_household_left_the_list(self):
        quarter = (D(2026, 9, 1), D(2026, 11, 30))
        result = completion(
            self.monthly, [], period=quarter, today=D(2026, 12, 1), closed_on=D(2026, 10, 1)
        )
        assert result == (0, 1)

    def test_extra_visits_never_lower_the_rate(self):
        base = [D(2026, 9, 15), D(2026, 10, 15), D(2026, 11, 15)]
        quarter = (D(2026, 9, 1), D(2026, 11, 30))
        done, due = completion(self.monthly, base, period=quarter, today=D(2026, 12, 1))
        assert (done, due) == (3, 3)
        more = [*base, D(2026, 9, 20), D(2026, 10, 1)]
        done, due = completion(self.monthly, more, period=quarter, today=D(2026, 12, 1))
        assert done == due
