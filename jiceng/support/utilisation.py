"""Venue utilisation (阵地使用率): pure functions on plain figures, no database.

The selector (`venue_selectors.venue_utilisation`) gathers, for each venue and period, the
counts below into `VenueFacts`; these functions turn them into rates and flags. The method and
worked examples are in docs/SCORING.md, "Venue utilisation".

Flags:
- locked (铁将军把门): a spot check during posted hours found the venue closed, or the venue
  had posted hours on each of the last `idle_days` working days of the period with posted
  hours and no check-in during them;
- deserted (门可罗雀): its check-ins per open hour lie below `deserted_fraction` of the median
  of the venues of the same kind (itself included), when at least `min_peers` such venues have
  posted hours and the median is above zero.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

IDLE_WORKING_DAYS = 5
DESERTED_FRACTION = 0.25
MIN_PEERS = 3

LOCKED_BY_SPOT_CHECK = "spot_check"
LOCKED_BY_IDLENESS = "idle"


@dataclass(frozen=True)
class Period:
    """Calendar days from `start` to `end`, both included (local dates)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> float:
        """Length in months: each calendar month touched counts the share of its days covered."""
        total = 0.0
        for year, month in self.month_keys():
            length = calendar.monthrange(year, month)[1]
            first = max(self.start, date(year, month, 1))
            last = min(self.end, date(year, month, length))
            total += ((last - first).days + 1) / length
        return total

    def month_keys(self) -> list[tuple[int, int]]:
        keys = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            keys.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return keys

    def dates(self) -> Iterator[date]:
        day = self.start
        while day <= self.end:
            yield day
            day += timedelta(days=1)


@dataclass(frozen=True)
class VenueFacts:
    venue_id: int
    kind: str
    open_hours: float  # posted open hours in the period
    checkins: int  # every check-in in the period
    checkins_in_hours: int  # check-ins made while the venue was posted open
    activities: int
    spot_checks_in_hours: int  # spot checks made during posted hours
    spot_checks_closed: int  # of those, how many found it closed
    population: int  # residents served by the venue's unit
    months: float  # the period's length in months (Period.months)
    idle_working_days: int  # see idle_streak


@dataclass(frozen=True)
class VenueFigures:
    venue_id: int
    checkins_per_open_hour: float | None
    activities_per_month: float | None
    closed_rate: float | None
    visitors_per_thousand: float | None
    peer_median: float | None
    locked: bool
    locked_reasons: tuple[str, ...]
    deserted: bool


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator > 0 else None


def idle_streak(days: Sequence[tuple[bool, bool, int]]) -> int:
    """Working days with posted hours and no check-in during them, counted back from the end.

    `days` are in date order, each (is a working day, has posted hours, check-ins during the
    posted hours). Days that are not working days or have no posted hours neither count nor
    break the streak; the first day with a check-in ends it.
    """
    streak = 0
    for working, posted, checkins in reversed(days):
        if not (working and posted):
            continue
        if checkins:
            break
        streak += 1
    return streak


def venue_figures(
    facts: Sequence[VenueFacts],
    *,
    idle_days: int = IDLE_WORKING_DAYS,
    deserted_fraction: float = DESERTED_FRACTION,
    min_peers: int = MIN_PEERS,
) -> list[VenueFigures]:
    """Rates and flags for each venue, the deserted flag against its peers in `facts`."""
    rates = {fact.venue_id: ratio(fact.checkins_in_hours, fact.open_hours) for fact in facts}
    by_kind: dict[str, list[float]] = defaultdict(list)
    for fact in facts:
        rate = rates[fact.venue_id]
        if rate is not None:
            by_kind[fact.kind].append(rate)
    medians = {
        kind: median(values) if len(values) >= min_peers else None
        for kind, values in by_kind.items()
    }
    result = []
    for fact in facts:
        rate = rates[fact.venue_id]
        peer_median = medians.get(fact.kind)
        reasons = []
        if fact.spot_checks_closed:
            reasons.append(LOCKED_BY_SPOT_CHECK)
        if idle_days > 0 and fact.idle_working_days >= idle_days:
            reasons.append(LOCKED_BY_IDLENESS)
        deserted = (
            rate is not None
            and peer_median is not None
            and peer_median > 0
            and rate < deserted_fraction * peer_median
        )
        result.append(
            VenueFigures(
                venue_id=fact.venue_id,
                checkins_per_open_hour=rate,
                activities_per_month=ratio(fact.activities, fact.months),
                closed_rate=ratio(fact.spot_checks_closed, fact.spot_checks_in_hours),
                visitors_per_thousand=(
                    None if fact.population <= 0 else fact.checkins * 1000 / fact.population
                ),
                peer_median=peer_median,
                locked=bool(reasons),
                locked_reasons=tuple(reasons),
                deserted=deserted,
            )
        )
    return result


@dataclass(frozen=True)
class UnitFigures:
    """A unit's venues together: what an evaluation can use as an objective metric."""

    venues: int
    open_hours: float
    checkins: int
    checkins_per_open_hour: float | None
    activities_per_month: float | None
    closed_rate: float | None
    visitors_per_thousand: float | None
    locked: int
    deserted: int
    flagged_share: float | None  # venues locked or deserted, of all venues


def unit_figures(
    facts: Sequence[VenueFacts],
    figures: Sequence[VenueFigures],
    *,
    population: int,
    months: float,
) -> UnitFigures:
    """Totals over the venues, then rates of the totals (not averages of the venues' rates)."""
    open_hours = sum(fact.open_hours for fact in facts)
    checkins = sum(fact.checkins for fact in facts)
    in_hours = sum(fact.checkins_in_hours for fact in facts)
    locked = sum(1 for figure in figures if figure.locked)
    deserted = sum(1 for figure in figures if figure.deserted)
    flagged = sum(1 for figure in figures if figure.locked or figure.deserted)
    return UnitFigures(
        venues=len(facts),
        open_hours=open_hours,
        checkins=checkins,
        checkins_per_open_hour=ratio(in_hours, open_hours),
        activities_per_month=(
            ratio(sum(fact.activities for fact in facts), months) if facts else None
        ),
        closed_rate=ratio(
            sum(fact.spot_checks_closed for fact in facts),
            sum(fact.spot_checks_in_hours for fact in facts),
        ),
        visitors_per_thousand=None if population <= 0 else checkins * 1000 / population,
        locked=locked,
        deserted=deserted,
        flagged_share=ratio(flagged, len(facts)),
    )
