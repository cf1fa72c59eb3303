"""The working-day calendar: official holidays, make-up working days and working hours.

`WorkCalendar` is pure: it is built from sets of dates and working periods and does the maths.
`get_calendar()` builds the deployment's calendar from chinese-calendar (the State Council's
schedule) corrected by `CalendarDay` rows, and caches it until a correction changes.

Conventions (docs/ARCHITECTURE.md, "Working days"):
- A deadline of N working days from a moment ends at the close of business of the N-th working
  day after the moment's date; the day the clock starts does not count.
- A deadline of N working hours counts only time inside working periods of working days.
- Days outside the official schedule's years fall back to Monday–Friday; `covers(year)` says
  whether a year is known, so administrators can be told to enter the new schedule.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from jiceng.core.process_cache import ProcessCache


def _parse_periods(raw: Iterable[tuple[str, str]]) -> tuple[tuple[time, time], ...]:
    periods = tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in raw)
    previous_end = time.min
    for start, end in periods:
        if not previous_end <= start < end:
            raise ValueError("Working periods must be ordered, non-overlapping and non-empty.")
        previous_end = end
    if not periods:
        raise ValueError("At least one working period is needed.")
    return periods


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    periods: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13, 30), time(17, 30)))
    known_years: frozenset[int] = frozenset()
    tz: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("Asia/Shanghai"))

    # --- days ---------------------------------------------------------------------------
    def covers(self, year: int) -> bool:
        return year in self.known_years

    def years_missing(self, today: date) -> list[int]:
        """Years whose official schedule deadlines need but the calendar does not know.

        This year always matters; next year matters from November, when deadlines start to
        reach into it and the State Council has usually published its schedule.
        """
        years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
        return [year for year in years if not self.covers(year)]

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open range (start, end]: how many were spent."""
        if end <= start:
            return 0
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    @property
    def day_length(self) -> timedelta:
        return sum(
            (
                datetime.combine(date.min, end) - datetime.combine(date.min, start)
                for start, end in self.periods
            ),
            timedelta(),
        )

    # --- moments --------------------------------------------------------------------------
    def _local(self, moment: datetime) -> datetime:
        if timezone.is_naive(moment):
            raise ValueError("Calendar maths needs aware datetimes.")
        return moment.astimezone(self.tz)

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz)

    def close_of_business(self, day: date) -> datetime:
        return self._at(day, self.periods[-1][1])

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Close of business of the `days`-th working day after `start`'s date."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = self._local(start).date()
        if days == 0:
            return self.close_of_business(
                day if self.is_working_day(day) else self.next_working_day(day)
            )
        for _ in range(days):
            day = self.next_working_day(day)
        return self.close_of_business(day)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The moment when `amount` of working time has passed since `start`."""
        if amount < timedelta():
            raise ValueError("amount must not be negative")
        moment = self._local(start)
        remaining = amount
        day = moment.date()
        while True:
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin = max(moment, self._at(day, period_start))
                    end = self._at(day, period_end)
                    if begin >= end:
                        continue
                    available = end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
            moment = self._at(day, time.min)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_time(start, timedelta(hours=hours))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end)."""
        start, end = self._local(start), self._local(end)
        if end <= start:
            return timedelta()
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin = max(start, self._at(day, period_start))
                    finish = min(end, self._at(day, period_end))
                    if finish > begin:
                        total += finish - begin
            day += timedelta(days=1)
        return total


def official_calendar_data() -> tuple[frozenset[date], frozenset[date], frozenset[int]]:
    """Holidays, make-up working days and covered years from chinese-calendar."""
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    workdays = frozenset(constants.workdays)
    years = {day.year for day in holidays}
    return holidays, workdays, frozenset(range(min(years), max(years) + 1))


def _build_calendar() -> WorkCalendar:
    from jiceng.core.models import CalendarDay

    holidays, workdays, known_years = official_calendar_data()
    extra_holidays: set[date] = set()
    extra_workdays: set[date] = set()
    corrected_years: set[int] = set()
    for correction in CalendarDay.objects.all():
        corrected_years.add(correction.date.year)
        if correction.kind == CalendarDay.Kind.HOLIDAY:
            extra_holidays.add(correction.date)
        else:
            extra_workdays.add(correction.date)
    return WorkCalendar(
        holidays=(holidays - extra_workdays) | extra_holidays,
        workdays=(workdays - extra_holidays) | extra_workdays,
        periods=_parse_periods(settings.WORKING_HOURS),
        known_years=known_years | frozenset(corrected_years),
        tz=zoneinfo.ZoneInfo(settings.TIME_ZONE),
    )


_calendar = ProcessCache("core.calendar", _build_calendar)


def get_calendar() -> WorkCalendar:
    """The deployment's calendar; rebuilt in every process when a correction changes.

    Deadlines are computed on every intake, so each process keeps the calendar and asks the
    shared cache whether it changed at most every few seconds (core.process_cache).
    """
    return _calendar.get()


def invalidate_calendar() -> None:
    _calendar.invalidate()
