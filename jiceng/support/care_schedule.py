"""Visit schedules of care targets: pure date arithmetic, no ORM (docs/SCORING.md).

Dates are calendar dates in China Standard Time (Asia/Shanghai): a visit counts on the day it
happened there, whatever the server's clock zone.

The schedule rolls: the first visit is due on `first_due`; after each visit the next one is due
one interval after it (`next_due`). For the completion metric (`settle`) every due date ends in
one of three ways:

- met on time: a visit on or before the due date;
- late: the first visit came after the due date but before the next due date would have been;
- missed: no visit within a whole interval after the due date; the next due date then counts
  from the missed one, so a household nobody visits for three months on a monthly schedule
  misses three visits, not one.

After each visit (on time or late) the next due date counts from the visit. Two visits on one
day are one visit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

EVERY_N_DAYS = "days"
WEEKLY = "weekly"
MONTHLY = "monthly"
FREQUENCIES = (EVERY_N_DAYS, WEEKLY, MONTHLY)
MAX_INTERVAL_DAYS = 366


@dataclass(frozen=True)
class Schedule:
    frequency: str
    first_due: date
    interval_days: int = 30  # used by EVERY_N_DAYS only

    def __post_init__(self) -> None:
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if self.frequency == EVERY_N_DAYS and not 1 <= self.interval_days <= MAX_INTERVAL_DAYS:
            raise ValueError("interval_days must lie between 1 and 366")


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (Jan 31 → Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def step(schedule: Schedule, day: date) -> date:
    """The due date one interval after `day`."""
    if schedule.frequency == WEEKLY:
        return day + timedelta(days=7)
    if schedule.frequency == MONTHLY:
        return add_months(day, 1)
    return day + timedelta(days=schedule.interval_days)


def next_due(schedule: Schedule, last_visit: date | None) -> date:
    """When the next visit is due: one interval after the last visit, or the first due date."""
    if last_visit is None:
        return schedule.first_due
    return step(schedule, last_visit)


def is_overdue(due: date, today: date) -> bool:
    """A visit due on `due` is overdue from the day after."""
    return due < today


@dataclass(frozen=True)
class Occurrence:
    """One due date and the visit that settled it (None when missed or still open)."""

    due: date
    visited_on: date | None

    @property
    def on_time(self) -> bool:
        return self.visited_on is not None and self.visited_on <= self.due


def settle(schedule: Schedule, visits: Iterable[date], *, until: date) -> list[Occurrence]:
    """Every due date settled by `until` (today, or the day the target left the list), in order.

    A due date still open on `until` (not passed, no visit yet) is not listed; one met early by
    a visit is. Visits after `until` are ignored.
    """
    occurrences: list[Occurrence] = []
    due = schedule.first_due
    for visit in sorted(set(visits)):
        if visit > until:
            break
        while step(schedule, due) <= visit:  # a whole interval without a visit: missed
            occurrences.append(Occurrence(due, None))
            due = step(schedule, due)
        occurrences.append(Occurrence(due, visit))  # on time if visit <= due, else late
        due = step(schedule, visit)
    while due < until:  # passed without a visit
        occurrences.append(Occurrence(due, None))
        due = step(schedule, due)
    return occurrences


def completion(
    schedule: Schedule,
    visits: Iterable[date],
    *,
    period: tuple[date, date],
    today: date,
    closed_on: date | None = None,
) -> tuple[int, int]:
    """(visits done on time, visits due) for due dates within `period` (both ends included).

    Due dates are settled up to `today`, or up to the day the target left the care list.
    """
    start, end = period
    until = min(today, closed_on) if closed_on is not None else today
    on_time = due = 0
    for occurrence in settle(schedule, visits, until=until):
        if start <= occurrence.due <= end:
            due += 1
            on_time += occurrence.on_time
    return on_time, due
