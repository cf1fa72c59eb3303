"""Reads for the case rates: counts out of the database, into the pure `rates` functions.

`unit_rates(actor, code=…, months=…)` answers, for a unit in the actor's subtree, month by month:
the unit with everything below it, the unit on its own, and its peers for comparison (its
children; for a unit without children, its siblings as far as the actor may see them, else the
unit alone).

Cost: at most four queries whatever the number of cases (the unit, the units in scope, the
stored tallies, the live counts), and no case row comes into Python. Months before the current
one come from the tallies stored per unit and month (`RateTally`, rebuilt every hour for the
current and the previous month by `rate_services.rate_tallies_rebuild`); the current month, and
any month not stored, is counted live by the database: one UNION ALL of grouped counts, each
part a range scan of an index (docs/SCORING.md lists them). Definitions: `jiceng.cases.rates`
and docs/SCORING.md.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import NotSupportedError
from django.db.models import Case as CaseWhen
from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from jiceng.cases import rates
from jiceng.cases.models import (
    Case,
    CaseEvent,
    CloseReason,
    EventKind,
    Feedback,
    RateTally,
    Status,
)
from jiceng.cases.permissions import reads_cases
from jiceng.cases.rates import Figures, Month, Tally
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError, Forbidden
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.selectors import unit_get, units_visible

DEFAULT_MONTHS = 12
MAX_MONTHS = 36


class Peers:
    """What a report's peers are."""

    CHILDREN = "children"
    SIBLINGS = "siblings"
    SELF = "self"


@dataclass(frozen=True)
class UnitInfo:
    pk: int
    path: str
    code: str
    name: str
    kind: str
    depth: int


@dataclass(frozen=True)
class UnitSeries:
    """One unit's figures month by month; `subtree` says whether units below are included."""

    unit: UnitInfo
    subtree: bool
    months: dict[Month, Figures]


@dataclass(frozen=True)
class RateReport:
    unit: OrgUnit
    months: list[Month]
    total: UnitSeries  # the unit and every unit below it
    own: UnitSeries  # cases attributed to the unit itself
    peers: list[UnitSeries]  # subtree figures of the children, or of the siblings, or itself
    peers_are: str  # Peers.CHILDREN, Peers.SIBLINGS or Peers.SELF


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def current_month() -> Month:
    return Month.of(clock.now(), local_zone())


def unit_rates(
    actor: Actor,
    *,
    code: str | None = None,
    months: Sequence[Month] | None = None,
    now: datetime | None = None,
    medians: Collection[Month] | None = None,
) -> RateReport:
    """Case rates of the unit `code` (default: the actor's unit) and its peers, by month.

    Http404 for a unit outside the actor's subtree (or unknown); Forbidden for actors that do
    not read cases. `months` default to the last 12 up to the current one. `medians` are the
    months whose median handling time is wanted (default: all); a stored month outside them
    leaves its histogram unread: its `handling` is Median(None, 0).
    """
    if not actor.system and not reads_cases(actor):
        raise Forbidden()
    moment = now or clock.now()
    tz = local_zone()
    wanted = list(months) if months else rates.month_span(Month.of(moment, tz), DEFAULT_MONTHS)
    if len(wanted) > MAX_MONTHS:
        raise DomainError(
            _("Ask for at most %(count)d months at a time.") % {"count": MAX_MONTHS},
            field="month",
        )
    if code is None:
        if actor.unit is None:
            raise Forbidden()
        code = actor.unit.code
    unit = unit_get(actor, code=code)

    leaf = unit.numchild == 0
    parent_path = unit.path[: -OrgUnit.steplen] if unit.depth > 1 else unit.path
    scope_path = parent_path if leaf else unit.path
    scope = units_visible(actor).filter(path__startswith=scope_path)
    if leaf:
        scope = scope.filter(depth__gte=unit.depth)
    units = {
        row[0]: UnitInfo(*row)
        for row in scope.order_by("path").values_list("pk", "path", "code", "name", "kind", "depth")
    }
    paths = {info.pk: info.path for info in units.values()}
    this_month = Month.of(moment, tz)
    stored = _stored_tallies(
        list(paths),
        [month for month in wanted if month < this_month],
        wanted if medians is None else medians,
    )
    stored_months = {month for _pk, month in stored}
    live_months = [month for month in wanted if month not in stored_months]
    live = (
        live_counts(scope.values("pk"), scope_path, live_months, now=moment, tz=tz)
        if live_months
        else {}
    )
    tallies: dict[rates.Key, Tally] = {}
    for (pk, month), tally in (stored | live).items():
        path = paths.get(pk)
        if path is not None:
            tallies[(path, month)] = tally

    if leaf:
        peer_units = [info for info in units.values() if info.depth == unit.depth]
        peers_are = Peers.SIBLINGS if len(peer_units) > 1 else Peers.SELF
    else:
        peer_units = [info for info in units.values() if info.depth == unit.depth + 1]
        peers_are = Peers.CHILDREN
    me = units[unit.pk]
    subtrees = rates.roll_up(
        tallies, [me.path, *(info.path for info in peer_units)], steplen=OrgUnit.steplen
    )
    return RateReport(
        unit=unit,
        months=wanted,
        total=UnitSeries(me, True, rates.series(subtrees, me.path, wanted)),
        own=UnitSeries(me, False, rates.series(tallies, me.path, wanted)),
        peers=[
            UnitSeries(info, True, rates.series(subtrees, info.path, wanted)) for info in peer_units
        ],
        peers_are=peers_are,
    )


