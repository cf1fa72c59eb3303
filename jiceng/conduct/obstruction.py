"""Obstruction analytics (中梗阻): pure functions over case-timeline rows.

No ORM here: `obstruction_selectors` fetches `EventRow`s and calls `analyse`. Definitions and the
obstruction index are written up in docs/SCORING.md, "Obstruction index".

Who holds a case: the `to_unit` of its `submitted` event, then the `to_unit` of every move
(dispatched, transferred, transfer approved, returned). Escalations and other events do not move
it. A case is *held* while its status after the last event is open (not resolved, closed,
rejected or merged); only held time counts as dwell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

SUBMITTED = "submitted"
MOVES = frozenset({"dispatched", "transferred", "transfer_approved", "returned"})
TRANSFERS = frozenset({"transferred", "transfer_approved"})
RETURNED = "returned"
RESOLVED = "resolved"
REOPENED = "reopened"
ESCALATED = "escalated"
NOT_HELD = frozenset({"resolved", "closed", "rejected", "merged"})

DEFAULT_STALL_HOURS = 14.0  # two working days of 7 hours
DEFAULT_MIN_CASES = 5
CHAIN_LENGTH = 3
DWELL_REFERENCE_HOURS = 35.0  # five working days: mean dwell at or above it scores 1

# weights of the index components (sum 1)
WEIGHTS: dict[str, float] = {
    "stall": 0.30,
    "dwell": 0.20,
    "bounce": 0.15,
    "escalation": 0.15,
    "return": 0.10,
    "reopen": 0.10,
}

Hours = Callable[[datetime, datetime], float]


class EventRow(NamedTuple):
    case_id: int
    at: datetime
    kind: str
    from_unit: int | None
    to_unit: int | None
    status_after: str


def wall_hours(start: datetime, end: datetime) -> float:
    return max((end - start) / timedelta(hours=1), 0.0)


@dataclass
class UnitStats:
    unit: int
    cases: set[int] = field(default_factory=set)  # cases the unit held at some time
    dwell_hours: float = 0.0  # held time, summed over cases
    dwell_by_status: dict[str, float] = field(default_factory=dict)  # the same, by step
    stalled: set[int] = field(default_factory=set)
    bounced_in: set[int] = field(default_factory=set)  # came back to this unit after leaving it
    returns: int = 0  # cases this unit sent back (退回)
    transfers_out: int = 0
    resolved: set[int] = field(default_factory=set)
    reopened: set[int] = field(default_factory=set)  # resolved here, then reopened
    escalations_received: int = 0
    escalated_from: set[int] = field(default_factory=set)  # escalated while held here

    @property
    def case_count(self) -> int:
        return len(self.cases)

    @property
    def mean_dwell(self) -> float:
        return self.dwell_hours / len(self.cases) if self.cases else 0.0

    @property
    def slowest_step(self) -> tuple[str, float] | None:
        """The status in which cases waited longest here, with the hours (summed)."""
        if not self.dwell_by_status:
            return None
        return max(self.dwell_by_status.items(), key=lambda item: (item[1], item[0]))

    @property
    def reopen_rate(self) -> float | None:
        return len(self.reopened) / len(self.resolved) if self.resolved else None


@dataclass
class Analysis:
    units: dict[int, UnitStats]
    flows: dict[tuple[int, int], int]  # (from unit, to unit) → moves
    chains: set[int]  # cases with CHAIN_LENGTH or more transfers
    bounces: dict[int, int]  # case → times it came back to a unit it had left


def _stats(units: dict[int, UnitStats], unit: int) -> UnitStats:
    if unit not in units:
        units[unit] = UnitStats(unit)
    return units[unit]


def _dwell(
    units: dict[int, UnitStats],
    holder: int,
    case_id: int,
    status: str,
    spent: float,
    stall_hours: float,
) -> None:
    stats = _stats(units, holder)
    stats.dwell_hours += spent
    stats.dwell_by_status[status] = stats.dwell_by_status.get(status, 0.0) + spent
    if spent > stall_hours:
        stats.stalled.add(case_id)


def analyse(
    rows: Iterable[EventRow],
    *,
    until: datetime,
    hours: Hours = wall_hours,
    stall_hours: float = DEFAULT_STALL_HOURS,
) -> Analysis:
    """Replay each case's events (any order in; sorted by case, time here).

    `until` ends the dwell of cases still held (the end of the period, or now). A stall is a
    held interval, between consecutive events or up to `until`, longer than `stall_hours` as
    `hours` measures it (working hours when given the calendar's working time).
    """
    units: dict[int, UnitStats] = {}
    flows: dict[tuple[int, int], int] = defaultdict(int)
    chains: set[int] = set()
    bounces: dict[int, int] = {}
    by_case: dict[int, list[EventRow]] = defaultdict(list)
    for row in rows:
        by_case[row.case_id].append(row)
    for case_id, events in by_case.items():
        events.sort(key=lambda e: e.at)
        holder: int | None = None
        held_since: datetime | None = None
        held = False
        status = ""
        left: set[int] = set()
        transfers = 0
        last_resolver: int | None = None

        for event in events:
            if held and holder is not None and held_since is not None:
                _dwell(units, holder, case_id, status, hours(held_since, event.at), stall_hours)
            if event.kind == ESCALATED:
                if event.to_unit is not None:
                    _stats(units, event.to_unit).escalations_received += 1
                if holder is not None:
                    _stats(units, holder).escalated_from.add(case_id)
            if event.kind == SUBMITTED and event.to_unit is not None:
                holder = event.to_unit
            elif event.kind in MOVES and event.to_unit is not None:
                source = holder if holder is not None else event.from_unit
                if source is not None and source != event.to_unit:
                    flows[(source, event.to_unit)] += 1
                    left.add(source)
                    if event.kind == RETURNED:
                        _stats(units, source).returns += 1
                    if event.kind in TRANSFERS:
                        _stats(units, source).transfers_out += 1
                if event.kind in TRANSFERS:
                    transfers += 1
                if event.to_unit in left:
                    bounces[case_id] = bounces.get(case_id, 0) + 1
                    _stats(units, event.to_unit).bounced_in.add(case_id)
                holder = event.to_unit
            elif event.kind == RESOLVED and holder is not None:
                last_resolver = holder
                _stats(units, holder).resolved.add(case_id)
            elif event.kind == REOPENED and last_resolver is not None:
                _stats(units, last_resolver).reopened.add(case_id)
            if holder is not None:
                _stats(units, holder).cases.add(case_id)
            held = event.status_after not in NOT_HELD
            held_since = event.at
            status = event.status_after
        if events and held and holder is not None and held_since is not None:
            end = max(until, events[-1].at)
            _dwell(units, holder, case_id, status, hours(held_since, end), stall_hours)
        if transfers >= CHAIN_LENGTH:
            chains.add(case_id)
    return Analysis(units=units, flows=dict(flows), chains=chains, bounces=bounces)


def components(stats: UnitStats) -> dict[str, float]:
    """Each component 0–1; higher is worse. See docs/SCORING.md."""
    n = stats.case_count
    rate = stats.reopen_rate
    return {
        "stall": len(stats.stalled) / n,
        "dwell": min(stats.mean_dwell / DWELL_REFERENCE_HOURS, 1.0),
        "bounce": len(stats.bounced_in) / n,
        "escalation": len(stats.escalated_from) / n,
        "return": min(stats.returns / n, 1.0),
        "reopen": rate if rate is not None else 0.0,
    }


def obstruction_index(stats: UnitStats, *, min_cases: int = DEFAULT_MIN_CASES) -> float | None:
    """0 (no obstruction) – 100, one decimal; None for fewer than `min_cases` cases held."""
    if stats.case_count < max(min_cases, 1):
        return None
    parts = components(stats)
    return round(100 * sum(WEIGHTS[name] * value for name, value in parts.items()), 1)


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # None: too few cases for an index
    index: float | None
    stats: UnitStats


def ranking(analysis: Analysis, *, min_cases: int = DEFAULT_MIN_CASES) -> list[Ranked]:
    """Units by index, worst first; equal indices share a rank (1, 2, 2, 4); units without an
    index come last, unranked, by number of cases held. Ties keep unit id order."""
    scored = [
        (obstruction_index(stats, min_cases=min_cases), stats)
        for _unit, stats in sorted(analysis.units.items())
    ]
    with_index = sorted(
        ((index, stats) for index, stats in scored if index is not None),
        key=lambda pair: -pair[0],
    )
    out: list[Ranked] = []
    previous: float | None = None
    rank = 0
    for position, (index, stats) in enumerate(with_index, start=1):
        if index != previous:
            rank = position
            previous = index
        out.append(Ranked(rank, index, stats))
    without = sorted(
        (stats for index, stats in scored if index is None), key=lambda s: -s.case_count
    )
    out.extend(Ranked(None, None, stats) for stats in without)
    return out


def sankey(
    flows: dict[tuple[int, int], int], names: dict[int, str]
) -> dict[str, list[dict[str, object]]]:
    """ECharts sankey data without cycles: every unit appears twice, as a sender on the left
    ("name ›") and as a receiver on the right ("› name"), so A→B and B→A are separate links."""
    senders = sorted({a for a, _b in flows})
    receivers = sorted({b for _a, b in flows})
    nodes: list[dict[str, object]] = [
        {"name": f"{names.get(u, str(u))} ›", "depth": 0} for u in senders
    ] + [{"name": f"› {names.get(u, str(u))}", "depth": 1} for u in receivers]
    links: list[dict[str, object]] = [
        {
            "source": f"{names.get(a, str(a))} ›",
            "target": f"› {names.get(b, str(b))}",
            "value": count,
        }
        for (a, b), count in sorted(flows.items())
    ]
    return {"nodes": nodes, "links": links}
