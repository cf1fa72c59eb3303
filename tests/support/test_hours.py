"""The opening-hours maths: weekly and overnight periods, exceptions, holidays, make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from jiceng.core.calendar import official_calendar_data
from jiceng.support import hours
from jiceng.support.hours import Schedule

TZ = hours.SHANGHAI
WEEKDAY = ((time(9), time(12)), (time(14), time(18)))
FRIDAY = (*WEEKDAY, (time(19), time(1)))  # the evening session runs to 01:00 on Saturday
SATURDAY = ((time(9), time(12)),)
WEEKLY = {0: WEEKDAY, 1: WEEKDAY, 2: WEEKDAY, 3: WEEKDAY, 4: FRIDAY, 5: SATURDAY}
# 2025-09-29 is a Monday; 2025-09-28 (Sunday) a make-up working day; 1–8 October the holiday.
HOLIDAYS, WORKDAYS, _years = official_calendar_data()


def at(day: int, hour: int, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TZ)


def plain(**changes) -> Schedule:
    return Schedule(weekly=WEEKLY, **changes)


OFFICIAL = Schedule(weekly=WEEKLY, holidays=HOLIDAYS, workdays=WORKDAYS)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(29, 8, 59), False),
        (at(29, 9), True),  # opening time included
        (at(29, 11, 59), True),
        (at(29, 12), False),  # closing time excluded
        (at(29, 13), False),  # lunch break
        (at(29, 14), True),
        (at(29, 18), False),
        (at(26, 18, 30), False),  # Friday between sessions
        (at(26, 19), True),
        (at(26, 23, 59), True),
        (at(27, 0, 30), True),  # Friday's overnight session, on Saturday
        (at(27, 1), False),
        (at(27, 9, 30), True),  # Saturday's own morning
        (at(28, 10), False),  # Sunday: no periods
    ],
)
def test_weekly_periods_and_overnight(moment, expected):
    assert hours.is_open(plain(), moment) is expected


def test_moments_in_other_time_zones_are_converted():
    assert hours.is_open(plain(), datetime(2025, 9, 29, 1, 30, tzinfo=UTC))  # 09:30 in Shanghai
    assert not hours.is_open(plain(), datetime(2025, 9, 29, 0, 30, tzinfo=UTC))  # 08:30


def test_naive_moments_are_refused():
    with pytest.raises(ValueError, match="aware"):
        hours.is_open(plain(), datetime(2025, 9, 29, 10))
    with pytest.raises(ValueError, match="aware"):
        hours.open_time(plain(), datetime(2025, 9, 29), datetime(2025, 9, 30))


def test_official_holidays_close_the_venue():
    assert hours.is_open(OFFICIAL, at(30, 10))  # Tuesday before the holiday
    for day in range(1, 9):
        assert not hours.is_open(OFFICIAL, at(day, 10, month=10)), day
    assert hours.is_open(OFFICIAL, at(9, 10, month=10))


def test_an_exception_opens_a_holiday():
    special = Schedule(
        weekly=WEEKLY,
        holidays=HOLIDAYS,
        exceptions={date(2025, 10, 2): ((time(10), time(16)),)},
    )
    assert hours.is_open(special, at(2, 10, month=10))
    assert hours.is_open(special, at(2, 15, 59, month=10))
    assert not hours.is_open(special, at(2, 16, month=10))
    assert not hours.is_open(special, at(3, 10, month=10))


def test_an_exception_closes_an_ordinary_day_and_another_changes_its_hours():
    special = plain(exceptions={date(2025, 9, 29): (), date(2025, 9, 30): ((time(13), time(20)),)})
    assert not hours.is_open(special, at(29, 10))
    assert not hours.is_open(special, at(29, 15))
    assert not hours.is_open(special, at(30, 10))
    assert hours.is_open(special, at(30, 19, 30))


def test_an_overnight_period_runs_into_a_holiday_morning():
    # The session opened on Friday evening, a working day; Saturday is a holiday.
    special = plain(holidays=frozenset({date(2025, 9, 27)}))
    assert hours.is_open(special, at(27, 0, 30))
    assert not hours.is_open(special, at(27, 9, 30))


def test_an_exception_on_a_friday_removes_its_overnight_session():
    special = plain(exceptions={date(2025, 9, 26): ((time(9), time(12)),)})
    assert not hours.is_open(special, at(26, 20))
    assert not hours.is_open(special, at(27, 0, 30))


@pytest.mark.parametrize(
    ("makeup_weekday", "ten", "eight_pm"),
    [(0, True, False), (4, True, True), (6, False, False)],
)
def test_make_up_working_days_open_like_the_chosen_weekday(makeup_weekday, ten, eight_pm):
    schedule = Schedule(
        weekly=WEEKLY, holidays=HOLIDAYS, workdays=WORKDAYS, makeup_weekday=makeup_weekday
    )
    assert date(2025, 9, 28) in WORKDAYS
    assert hours.is_open(schedule, at(28, 10)) is ten  # a Sunday, worked in 2025
    assert hours.is_open(schedule, at(28, 20)) is eight_pm


def test_day_periods_rules_in_order():
    schedule = Schedule(
        weekly=WEEKLY,
        holidays=frozenset({date(2025, 9, 29)}),
        workdays=frozenset({date(2025, 9, 28)}),
        exceptions={date(2025, 9, 30): ()},
    )
    assert hours.day_periods(schedule, date(2025, 9, 29)) == ()  # holiday
    assert hours.day_periods(schedule, date(2025, 9, 28)) == WEEKDAY  # make-up day: Monday
    assert hours.day_periods(schedule, date(2025, 9, 30)) == ()  # exception
    assert hours.day_periods(schedule, date(2025, 10, 1)) == WEEKDAY
    held = Schedule(
        weekly=WEEKLY,
        holidays=frozenset({date(2025, 9, 29)}),
        exceptions={date(2025, 9, 29): SATURDAY},
    )
    assert hours.day_periods(held, date(2025, 9, 29)) == SATURDAY


def test_open_time_of_a_week():
    # Monday to Thursday 7 h each; Friday 7 h + the 6 h evening; Saturday 3 h; Sunday none.
    assert hours.open_hours(plain(), at(29, 0), at(29, 0) + timedelta(days=7)) == 44
    # The week from Monday 22 September: its Friday evening runs an hour into Saturday.
    week = hours.open_intervals(plain(), at(22, 0), at(29, 0))
    assert week[-2] == (at(26, 19), at(27, 1))
    assert week[-1] == (at(27, 9), at(27, 12))


def test_open_time_is_clipped_to_the_range():
    assert hours.open_hours(plain(), at(29, 10, 30), at(29, 15)) == 2.5
    assert hours.open_hours(plain(), at(27, 0), at(27, 0, 30)) == 0.5  # Friday's overnight
    assert hours.open_time(plain(), at(29, 15), at(29, 10)) == timedelta()


def test_open_time_over_the_national_day_holiday():
    # 29 Sep – 12 Oct 2025: 29, 30 Sep, 9, 10 Oct as weekdays; 28 Sep and 11 Oct worked
    # (make-up days, like Monday); the 26 Sep evening has ended by the 28th.
    total = hours.open_hours(OFFICIAL, at(28, 0), at(13, 0, month=10))
    expected = 7 + 7 * 2 + 7 + (7 + 6) + 7  # 28 Sep, 29–30 Sep, 9 Oct, 10 Oct (Fri), 11 Oct
    assert total == expected


def test_days_in_asia_shanghai_have_24_hours_all_year():
    always = Schedule(weekly={day: ((time(0), time(0)),) for day in range(7)})
    start = datetime(2025, 1, 1, tzinfo=TZ)
    assert hours.open_hours(always, start, start.replace(year=2026)) == 365 * 24
    assert hours.open_intervals(always, at(1, 0), at(3, 0)) == [(at(1, 0), at(3, 0))]
    assert hours.next_opening(always, at(1, 12)) is None


def test_touching_periods_merge_into_one_stretch():
    schedule = Schedule(
        weekly={0: ((time(9), time(12)), (time(12), time(14))), 6: ((time(20), time(0)),)},
    )
    assert hours.open_intervals(schedule, at(28, 0), at(30, 0)) == [
        (at(28, 20), at(29, 0)),
        (at(29, 9), at(29, 14)),
    ]
    assert hours.open_until(schedule, at(29, 11)) == at(29, 14)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(29, 8), at(29, 9)),
        (at(29, 9), at(29, 14)),  # open now: the next opening is after lunch
        (at(29, 10), at(29, 14)),
        (at(26, 18, 30), at(26, 19)),
        (at(26, 20), at(27, 9)),
        (at(27, 10), at(29, 9)),  # Saturday morning → Monday
    ],
)
def test_next_opening(moment, expected):
    assert hours.next_opening(plain(), moment) == expected


def test_next_opening_skips_the_holiday_week():
    assert hours.next_opening(OFFICIAL, at(30, 18)) == at(9, 9, month=10)


def test_next_opening_is_none_without_hours():
    assert hours.next_opening(Schedule(), at(29, 10)) is None
    assert hours.next_opening(plain(), at(29, 10), horizon_days=0) == at(29, 14)


def test_open_until():
    assert hours.open_until(plain(), at(29, 10)) == at(29, 12)
    assert hours.open_until(plain(), at(26, 20)) == at(27, 1)
    assert hours.open_until(plain(), at(27, 0, 30)) == at(27, 1)
    assert hours.open_until(plain(), at(29, 13)) is None


def test_daily_open_time_splits_overnight_periods_at_midnight():
    daily = hours.daily_open_time(plain(), date(2025, 9, 26), date(2025, 9, 28))
    assert daily == {
        date(2025, 9, 26): timedelta(hours=12),
        date(2025, 9, 27): timedelta(hours=4),
        date(2025, 9, 28): timedelta(),
    }


def test_period_length():
    assert hours.period_length((time(9), time(12))) == timedelta(hours=3)
    assert hours.period_length((time(22), time(2))) == timedelta(hours=4)
    assert hours.period_length((time(0), time(0))) == timedelta(hours=24)


@pytest.mark.parametrize(
    "periods",
    [
        ((time(9), time(12)), (time(11), time(13))),  # overlap
        ((time(22), time(2)), (time(23), time(23, 30))),  # something after an overnight period
        tuple((time(h), time(h, 30)) for h in range(7)),  # seven periods
    ],
)
def test_bad_day_periods_are_refused(periods):
    with pytest.raises(ValueError):
        hours.check_day_periods(periods)


def test_good_day_periods_are_sorted():
    assert hours.check_day_periods(((time(14), time(18)), (time(9), time(14)))) == [
        (time(9), time(14)),
        (time(14), time(18)),
    ]
    assert hours.check_day_periods(((time(19), time(1)), (time(9), time(12)))) == [
        (time(9), time(12)),
        (time(19), time(1)),
    ]


def test_every_quarter_hour_of_a_month_agrees_across_the_functions():
    """is_open, open_time, next_opening and open_until tell the same story at every step."""
    schedule = Schedule(
        weekly=WEEKLY,
        holidays=HOLIDAYS,
        workdays=WORKDAYS,
        exceptions={date(2025, 10, 5): ((time(22), time(3)),), date(2025, 9, 30): ()},
    )
    step = timedelta(minutes=15)
    moment, end = at(20, 0), at(20, 0, month=10)
    total = timedelta()
    while moment < end:
        now_open = hours.is_open(schedule, moment)
        assert (hours.open_time(schedule, moment, moment + step) == step) is now_open, moment
        total += step if now_open else timedelta()
        following = hours.next_opening(schedule, moment)
        assert following is not None and following > moment
        assert hours.is_open(schedule, following)
        assert not hours.is_open(schedule, following - step)
        until = hours.open_until(schedule, moment)
        assert (until is not None) is now_open
        moment += step
    assert hours.open_time(schedule, at(20, 0), end) == total
    daily = hours.daily_open_time(schedule, date(2025, 9, 20), date(2025, 10, 19))
    assert sum(daily.values(), timedelta()) == total