def month_start(month: Month) -> date:
    """How `RateTally.month` stores a month: its first day."""
    return date(month.year, month.month, 1)


def _stored_tallies(
    unit_ids: list[int], months: list[Month], medians: Collection[Month]
) -> dict[tuple[int, Month], Tally]:
    """The stored tallies of the units in the months; a month appears only if it was stored
    (every unit gets a row, zeros included, when a month is built). Histograms are read for the
    `medians` months only: a district's histograms of a year are about a million numbers."""
    if not months:
        return {}
    wanted_histograms = [month_start(month) for month in months if month in medians]
    rows = (
        RateTally.objects.filter(unit_id__in=unit_ids, month__in=[month_start(m) for m in months])
        .annotate(
            histogram=CaseWhen(
                When(month__in=wanted_histograms, then=F("handling_histogram")),
                default=Value(""),
                output_field=TextField(),
            )
        )
        .values_list("unit_id", "month", "histogram", *TALLY_COUNTS)
    )
    tallies: dict[tuple[int, Month], Tally] = {}
    for unit_id, month, histogram, *counts in rows:
        tally = Tally(**dict(zip(TALLY_COUNTS, counts, strict=True)))
        if histogram:
            for tenths, count in json.loads(histogram).items():
                tally.add_handling(int(tenths) / 10, count)
        tallies[(unit_id, Month(month.year, month.month))] = tally
    return tallies


# The counts a RateTally stores, named as in rates.Tally.
TALLY_COUNTS = (
    "responded_in_time",
    "due_response",
    "solved",
    "answered",
    "satisfied",
    "rated",
    "resolved_in_time",
    "resolved",
    "closed_no_feedback",
    "closed",
)


class HandlingTenths(Func):
    """Tenths of an hour (6 minutes) from one moment to a later one, rounded down: the
    resolution of the handling-time histograms (SQLite and PostgreSQL)."""

    output_field = IntegerField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(start), F(end))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        if connection.vendor == "sqlite":
            # julianday() is a double of days: each moment is rounded to the millisecond first,
            # so a whole number of tenths does not come out a hair short.
            sql = (
                f"((CAST(ROUND(julianday({end_sql}) * 86400000) AS INTEGER) - "
                f"CAST(ROUND(julianday({start_sql}) * 86400000) AS INTEGER)) / 360000)"
            )
        elif connection.vendor == "postgresql":
            sql = f"CAST(FLOOR(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) / 360) AS integer)"
        else:
            raise NotSupportedError("HandlingTenths runs on SQLite and PostgreSQL only")
        return sql, (*end_params, *start_params)


def _month_ranges(months: Sequence[Month], tz: Any) -> list[tuple[datetime, datetime]]:
    """[start, end) of each month, in the order given."""
    return [rates.month_bounds([month], tz) for month in months]


def _in_months(column: str, ranges: list[tuple[datetime, datetime]]) -> Q:
    """`column` within one of the ranges; adjacent ranges merged, so each run of consecutive
    months is one range of the column's index."""
    merged: list[list[datetime]] = []
    for start, end in sorted(ranges):
        if merged and merged[-1][1] == start:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    condition = Q()
    for start, end in merged:
        condition |= Q(**{f"{column}__gte": start, f"{column}__lt": end})
    return condition


def _month_index(column: str, ranges: list[tuple[datetime, datetime]]) -> CaseWhen:
    """Which of the ranges `column` falls in, as its position (NULL: none)."""
    return CaseWhen(
        *(
            When(**{f"{column}__gte": start, f"{column}__lt": end}, then=Value(index))
            for index, (start, end) in enumerate(ranges)
        ),
        default=Value(None),
        output_field=IntegerField(),
    )


COUNT_COLUMNS = ("kind", "unit", "month_index", "answer", "tenths", "count", "in_time")


