"""Case rates per unit and month (响应率、解决率、满意率 …): pure functions over plain rows.

Nothing here touches the database or Django: the selectors in `rate_selectors.py` fetch plain
rows and hand them in, tests hand in rows written by hand. The method is written up, with a worked
example, in docs/SCORING.md ("Case rates").

Two kinds of row describe a case:

- `Received`: the case as its first receiver saw it, for the response rate. It belongs to the
  unit that accepted it (`Case.accepted_by_unit`) or, never accepted, to the unit the case was
  routed to on submission, and to the month it was submitted in.
- `Handled`: the case as the unit that resolved it saw it (`Case.resolved_by_unit`), for the
  other five figures. It belongs to the month it was resolved in (resolution, satisfaction,
  on-time, handling time) and to the month it was closed in (no-feedback share).

Months are calendar months in China Standard Time (Asia/Shanghai): a case submitted at
2026-03-31 23:30 local time (15:30 UTC) belongs to March.

Every rate comes as a `Rate` with its numerator and denominator; its `value` is None, not 0,
when nothing was counted, so a page can show "—" and a reader can judge a small sample.

Definitions (each function below repeats its own):

- response rate = cases responded to at or before `respond_by` ÷ cases received in the month
  that were due a response. A case is due once it was responded to or its `respond_by` has
  passed; one neither responded to nor past its deadline is not counted yet. Responding means
  accepting; rejecting or merging a case that was never accepted is a response too (the unit
  decided about it), at the moment it did so.
- resolution rate = answers "yes" or "partly" ÷ all answers, over the cases resolved by the
  unit in the month that have an answer, taking each case's latest feedback round only.
- satisfaction rate = answers rating 4 or 5 ÷ answers with a rating, over the same answers.
- on-time rate = cases resolved at or before `resolve_by` ÷ cases resolved in the month.
- median handling time = the median of `resolved_at − submitted_at`, in hours, over the cases
  resolved in the month; None when there are none.
- no-feedback share = cases closed because no answer came in time ÷ cases closed in the month
  (closed after a resolution: the resident confirmed, or the time for an answer ran out).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Asia/Shanghai")
# django-treebeard's default step length: a unit's path is its parent's path plus 4 characters.
STEPLEN = 4

# The stored values these definitions read (jiceng.cases.models Solved, Satisfaction,
# CloseReason and Status; tests/cases/test_rates.py checks that they still agree).
SOLVED_ANSWERS = frozenset({"yes", "partly"})
SATISFIED_LEVELS = frozenset({4, 5})
CLOSED_REASONS = frozenset({"feedback", "no_feedback"})
NO_FEEDBACK = "no_feedback"
DECIDED_WITHOUT_ACCEPTING = frozenset({"rejected", "merged"})

UnitKey = TypeVar("UnitKey")  # how the caller names units: a tree path, a primary key

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class Month(NamedTuple):
    """A calendar month; `str(month)` is `YYYY-MM`."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime, tz: tzinfo = LOCAL_TIME) -> Month:
        """The local month an aware moment falls in."""
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM` → Month; ValueError for anything else (month 1–12, year 1–9999)."""
        match = _MONTH.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"not a month: {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        if not (1 <= year <= 9999 and 1 <= month <= 12):
            raise ValueError(f"not a month: {text!r}")
        return cls(year, month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def start(self, tz: tzinfo = LOCAL_TIME) -> datetime:
        """The first moment of the month, local midnight of its first day (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=tz)


def month_span(last: Month, count: int = 12) -> list[Month]:
    """`count` consecutive months ending with `last`, oldest first."""
    months = [last]
    while len(months) < count:
        months.append(months[-1].previous())
    return months[::-1]


def month_bounds(months: Collection[Month], tz: tzinfo = LOCAL_TIME) -> tuple[datetime, datetime]:
    """[start, end) covering the months: local midnight of the first day of the earliest one,
    to local midnight of the first day after the latest one. Query with `>= start, < end`."""
    if not months:
        raise ValueError("no months")
    return min(months).start(tz), max(months).next().start(tz)


# --- rows -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Received:
    """A case as its first receiver saw it: what the response rate needs.

    `unit` is the tree path of the receiving unit (the one that accepted it, else the one it
    was routed to). `responded_at` is when it was accepted, or, for a case rejected or merged
    without being accepted, when that happened; None while nobody has responded.
    """

    unit: str
    submitted_at: datetime
    respond_by: datetime
    responded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Handled:
    """A case as the unit that resolved it saw it: what the other five figures need.

    `unit` is the tree path of the resolving unit. `resolved_at` is None while the case is not
    resolved (never, or reopened since). `close_reason` is "feedback", "no_feedback" or "".
    `solved` and `satisfaction` are the case's latest feedback round (see `latest_answer`),
    None while the resident has not answered.
    """

    unit: str
    submitted_at: datetime
    resolve_by: datetime
    resolved_at: datetime | None
    closed_at: datetime | None = None
    close_reason: str = ""
    solved: str | None = None
    satisfaction: int | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """One feedback round (回访): round 1 answers the first resolution, round 2 the one after
    the first reopening, and so on."""

    round: int
    solved: str
    satisfaction: int | None = None


def latest_answer(answers: Iterable[Answer]) -> Answer | None:
    """The answer that counts for a case: its latest round, the resident's last word on it.

    An answer "no" reopens the case, which then leaves the resolved cases until it is resolved
    again; resolved again, it counts with its latest answer, which stays that "no" until the
    resident answers the new resolution (and for good if they never do).
    """
    return max(answers, key=lambda answer: answer.round, default=None)


# --- figures --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Rate:
    """numerator ÷ denominator; `value` is None (not 0) when the denominator is 0."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        """The value in per cent, rounded to one decimal."""
        value = self.value
        return None if value is None else round(value * 100, 1)


@dataclass(frozen=True, slots=True)
class Median:
    """The median handling time in hours over `count` cases; None when `count` is 0."""

    hours: float | None
    count: int

    @property
    def value(self) -> float | None:
        return self.hours


@dataclass(frozen=True, slots=True)
class Figures:
    """The six figures of one unit (or subtree) in one month."""

    response: Rate
    resolution: Rate
    satisfaction: Rate
    on_time: Rate
    handling: Median
    no_feedback: Rate


HOUR = 3600.0


def weighted_median(counts: Mapping[float, int]) -> float | None:
    """The median of values given with how often each occurs: the middle value, or with an even
    count the mean of the middle two; None when there are none."""
    total = sum(counts.values())
    if total == 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2  # 0-based ranks of the middle
    lower = upper = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            upper = value
            break
    assert lower is not None and upper is not None
    return lower if lower == upper else (lower + upper) / 2


def response_moment(
    accepted_at: datetime | None, status: str, closed_at: datetime | None
) -> datetime | None:
    """When the receiver responded: when it accepted the case; for a case rejected or merged
    without being accepted, when it did that (the case's `closed_at`); else None."""
    if accepted_at is not None:
        return accepted_at
    if status in DECIDED_WITHOUT_ACCEPTING:
        return closed_at
    return None


def response_outcome(case: Received, now: datetime) -> bool | None:
    """True: responded at or before `respond_by`. False: responded after it, or not responded
    and `respond_by` has passed (`respond_by < now`). None: not due yet (not counted)."""
    if case.responded_at is not None:
        return case.responded_at <= case.respond_by
    if case.respond_by < now:
        return False
    return None


def handling_hours(case: Handled) -> float:
    """Calendar hours from submission to resolution (not working hours)."""
    assert case.resolved_at is not None
    return (case.resolved_at - case.submitted_at).total_seconds() / HOUR


def is_closed(case: Handled) -> bool:
    """Closed after a resolution: the resident confirmed, or no answer came in time."""
    return case.closed_at is not None and case.close_reason in CLOSED_REASONS


@dataclass(slots=True)
class Tally:
    """Counts for one group (a unit or a subtree) in one month; tallies merge by adding."""

    responded_in_time: int = 0
    due_response: int = 0
    solved: int = 0
    answered: int = 0
    satisfied: int = 0
    rated: int = 0
    resolved_in_time: int = 0
    resolved: int = 0
    # Handling times in hours, each with how many cases took it (a histogram): rows add their
    # exact times, the database's counts their times in tenths of an hour, rounded down.
    hours: dict[float, int] = field(default_factory=dict)
    closed_no_feedback: int = 0
    closed: int = 0

    def add_received(self, case: Received, now: datetime) -> None:
        outcome = response_outcome(case, now)
        if outcome is None:
            return
        self.due_response += 1
        self.responded_in_time += outcome

    def add_resolved(self, case: Handled) -> None:
        """A case resolved in this tally's month."""
        assert case.resolved_at is not None
        self.resolved += 1
        self.resolved_in_time += case.resolved_at <= case.resolve_by
        self.add_handling(handling_hours(case))
        if case.solved is not None:
            self.answered += 1
            self.solved += case.solved in SOLVED_ANSWERS
        if case.satisfaction is not None:
            self.rated += 1
            self.satisfied += case.satisfaction in SATISFIED_LEVELS

    def add_handling(self, hours: float, count: int = 1) -> None:
        """`count` cases that took `hours` from submission to resolution."""
        self.hours[hours] = self.hours.get(hours, 0) + count

    def add_closed(self, case: Handled) -> None:
        """A case closed in this tally's month."""
        self.closed += 1
        self.closed_no_feedback += case.close_reason == NO_FEEDBACK

    def merge(self, other: Tally) -> None:
        self.responded_in_time += other.responded_in_time
        self.due_response += other.due_response
        self.solved += other.solved
        self.answered += other.answered
        self.satisfied += other.satisfied
        self.rated += other.rated
        self.resolved_in_time += other.resolved_in_time
        self.resolved += other.resolved
        for hours, count in other.hours.items():
            self.add_handling(hours, count)
        self.closed_no_feedback += other.closed_no_feedback
        self.closed += other.closed

    def figures(self) -> Figures:
        return Figures(
            response=Rate(self.responded_in_time, self.due_response),
            resolution=Rate(self.solved, self.answered),
            satisfaction=Rate(self.satisfied, self.rated),
            on_time=Rate(self.resolved_in_time, self.resolved),
            handling=Median(weighted_median(self.hours), sum(self.hours.values())),
            no_feedback=Rate(self.closed_no_feedback, self.closed),
        )


# --- one group, one month: the definitions one by one ---------------------------------------
def _in_month(moment: datetime | None, month: Month, tz: tzinfo) -> bool:
    return moment is not None and Month.of(moment, tz) == month


def _resolved_in(cases: Iterable[Handled], month: Month, tz: tzinfo) -> Tally:
    tally = Tally()
    for case in cases:
        if _in_month(case.resolved_at, month, tz):
            tally.add_resolved(case)
    return tally


def response_rate(
    cases: Iterable[Received], *, month: Month, now: datetime, tz: tzinfo = LOCAL_TIME
) -> Rate:
    """Cases responded to at or before `respond_by` ÷ cases submitted in `month` that were due
    a response by `now` (responded to, or `respond_by` passed). Not-yet-due cases are left out;
    an unanswered case past its deadline counts as late."""
    tally = Tally()
    for case in cases:
        if _in_month(case.submitted_at, month, tz):
            tally.add_received(case, now)
    return tally.figures().response


def resolution_rate(cases: Iterable[Handled], *, month: Month, tz: tzinfo = LOCAL_TIME) -> Rate:
    """Answers "yes" or "partly" ÷ all answers, over the latest-round answers of the cases
    resolved in `month`. Cases without an answer (yet) are left out."""
    return _resolved_in(cases, month, tz).figures().resolution


def satisfaction_rate(cases: Iterable[Handled], *, month: Month, tz: tzinfo = LOCAL_TIME) -> Rate:
    """Answers rating 4 or 5 ÷ answers with a rating (1–5), over the latest-round answers of
    the cases resolved in `month`. Answers without a rating are left out."""
    return _resolved_in(cases, month, tz).figures().satisfaction


def on_time_rate(cases: Iterable[Handled], *, month: Month, tz: tzinfo = LOCAL_TIME) -> Rate:
    """Cases resolved at or before `resolve_by` ÷ cases resolved in `month`."""
    return _resolved_in(cases, month, tz).figures().on_time


def median_handling_hours(
    cases: Iterable[Handled], *, month: Month, tz: tzinfo = LOCAL_TIME
) -> Median:
    """Median of `resolved_at − submitted_at` in hours over the cases resolved in `month`;
    `hours` is None when there are none."""
    return _resolved_in(cases, month, tz).figures().handling


def no_feedback_share(cases: Iterable[Handled], *, month: Month, tz: tzinfo = LOCAL_TIME) -> Rate:
    """Cases closed for want of an answer ÷ cases closed (after a resolution) in `month`."""
    tally = Tally()
    for case in cases:
        if is_closed(case) and _in_month(case.closed_at, month, tz):
            tally.add_closed(case)
    return tally.figures().no_feedback


# --- many groups, many months in one pass ---------------------------------------------------
Key = tuple[str, Month]


def tabulate(
    received: Iterable[Received],
    handled: Iterable[Handled],
    *,
    now: datetime,
    months: Collection[Month] | None = None,
    tz: tzinfo = LOCAL_TIME,
) -> dict[Key, Tally]:
    """Each unit's own tallies, by (unit path, month), in one pass over the rows (which may be
    a stream). Rows falling outside `months` (when given) are ignored."""
    tallies: dict[Key, Tally] = {}
    wanted = set(months) if months is not None else None

    def tally_for(unit: str, moment: datetime | None) -> Tally | None:
        if moment is None:
            return None
        month = Month.of(moment, tz)
        if wanted is not None and month not in wanted:
            return None
        key = (unit, month)
        found = tallies.get(key)
        if found is None:
            found = tallies[key] = Tally()
        return found

    for case in received:
        tally = tally_for(case.unit, case.submitted_at)
        if tally is not None:
            tally.add_received(case, now)
    for handled_case in handled:
        tally = tally_for(handled_case.unit, handled_case.resolved_at)
        if tally is not None:
            tally.add_resolved(handled_case)
        if is_closed(handled_case):
            tally = tally_for(handled_case.unit, handled_case.closed_at)
            if tally is not None:
                tally.add_closed(handled_case)
    return tallies


def own(tallies: Mapping[Key, Tally], unit: str, month: Month) -> Figures:
    """A unit's own figures: only the cases attributed to the unit itself."""
    return tallies.get((unit, month), Tally()).figures()


def roll_up(
    tallies: Mapping[Key, Tally], roots: Iterable[str], *, steplen: int = STEPLEN
) -> dict[Key, Tally]:
    """Subtree tallies: for each root path, the merged tallies of the root and every unit below
    it (every unit whose path starts with the root's), by (root path, month).

    A street's figures are thus those of all its communities and grids together. Roots may
    nest; a unit is added to every root above it.
    """
    wanted = set(roots)
    merged: dict[Key, Tally] = {}
    for (unit, month), tally in tallies.items():
        for end in range(steplen, len(unit) + 1, steplen):
            root = unit[:end]
            if root in wanted:
                merged.setdefault((root, month), Tally()).merge(tally)
    return merged


def series(
    tallies: Mapping[Key, Tally], unit: str, months: Iterable[Month]
) -> dict[Month, Figures]:
    """One group's figures month by month (empty months give all-None figures)."""
    return {month: tallies.get((unit, month), Tally()).figures() for month in months}


# --- counts made by the database ------------------------------------------------------------
# At scale the database counts the cases (rate_selectors), grouped by unit and month, and hands
# in rows of (kind, unit, month, answer, tenths, count, count_in_time); `fold_counts` turns them
# into the same tallies as `tabulate` would from the cases themselves, except that handling
# times come in tenths of an hour, rounded down (the median is taken over those).
RECEIVED_COUNTS = 0  # count: cases due a response; in time: responded to in time
RESOLVED_COUNTS = 1  # by the latest answer's `answer_code` and the handling time in tenths of
#   an hour; count: cases resolved; in time: resolved on time
CLOSED_COUNTS = 2  # count: closed after a resolution; in time: closed for want of an answer
NO_ANSWER = -1


def answer_code(solved: str | None, satisfaction: int | None) -> int:
    """A case's latest answer as one number, for counting in the database: NO_ANSWER (-1)
    without one, else 10 for "yes"/"partly" (else 0) plus the rating 1–5 (0 when unrated)."""
    if solved is None:
        return NO_ANSWER
    return (10 if solved in SOLVED_ANSWERS else 0) + (satisfaction or 0)


SOLVED_CODES = frozenset(10 + level for level in range(6))
SATISFIED_CODES = frozenset(base + level for base in (0, 10) for level in SATISFIED_LEVELS)
RATED_CODES = frozenset(base + level for base in (0, 10) for level in range(1, 6))


def fold_counts(
    rows: Iterable[tuple[int, UnitKey, Month, int, int, int, int]],
) -> dict[tuple[UnitKey, Month], Tally]:
    """Tallies by (unit, month) out of the database's counts (see the *_COUNTS kinds)."""
    tallies: dict[tuple[UnitKey, Month], Tally] = {}
    for kind, unit, month, answer, tenths, count, in_time in rows:
        tally = tallies.get((unit, month))
        if tally is None:
            tally = tallies[(unit, month)] = Tally()
        if kind == RECEIVED_COUNTS:
            tally.due_response += count
            tally.responded_in_time += in_time
        elif kind == RESOLVED_COUNTS:
            tally.resolved += count
            tally.resolved_in_time += in_time
            tally.add_handling(tenths / 10, count)
            if answer != NO_ANSWER:
                tally.answered += count
                tally.solved += count if answer in SOLVED_CODES else 0
                tally.rated += count if answer in RATED_CODES else 0
                tally.satisfied += count if answer in SATISFIED_CODES else 0
        elif kind == CLOSED_COUNTS:
            tally.closed += count
            tally.closed_no_feedback += in_time
        else:
            raise ValueError(f"unknown kind of count: {kind}")
    return tallies


def histogram_tenths(tally: Tally) -> dict[int, int]:
    """A tally's handling times as {tenths of an hour: cases}, for storing (times made from
    tenths by `fold_counts` come back exactly)."""
    tenths: dict[int, int] = {}
    for hours, count in tally.hours.items():
        key = round(hours * 10)
        tenths[key] = tenths.get(key, 0) + count
    return tenths
