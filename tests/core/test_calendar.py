"""The working-day calendar: pure maths on hand-built sets, and the deployment's calendar.

Official dates used below, checked against chinese_calendar's `constants.holidays` and
`constants.workdays` (see `test_official_data_matches_the_state_council_schedule`):

- Spring Festival 2026: days off Sun 02-15 .. Mon 02-23; make-up working days Sat 02-14, Sat 02-28.
- National Day 2026: days off Thu 10-01 .. Wed 10-07; make-up working days Sun 09-20, Sat 10-10.
  (Mid-Autumn 2026 is Fri 09-25, a day off, with the weekend 09-26/27.)
- National Day 2025: days off Wed 10-01 .. Wed 10-08; make-up working days Sun 09-28, Sat 10-11.

Working periods are 09:00–12:00 and 13:30–17:30: seven working hours a day.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest

from jiceng.core.actors import SYSTEM
from jiceng.core.calendar import WorkCalendar, _parse_periods, get_calendar
from jiceng.core.errors import DomainError
from jiceng.core.models import AuditEntry, CalendarDay
from jiceng.core.services import calendar_day_remove, calendar_day_set

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def assert_shanghai(moment: datetime) -> None:
    assert moment.tzinfo is not None
    assert getattr(moment.tzinfo, "key", None) == "Asia/Shanghai"
    assert moment.utcoffset() == timedelta(hours=8)


# --- WorkCalendar: pure maths on hand-built sets ---------------------------------------------
#
# 2030-01-01 is a Tuesday. The hand-built calendar makes Tue 01-01 and Wed 01-02 days off and
# Sat 01-05 a make-up working day.


class TestPureWorkCalendar:
    """No database here: WorkCalendar does its maths on what it is given."""

    @pytest.fixture
    def cal(self) -> WorkCalendar:
        return WorkCalendar(
            holidays=frozenset({d("2030-01-01"), d("2030-01-02")}),
            workdays=frozenset({d("2030-01-05")}),
            known_years=frozenset({2030}),
        )

    def test_default_periods_give_seven_hour_days(self, cal):
        assert cal.day_length == timedelta(hours=7)
        assert cal.close_of_business(d("2030-01-03")) == at(2030, 1, 3, 17, 30)

    def test_covers_only_known_years(self, cal):
        assert cal.covers(2030)
        assert not cal.covers(2029)
        assert not cal.covers(2031)

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            ("2029-12-31", True),  # Monday
            ("2030-01-01", False),  # Tuesday, holiday
            ("2030-01-02", False),  # Wednesday, holiday
            ("2030-01-03", True),  # Thursday
            ("2030-01-04", True),  # Friday
            ("2030-01-05", True),  # Saturday, make-up working day
            ("2030-01-06", False),  # Sunday
            ("2030-01-12", False),  # ordinary Saturday
        ],
    )
    def test_is_working_day(self, cal, day, expected):
        assert cal.is_working_day(d(day)) is expected

    def test_a_date_in_both_sets_is_a_working_day(self):
        both = d("2030-01-01")
        cal = WorkCalendar(holidays=frozenset({both}), workdays=frozenset({both}))
        assert cal.is_working_day(both)

    def test_empty_calendar_is_monday_to_friday(self):
        cal = WorkCalendar()
        assert [cal.is_working_day(d("2030-01-07") + timedelta(days=i)) for i in range(7)] == [
            True,
            True,
            True,
            True,
            True,
            False,
            False,
        ]
        assert not cal.covers(2030)

    def test_next_working_day_is_strictly_after(self, cal):
        assert cal.next_working_day(d("2029-12-31")) == d("2030-01-03")  # skips both holidays
        assert cal.next_working_day(d("2030-01-03")) == d("2030-01-04")
        assert cal.next_working_day(d("2030-01-04")) == d("2030-01-05")  # make-up Saturday
        assert cal.next_working_day(d("2030-01-05")) == d("2030-01-07")  # skips Sunday

    def test_working_days_between_is_half_open(self, cal):
        # (12-31, 01-07]: 01-03, 01-04, 01-05, 01-07
        assert cal.working_days_between(d("2029-12-31"), d("2030-01-07")) == 4
        # (12-30, 12-31]: just Monday 12-31
        assert cal.working_days_between(d("2029-12-30"), d("2029-12-31")) == 1
        assert cal.working_days_between(d("2030-01-03"), d("2030-01-03")) == 0
        assert cal.working_days_between(d("2030-01-07"), d("2030-01-03")) == 0

    def test_add_working_days(self, cal):
        start = at(2029, 12, 31, 10)
        assert cal.add_working_days(start, 0) == at(2029, 12, 31, 17, 30)
        assert cal.add_working_days(start, 1) == at(2030, 1, 3, 17, 30)
        assert cal.add_working_days(start, 3) == at(2030, 1, 5, 17, 30)
        assert cal.add_working_days(start, 4) == at(2030, 1, 7, 17, 30)
        # N=0 on a holiday: close of business of the next working day.
        assert cal.add_working_days(at(2030, 1, 1, 10), 0) == at(2030, 1, 3, 17, 30)
        # Late in the evening the date still decides; the time of day does not.
        assert cal.add_working_days(at(2029, 12, 31, 23, 59), 1) == at(2030, 1, 3, 17, 30)

    def test_add_working_hours(self, cal):
        # Mon 12-31 16:00 + 3 h: 1.5 h that day, then the holidays, then Thu 01-03 09:00 + 1.5 h.
        assert cal.add_working_hours(at(2029, 12, 31, 16), 3) == at(2030, 1, 3, 10, 30)
        # Fri 01-04 17:00 + 1 h lands on the make-up Saturday.
        assert cal.add_working_hours(at(2030, 1, 4, 17), 1) == at(2030, 1, 5, 9, 30)
        # A whole day of hours from the opening ends at the close.
        assert cal.add_working_hours(at(2030, 1, 3, 9), 7) == at(2030, 1, 3, 17, 30)

    def test_custom_periods(self):
        cal = WorkCalendar(periods=((time(8), time(12)), (time(14), time(18))))
        assert cal.day_length == timedelta(hours=8)
        # Mon 2030-01-07 11:00 + 2 h: 1 h before noon, 1 h after 14:00.
        assert cal.add_working_hours(at(2030, 1, 7, 11), 2) == at(2030, 1, 7, 15)
        assert cal.add_working_days(at(2030, 1, 7, 11), 1) == at(2030, 1, 8, 18)

    def test_timezone_of_the_calendar_is_used(self):
        utc_cal = WorkCalendar(tz=zoneinfo.ZoneInfo("UTC"))
        # 2030-01-07 08:00 Shanghai is 00:00 UTC: before opening in UTC, so 2 h ends 11:00 UTC.
        result = utc_cal.add_working_hours(at(2030, 1, 7, 8), 2)
        assert result == datetime(2030, 1, 7, 11, tzinfo=UTC)

    def test_working_time_between(self, cal):
        # Mon 12-31 16:00 → Thu 01-03 10:00: 1.5 h + 1 h.
        assert cal.working_time_between(at(2029, 12, 31, 16), at(2030, 1, 3, 10)) == timedelta(
            hours=2.5
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ([], "At least one"),
            ([("09:00", "12:00"), ("11:00", "17:00")], "ordered"),  # overlapping
            ([("13:00", "17:00"), ("09:00", "12:00")], "ordered"),  # out of order
            ([("09:00", "09:00")], "ordered"),  # empty
        ],
    )
    def test_parse_periods_rejects_bad_periods(self, raw, message):
        with pytest.raises(ValueError, match=message):
            _parse_periods(raw)

    def test_parse_periods(self):
        assert _parse_periods([("09:00", "12:00"), ("13:30", "17:30")]) == (
            (time(9), time(12)),
            (time(13, 30), time(17, 30)),
        )


# --- The deployment's calendar ----------------------------------------------------------------


@pytest.fixture
def cal(db) -> WorkCalendar:
    return get_calendar()


def test_official_data_matches_the_state_council_schedule():
    from chinese_calendar import constants

    def span(first: str, last: str) -> set[date]:
        start, end = d(first), d(last)
        return {start + timedelta(days=i) for i in range((end - start).days + 1)}

    spring_2026 = span("2026-02-15", "2026-02-23")
    national_2026 = span("2026-10-01", "2026-10-07")
    national_2025 = span("2025-10-01", "2025-10-08")
    assert spring_2026 <= constants.holidays.keys()
    assert national_2026 <= constants.holidays.keys()
    assert national_2025 <= constants.holidays.keys()
    # The days just around them are not days off.
    for outside in ("2026-02-14", "2026-02-24", "2026-09-30", "2026-10-08", "2025-10-09"):
        assert d(outside) not in constants.holidays
    make_up = {"2026-02-14", "2026-02-28", "2026-09-20", "2026-10-10", "2025-09-28", "2025-10-11"}
    assert {d(day) for day in make_up} <= constants.workdays.keys()
    # No other make-up working days around these holidays.
    assert {day for day in constants.workdays if day.year == 2026 and 2 <= day.month <= 10} == {
        d("2026-02-14"),
        d("2026-02-28"),
        d("2026-05-09"),
        d("2026-09-20"),
        d("2026-10-10"),
    }


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-02-13", True),  # Friday before the Spring Festival
        ("2026-02-14", True),  # Saturday, make-up working day
        ("2026-02-15", False),  # Sunday, first day off
        ("2026-02-17", False),  # Tuesday, Spring Festival
        ("2026-02-23", False),  # Monday, last day off
        ("2026-02-24", True),  # Tuesday, back to work
        ("2026-02-28", True),  # Saturday, make-up working day
        ("2026-03-07", False),  # ordinary Saturday
        ("2026-03-08", False),  # ordinary Sunday
        ("2026-03-09", True),  # ordinary Monday
        ("2026-09-19", False),  # ordinary Saturday
        ("2026-09-20", True),  # Sunday, make-up working day
        ("2026-09-25", False),  # Friday, Mid-Autumn Festival
        ("2026-09-30", True),  # Wednesday
        ("2026-10-01", False),  # National Day
        ("2026-10-05", False),  # Monday inside the Golden Week
        ("2026-10-07", False),
        ("2026-10-08", True),  # Thursday, back to work
        ("2026-10-10", True),  # Saturday, make-up working day
        ("2026-10-11", False),  # Sunday
        ("2025-09-28", True),  # Sunday, make-up working day
        ("2025-10-08", False),  # Wednesday, last day off
        ("2025-10-09", True),
        ("2025-10-11", True),  # Saturday, make-up working day
        ("2025-10-12", False),  # Sunday
    ],
)
def test_is_working_day_on_the_official_calendar(cal, day, expected):
    assert cal.is_working_day(d(day)) is expected


def test_covers_the_package_years_only(cal):
    assert cal.covers(2025)
    assert cal.covers(2026)
    assert not cal.covers(2027)
    assert not cal.covers(2028)


def test_years_beyond_the_package_fall_back_to_monday_to_friday(cal):
    # Mon 2028-10-02 would be a National Day holiday, but 2028 is not known: it is a working day.
    assert cal.is_working_day(d("2028-10-02"))
    assert cal.is_working_day(d("2028-01-03"))  # Monday
    assert not cal.is_working_day(d("2028-01-01"))  # Saturday
    assert not cal.is_working_day(d("2028-01-02"))  # Sunday
    # Fri 2028-10-06 17:00 + 1 h → Mon 2028-10-09 09:30.
    assert cal.add_working_hours(at(2028, 10, 6, 17), 1) == at(2028, 10, 9, 9, 30)


def test_next_working_day(cal):
    assert cal.next_working_day(d("2026-02-13")) == d("2026-02-14")  # make-up Saturday
    assert cal.next_working_day(d("2026-02-14")) == d("2026-02-24")  # over the Spring Festival
    assert cal.next_working_day(d("2026-02-18")) == d("2026-02-24")  # from inside the holiday
    assert cal.next_working_day(d("2026-02-27")) == d("2026-02-28")  # make-up Saturday
    assert cal.next_working_day(d("2026-02-28")) == d("2026-03-02")
    assert cal.next_working_day(d("2026-09-18")) == d("2026-09-20")  # make-up Sunday
    assert cal.next_working_day(d("2026-09-30")) == d("2026-10-08")
    assert cal.next_working_day(d("2025-09-26")) == d("2025-09-28")
    assert cal.next_working_day(d("2025-09-30")) == d("2025-10-09")


class TestAddWorkingDays:
    def test_counts_from_the_next_working_day_and_ends_at_close_of_business(self, cal):
        start = at(2026, 2, 13, 10)  # Friday
        assert cal.add_working_days(start, 1) == at(2026, 2, 14, 17, 30)  # make-up Saturday
        assert cal.add_working_days(start, 2) == at(2026, 2, 24, 17, 30)
        # 14, 24, 25, 26, 27 → Friday 27th; then the make-up Saturday; then Monday.
        assert cal.add_working_days(start, 5) == at(2026, 2, 27, 17, 30)
        assert cal.add_working_days(start, 6) == at(2026, 2, 28, 17, 30)
        assert cal.add_working_days(start, 7) == at(2026, 3, 2, 17, 30)

    def test_zero_days_is_close_of_business_today_or_the_next_working_day(self, cal):
        assert cal.add_working_days(at(2026, 2, 24, 8), 0) == at(2026, 2, 24, 17, 30)
        # Still today even after closing time.
        assert cal.add_working_days(at(2026, 2, 24, 20), 0) == at(2026, 2, 24, 17, 30)
        assert cal.add_working_days(at(2026, 2, 14, 10), 0) == at(2026, 2, 14, 17, 30)
        assert cal.add_working_days(at(2026, 2, 15, 10), 0) == at(2026, 2, 24, 17, 30)
        assert cal.add_working_days(at(2026, 3, 7, 10), 0) == at(2026, 3, 9, 17, 30)

    def test_starting_on_a_holiday(self, cal):
        assert cal.add_working_days(at(2026, 2, 18, 10), 1) == at(2026, 2, 24, 17, 30)
        assert cal.add_working_days(at(2026, 2, 18, 10), 2) == at(2026, 2, 25, 17, 30)

    def test_national_day(self, cal):
        start = at(2026, 9, 30, 10)  # Wednesday
        assert cal.add_working_days(start, 1) == at(2026, 10, 8, 17, 30)
        assert cal.add_working_days(start, 3) == at(2026, 10, 10, 17, 30)  # make-up Saturday
        assert cal.add_working_days(start, 4) == at(2026, 10, 12, 17, 30)
        assert cal.add_working_days(at(2026, 9, 18, 10), 1) == at(2026, 9, 20, 17, 30)
        # Thu 09-24 + 1 → Sun 09-20 is behind; Fri 09-25 Mid-Autumn off; 26/27 weekend; Mon 28.
        assert cal.add_working_days(at(2026, 9, 24, 10), 1) == at(2026, 9, 28, 17, 30)
        assert cal.add_working_days(at(2025, 9, 30, 10), 1) == at(2025, 10, 9, 17, 30)
        assert cal.add_working_days(at(2025, 9, 30, 10), 3) == at(2025, 10, 11, 17, 30)

    def test_the_local_date_decides_not_the_utc_date(self, cal):
        # 2026-02-13 20:00 UTC is 2026-02-14 04:00 in Shanghai: the start day is the Saturday.
        start = datetime(2026, 2, 13, 20, tzinfo=UTC)
        result = cal.add_working_days(start, 1)
        assert result == at(2026, 2, 24, 17, 30)
        assert_shanghai(result)

    def test_negative_days_raise(self, cal):
        with pytest.raises(ValueError):
            cal.add_working_days(at(2026, 3, 3, 10), -1)

    def test_naive_start_raises(self, cal):
        with pytest.raises(ValueError):
            cal.add_working_days(datetime(2026, 3, 3, 10), 1)


class TestAddWorkingHours:
    @pytest.mark.parametrize(
        ("start", "hours", "expected"),
        [
            # Tue 2026-03-03, an ordinary day.
            (at(2026, 3, 3, 10), 1, at(2026, 3, 3, 11)),
            (at(2026, 3, 3, 10), 0, at(2026, 3, 3, 10)),
            (at(2026, 3, 3, 11), 1, at(2026, 3, 3, 12)),  # exactly to the lunch break
            (at(2026, 3, 3, 11), 2, at(2026, 3, 3, 14, 30)),  # across lunch
            (at(2026, 3, 3, 11, 30), 0.75, at(2026, 3, 3, 13, 45)),
            (at(2026, 3, 3, 9), 7, at(2026, 3, 3, 17, 30)),  # a full day
            (at(2026, 3, 3, 9), 14, at(2026, 3, 4, 17, 30)),  # two full days
            (at(2026, 3, 3, 17), 1, at(2026, 3, 4, 9, 30)),  # overnight
            (at(2026, 3, 3, 7), 1, at(2026, 3, 3, 10)),  # before opening
            (at(2026, 3, 3, 12, 30), 1, at(2026, 3, 3, 14, 30)),  # during lunch
            (at(2026, 3, 3, 19), 2, at(2026, 3, 4, 11)),  # after closing
            (at(2026, 3, 3, 19), 0, at(2026, 3, 4, 9)),  # zero after closing: next opening
            (at(2026, 3, 6, 17), 1, at(2026, 3, 9, 9, 30)),  # Friday → Monday
            (at(2026, 3, 7, 10), 1, at(2026, 3, 9, 10)),  # starting on an ordinary Saturday
            # Spring Festival 2026.
            (at(2026, 2, 13, 16, 30), 2, at(2026, 2, 14, 10)),  # lands on the make-up Saturday
            (at(2026, 2, 14, 16), 3, at(2026, 2, 24, 10, 30)),  # across the whole holiday
            (at(2026, 2, 16, 10), 1, at(2026, 2, 24, 10)),  # starting on a holiday
            (at(2026, 2, 12, 9), 14, at(2026, 2, 13, 17, 30)),
            (at(2026, 2, 12, 9), 15, at(2026, 2, 14, 10)),  # Thu + Fri full, then Sat
            (at(2026, 2, 27, 17), 2, at(2026, 2, 28, 10, 30)),  # 0.5 h, then make-up Saturday
            # National Day 2026 and 2025.
            (at(2026, 9, 30, 16, 30), 2, at(2026, 10, 8, 10)),
            (at(2026, 9, 18, 17), 1, at(2026, 9, 20, 9, 30)),  # make-up Sunday
            (at(2025, 9, 30, 15, 30), 3, at(2025, 10, 9, 10)),
        ],
    )
    def test_add_working_hours(self, cal, start, hours, expected):
        result = cal.add_working_hours(start, hours)
        assert result == expected
        assert_shanghai(result)

    def test_add_working_time_with_minutes(self, cal):
        assert cal.add_working_time(at(2026, 3, 3, 11, 50), timedelta(minutes=20)) == at(
            2026, 3, 3, 13, 40
        )

    def test_utc_start_gives_a_shanghai_result(self, cal):
        # 2026-03-03 02:00 UTC is 10:00 in Shanghai.
        result = cal.add_working_hours(datetime(2026, 3, 3, 2, tzinfo=UTC), 3)
        assert result == at(2026, 3, 3, 14, 30)
        assert_shanghai(result)

    def test_negative_hours_raise(self, cal):
        with pytest.raises(ValueError):
            cal.add_working_hours(at(2026, 3, 3, 10), -0.5)
        with pytest.raises(ValueError):
            cal.add_working_time(at(2026, 3, 3, 10), timedelta(seconds=-1))

    def test_naive_start_raises(self, cal):
        with pytest.raises(ValueError):
            cal.add_working_hours(datetime(2026, 3, 3, 10), 1)


class TestWorkingTimeBetween:
    @pytest.mark.parametrize(
        ("start", "end", "hours"),
        [
            (at(2026, 3, 3, 10), at(2026, 3, 3, 11), 1),
            (at(2026, 3, 3, 11), at(2026, 3, 3, 14), 1.5),  # across lunch
            (at(2026, 3, 3, 12), at(2026, 3, 3, 13, 30), 0),  # the lunch break itself
            (at(2026, 3, 3, 0), at(2026, 3, 4, 0), 7),  # a whole day
            (at(2026, 3, 3, 17), at(2026, 3, 4, 10), 1.5),  # overnight
            (at(2026, 3, 6, 17), at(2026, 3, 9, 10), 1.5),  # over an ordinary weekend
            (at(2026, 3, 7, 8), at(2026, 3, 8, 20), 0),  # inside an ordinary weekend
            (at(2026, 2, 13, 16), at(2026, 2, 24, 10), 9.5),  # 1.5 + 7 (Sat 14th) + 1
            (at(2026, 2, 15, 0), at(2026, 2, 24, 0), 0),  # only the holidays
            (at(2026, 9, 30, 9), at(2026, 10, 11, 0), 28),  # 09-30, 10-08, 10-09, 10-10
            (at(2025, 9, 27, 0), at(2025, 9, 29, 0), 7),  # Sat off, make-up Sun worked
        ],
    )
    def test_working_time_between(self, cal, start, end, hours):
        assert cal.working_time_between(start, end) == timedelta(hours=hours)

    def test_is_the_inverse_of_add_working_hours(self, cal):
        start = at(2026, 2, 13, 16, 30)
        end = cal.add_working_hours(start, 10)
        assert cal.working_time_between(start, end) == timedelta(hours=10)

    def test_reversed_and_empty_ranges_are_zero(self, cal):
        assert cal.working_time_between(at(2026, 3, 3, 11), at(2026, 3, 3, 10)) == timedelta()
        assert cal.working_time_between(at(2026, 3, 3, 10), at(2026, 3, 3, 10)) == timedelta()

    def test_mixed_timezones(self, cal):
        # 01:00 UTC = 09:00 Shanghai, 03:00 UTC = 11:00 Shanghai.
        start = datetime(2026, 3, 3, 1, tzinfo=UTC)
        assert cal.working_time_between(start, at(2026, 3, 3, 11)) == timedelta(hours=2)

    def test_naive_datetimes_raise(self, cal):
        naive = datetime(2026, 3, 3, 10)
        with pytest.raises(ValueError):
            cal.working_time_between(naive, at(2026, 3, 3, 11))
        with pytest.raises(ValueError):
            cal.working_time_between(at(2026, 3, 3, 9), naive)


def test_working_days_between(cal):
    # (02-13, 02-28]: 14, 24, 25, 26, 27, 28.
    assert cal.working_days_between(d("2026-02-13"), d("2026-02-28")) == 6
    assert cal.working_days_between(d("2026-02-14"), d("2026-02-23")) == 0
    # (09-30, 10-12]: 10-08, 10-09, 10-10, 10-12.
    assert cal.working_days_between(d("2026-09-30"), d("2026-10-12")) == 4
    # (2025-09-26, 2025-10-12]: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11.
    assert cal.working_days_between(d("2025-09-26"), d("2025-10-12")) == 6
    assert cal.working_days_between(d("2026-02-28"), d("2026-02-13")) == 0


# --- Corrections --------------------------------------------------------------------------------


# Transactional: the calendar is rebuilt when a correction commits (transaction.on_commit).
@pytest.mark.django_db(transaction=True)
class TestCorrections:
    def test_corrections_change_the_calendar_and_the_covered_years(self):
        holiday, saturday = d("2027-02-08"), d("2027-02-20")
        before = get_calendar()
        assert before.is_working_day(holiday)  # a Monday, unknown year
        assert not before.is_working_day(saturday)
        assert not before.covers(2027)

        off = calendar_day_set(
            actor=SYSTEM, date=holiday, kind=CalendarDay.Kind.HOLIDAY, name="春节"
        )
        cal = get_calendar()
        assert not cal.is_working_day(holiday)
        assert cal.covers(2027)
        assert not cal.covers(2028)

        on = calendar_day_set(actor=SYSTEM, date=saturday, kind=CalendarDay.Kind.WORKDAY)
        cal = get_calendar()
        assert cal.is_working_day(saturday)
        # Fri 2027-02-05 + 1 working day: Mon 02-08 is now off → Tue 02-09.
        assert cal.add_working_days(at(2027, 2, 5, 10), 1) == at(2027, 2, 9, 17, 30)
        # Fri 2027-02-19 17:00 + 1 h → the corrected Saturday.
        assert cal.add_working_hours(at(2027, 2, 19, 17), 1) == at(2027, 2, 20, 9, 30)

        calendar_day_remove(actor=SYSTEM, calendar_day=off)
        cal = get_calendar()
        assert cal.is_working_day(holiday)
        assert cal.is_working_day(saturday)
        assert cal.covers(2027)  # the Saturday's correction still names 2027

        calendar_day_remove(actor=SYSTEM, calendar_day=on)
        cal = get_calendar()
        assert not cal.is_working_day(saturday)
        assert not cal.covers(2027)
        assert not CalendarDay.objects.exists()

    def test_corrections_override_the_official_schedule(self):
        calendar_day_set(actor=SYSTEM, date=d("2026-02-16"), kind=CalendarDay.Kind.WORKDAY)
        calendar_day_set(actor=SYSTEM, date=d("2026-02-14"), kind=CalendarDay.Kind.HOLIDAY)
        cal = get_calendar()
        assert cal.is_working_day(d("2026-02-16"))
        assert not cal.is_working_day(d("2026-02-14"))
        assert cal.next_working_day(d("2026-02-13")) == d("2026-02-16")

    def test_setting_a_date_again_changes_its_kind(self):
        day = d("2027-03-01")  # Monday
        first = calendar_day_set(actor=SYSTEM, date=day, kind=CalendarDay.Kind.HOLIDAY)
        assert not get_calendar().is_working_day(day)
        second = calendar_day_set(actor=SYSTEM, date=day, kind=CalendarDay.Kind.WORKDAY)
        assert second.pk == first.pk
        assert CalendarDay.objects.count() == 1
        assert get_calendar().is_working_day(day)

    def test_corrections_are_audit_logged(self):
        day = calendar_day_set(
            actor=SYSTEM, date=d("2027-02-08"), kind=CalendarDay.Kind.HOLIDAY, name="  春节  "
        )
        calendar_day_set(actor=SYSTEM, date=d("2027-02-08"), kind=CalendarDay.Kind.WORKDAY)
        entries = list(
            AuditEntry.objects.filter(
                action="core.calendar_day.set", target_id=str(day.pk)
            ).order_by("seq")
        )
        assert [entry.data for entry in entries] == [
            {"date": "2027-02-08", "kind": "holiday", "name": "春节", "created": True},
            {"date": "2027-02-08", "kind": "workday", "name": "", "created": False},
        ]
        assert all(entry.target_type == "core.calendarday" for entry in entries)
        assert all(entry.actor_user_id is None for entry in entries)

        calendar_day_remove(actor=SYSTEM, calendar_day=CalendarDay.objects.get(pk=day.pk))
        removed = AuditEntry.objects.get(action="core.calendar_day.removed")
        assert removed.target_id == str(day.pk)
        assert removed.data == {"date": "2027-02-08", "kind": "workday"}

    def test_an_unknown_kind_is_refused(self):
        with pytest.raises(DomainError):
            calendar_day_set(actor=SYSTEM, date=d("2027-02-08"), kind="maybe")
        assert not CalendarDay.objects.exists()
        assert not AuditEntry.objects.filter(action="core.calendar_day.set").exists()
        assert get_calendar().is_working_day(d("2027-02-08"))