def _counts(
    queryset: QuerySet[Any],
    *,
    kind: int,
    unit: Any,
    month_of: str,
    ranges: list[tuple[datetime, datetime]],
    answer: Any,
    tenths: Any,
    in_time: Q,
) -> QuerySet[Any]:
    """One part of the live counts: `queryset`'s cases in the months, grouped by unit, month,
    answer and tenths, counted, and counted again where `in_time` holds."""
    return (
        queryset.filter(_in_months(month_of, ranges))
        .order_by()
        .annotate(
            kind=Value(kind, output_field=IntegerField()),
            unit=unit,
            month_index=_month_index(month_of, ranges),
            answer=answer,
            tenths=tenths,
        )
        .values("kind", "unit", "month_index", "answer", "tenths")
        .annotate(count=Count("pk"), in_time=Count("pk", filter=in_time))
        .values_list(*COUNT_COLUMNS)
    )


def live_counts(
    unit_ids: QuerySet[Any] | list[int],
    scope_path: str,
    months: Sequence[Month],
    *,
    now: datetime,
    tz: Any,
) -> dict[tuple[int, Month], Tally]:
    """Each unit's own tallies in the months (by unit pk and month), counted by the database in
    one query; only units in `unit_ids` (a list or a query of primary keys) get one.

    The parts (rates.RECEIVED_COUNTS …): cases submitted in the months, by their first receiver
    (accepted_by_unit; for a case never accepted, the unit it was routed to, the `to_unit` of
    its SUBMITTED event: routing always picks the case's area or a unit above it, so such a case
    lies in `scope_path`'s area); cases resolved in the months by `resolved_by_unit`, by their
    latest answer and handling time in tenths of an hour; cases closed after a resolution
    in the months by `resolved_by_unit`.
    """
    ranges = _month_ranges(months, tz)
    none = Value(rates.NO_ANSWER, output_field=IntegerField())
    decided = [Status.REJECTED, Status.MERGED]
    assert set(decided) == rates.DECIDED_WITHOUT_ACCEPTING
    # rates.response_outcome, in SQL: responded (accepted, or rejected/merged without accepting)
    # at or before respond_by; due once responded or once respond_by has passed.
    responded_in_time = Q(accepted_at__isnull=False, accepted_at__lte=F("respond_by")) | Q(
        accepted_at__isnull=True, status__in=decided, closed_at__lte=F("respond_by")
    )
    due = (
        Q(accepted_at__isnull=False)
        | Q(status__in=decided, closed_at__isnull=False)
        | Q(respond_by__lt=now)
    )
    routed_to = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.SUBMITTED)
        .order_by("created_at", "pk")
        .values("to_unit_id")[:1]
    )
    # rates.answer_code of the latest feedback round, in SQL.
    code = (
        Feedback.objects.filter(case=OuterRef("pk"))
        .order_by("-round")
        .annotate(
            code=CaseWhen(
                When(solved__in=sorted(rates.SOLVED_ANSWERS), then=Value(10)),
                default=Value(0),
                output_field=IntegerField(),
            )
            + Coalesce("satisfaction", Value(0), output_field=IntegerField())
        )
        .values("code")[:1]
    )
    accepted = _counts(
        Case.objects.filter(due, accepted_by_unit__in=unit_ids),
        kind=rates.RECEIVED_COUNTS,
        unit=F("accepted_by_unit_id"),
        month_of="submitted_at",
        ranges=ranges,
        answer=none,
        tenths=none,
        in_time=responded_in_time,
    )
    never_accepted = _counts(
        Case.objects.filter(due, accepted_by_unit__isnull=True, area_path__startswith=scope_path),
        kind=rates.RECEIVED_COUNTS,
        unit=Subquery(routed_to, output_field=IntegerField()),
        month_of="submitted_at",
        ranges=ranges,
        answer=none,
        tenths=none,
        in_time=responded_in_time,
    )
    resolvers = Case.objects.filter(resolved_by_unit__in=unit_ids)
    resolved = _counts(
        resolvers,
        kind=rates.RESOLVED_COUNTS,
        unit=F("resolved_by_unit_id"),
        month_of="resolved_at",
        ranges=ranges,
        answer=Coalesce(Subquery(code, output_field=IntegerField()), none),
        tenths=HandlingTenths("submitted_at", "resolved_at"),
        in_time=Q(resolved_at__lte=F("resolve_by")),
    )
    closed = _counts(
        resolvers.filter(close_reason__in=sorted(rates.CLOSED_REASONS)),
        kind=rates.CLOSED_COUNTS,
        unit=F("resolved_by_unit_id"),
        month_of="closed_at",
        ranges=ranges,
        answer=none,
        tenths=none,
        in_time=Q(close_reason=CloseReason.NO_FEEDBACK),
    )
    rows = accepted.union(never_accepted, resolved, closed, all=True)
    wanted = set(unit_ids) if isinstance(unit_ids, list) else None
    return rates.fold_counts(
        (kind, unit, months[index], answer, tenths, count, in_time)
        for kind, unit, index, answer, tenths, count, in_time in rows
        if index is not None and unit is not None and (wanted is None or unit in wanted)
    )
