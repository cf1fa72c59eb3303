"""Opening-hours maths for venues: pure functions on plain data, no database.

A `Schedule` is what a venue posts:
- `weekly`: periods per weekday (0 = Monday), each `(opens, closes)`; a period whose `closes`
  is at or before `opens` runs past midnight into the next day (22:00–02:00), and 00:00–00:00
  is the whole day. A period belongs to the day it opens on.
- `exceptions`: dated replacements of that day's periods; an empty tuple closes the day.
- `holidays`: official days off (the working calendar's); the venue is closed on them unless an
  exception for that date says otherwise.
- `workdays`: official make-up working days (调休上班); on them the venue opens as on
  `makeup_weekday` (Monday unless the venue says otherwise), unless an exception applies.

Which rule decides a day, first match wins: exception → holiday (closed) → make-up working day
→ the weekday's periods. A period opening the evening before a holiday still runs into the
holiday's early hours: it belongs to the day it opened on.

Times are local to `tz` (Asia/Shanghai, which has had no daylight saving since 1991, so every
day has 24 hours); moments passed in must be aware and are converted.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise

Period = tuple[time, time]
Interval = tuple[datetime, datetime]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MAX_PERIODS_PER_DAY = 6
NEXT_OPENING_HORIZON_DAYS = 400


@dataclass(frozen=True)
class Schedule:
    weekly: Mapping[int, Sequence[Period]] = field(default_factory=dict)
    exceptions: Mapping[date, Sequence[Period]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0
    tz: zoneinfo.ZoneInfo = SHANGHAI


def period_length(period: Period) -> timedelta:
    """How long a period lasts; overnight periods run into the next day."""
    opens, closes = period
    start = datetime.combine(date.min, opens)
    end = datetime.combine(date.min, closes)
    if end <= start:
        end += timedelta(days=1)
    return end - start


def check_day_periods(periods: Sequence[Period]) -> list[Period]:
    """The periods of one day in order; ValueError when two overlap or there are too many.

    An overnight period must be the day's last: nothing may open after it opened.
    """
    ordered = sorted(periods)
    if len(ordered) > MAX_PERIODS_PER_DAY:
        raise ValueError("too many periods")
    for (opens, closes), (next_opens, _next_closes) in pairwise(ordered):
        overnight = closes <= opens
        if overnight or next_opens < closes:
            raise ValueError("periods overlap")
    return ordered


def day_periods(schedule: Schedule, day: date) -> Sequence[Period]:
    """The periods that open on `day`, by the rules in the module's docstring."""
    if day in schedule.exceptions:
        return schedule.exceptions[day]
    if day in schedule.holidays:
        return ()
    if day in schedule.workdays:
        return schedule.weekly.get(schedule.makeup_weekday, ())
    return schedule.weekly.get(day.weekday(), ())


def day_intervals(schedule: Schedule, day: date) -> list[Interval]:
    """The moments the periods opening on `day` cover, in order."""
    result = []
    for opens, closes in sorted(day_periods(schedule, day)):
        start = datetime.combine(day, opens, tzinfo=schedule.tz)
        end_day = day if closes > opens else day + timedelta(days=1)
        result.append((start, datetime.combine(end_day, closes, tzinfo=schedule.tz)))
    return result


def _merged(schedule: Schedule, first_day: date, last_day: date) -> Iterator[Interval]:
    """Open intervals of the periods opening from `first_day` to `last_day`, touching joined."""
    current: Interval | None = None
    day = first_day
    while day <= last_day:
        for start, end in day_intervals(schedule, day):
            if current is not None and start <= current[1]:
                current = (current[0], max(current[1], end))
                continue
            if current is not None:
                yield current
            current = (start, end)
        day += timedelta(days=1)
    if current is not None:
        yield current


def _local(schedule: Schedule, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Opening-hours maths needs aware datetimes.")
    return moment.astimezone(schedule.tz)


def open_intervals(schedule: Schedule, start: datetime, end: datetime) -> list[Interval]:
    """The posted-open parts of [start, end), merged and clipped, in local time."""
    start, end = _local(schedule, start), _local(schedule, end)
    if end <= start:
        return []
    # A period opening the day before may run past midnight into the range.
    first = start.date() - timedelta(days=1)
    result = []
    for begin, finish in _merged(schedule, first, end.date()):
        begin, finish = max(begin, start), min(finish, end)
        if finish > begin:
            result.append((begin, finish))
    return result


def is_open(schedule: Schedule, moment: datetime) -> bool:
    """Whether the venue is posted open at `moment` (opening time included, closing excluded)."""
    moment = _local(schedule, moment)
    day = moment.date()
    return any(
        begin <= moment < finish
        for other in (day - timedelta(days=1), day)
        for begin, finish in day_intervals(schedule, other)
    )


def open_time(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """Posted open time inside [start, end)."""
    return sum(
        (finish - begin for begin, finish in open_intervals(schedule, start, end)), timedelta()
    )


def open_hours(schedule: Schedule, start: datetime, end: datetime) -> float:
    return open_time(schedule, start, end) / timedelta(hours=1)


def daily_open_time(schedule: Schedule, first: date, last: date) -> dict[date, timedelta]:
    """Posted open time on each local calendar day from `first` to `last` (midnight splits)."""
    result = {}
    day = first
    while day <= last:
        start = datetime.combine(day, time.min, tzinfo=schedule.tz)
        result[day] = open_time(schedule, start, start + timedelta(days=1))
        day += timedelta(days=1)
    return result


def next_opening(
    schedule: Schedule, moment: datetime, *, horizon_days: int = NEXT_OPENING_HORIZON_DAYS
) -> datetime | None:
    """When the venue next opens strictly after `moment`; None if not within the horizon.

    While the venue is open, that is the opening after the current stretch closes. A venue open
    round the clock never "opens" again, so the answer is None.
    """
    moment = _local(schedule, moment)
    first = moment.date() - timedelta(days=1)
    for begin, _finish in _merged(schedule, first, moment.date() + timedelta(days=horizon_days)):
        if begin > moment:
            return begin
    return None


def open_until(schedule: Schedule, moment: datetime) -> datetime | None:
    """When the current open stretch ends, or None when closed at `moment`.

    Looks two days ahead: a stretch running longer (a venue open round the clock) is reported
    as ending there.
    """
    moment = _local(schedule, moment)
    first = moment.date() - timedelta(days=1)
    for begin, finish in _merged(schedule, first, moment.date() + timedelta(days=2)):
        if begin <= moment < finish:
            return finish
        if begin > moment:
            return None
    return None
