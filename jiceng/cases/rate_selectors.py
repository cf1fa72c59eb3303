"""Reads for the case rates: plain rows out of the database, into the pure `rates` functions.

`unit_rates(actor, code=…, months=…)` answers, for a unit in the actor's subtree, month by month:
the unit with everything below it, the unit on its own, and its peers for comparison (its
children; for a unit without children, its siblings as far as the actor may see them, else the
unit alone).

Cost: four queries whatever the number of cases (the unit, the units in scope, the received
rows, the handled rows). The case rows are bounded by the months asked for; each row query is a
UNION ALL of two halves that each use an index (`accepted_by_unit` or `area_path` with
`submitted_at`; `resolved_by_unit` with `resolved_at` or `closed_at`: docs/SCORING.md lists the
composite indexes that make these range scans). Rows are streamed and folded into per-unit,
per-month tallies, so memory grows with the units and the handling times of resolved cases, not
with model instances. Definitions: `jiceng.cases.rates` and docs/SCORING.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from jiceng.cases import rates
from jiceng.cases.models import Case, CaseEvent, CloseReason, EventKind, Feedback
from jiceng.cases.permissions import reads_cases
from jiceng.cases.rates import Figures, Handled, Month, Received
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError, Forbidden
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.selectors import unit_get, units_visible

DEFAULT_MONTHS = 12
MAX_MONTHS = 36
CHUNK = 5000


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
) -> RateReport:
    """Case rates of the unit `code` (default: the actor's unit) and its peers, by month.

    Http404 for a unit outside the actor's subtree (or unknown); Forbidden for actors that do
    not read cases. `months` default to the last 12 up to the current one.
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
    start, end = rates.month_bounds(wanted, tz)
    unit_ids = scope.values("pk")

    received = _received_rows(unit_ids, scope_path, start, end, paths)
    handled = _handled_rows(unit_ids, start, end, paths)
    tallies = rates.tabulate(received, handled, now=moment, months=wanted, tz=tz)

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


RECEIVED_COLUMNS = ("submitted_at", "respond_by", "accepted_at", "status", "closed_at")


def _received_rows(
    unit_ids: QuerySet[Any], scope_path: str, start: datetime, end: datetime, paths: dict[int, str]
) -> Iterator[Received]:
    """Cases submitted in [start, end) whose first receiver is one of `unit_ids`.

    The receiver is `accepted_by_unit`; a case never accepted belongs to the unit it was routed
    to, the `to_unit` of its SUBMITTED event. Routing always picks the case's area or a unit
    above it, so a never-accepted case received in the scope lies in the scope's area: the
    `area_path` condition narrows the search, the receiver is then checked exactly.

    One query, the union of the two kinds, so each half can use its own index.
    """
    submitted = Q(submitted_at__gte=start, submitted_at__lt=end)
    accepted = (
        Case.objects.filter(submitted, accepted_by_unit__in=unit_ids)
        .order_by()
        .values_list("accepted_by_unit_id", *RECEIVED_COLUMNS)
    )
    routed_to = (
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.SUBMITTED)
        .order_by("created_at", "pk")
        .values("to_unit_id")[:1]
    )
    never_accepted = (
        Case.objects.filter(submitted, accepted_by_unit__isnull=True)
        .filter(area_path__startswith=scope_path)
        .annotate(routed_to=Subquery(routed_to))
        .order_by()
        .values_list("routed_to", *RECEIVED_COLUMNS)
    )
    rows = accepted.union(never_accepted, all=True)
    for receiver, submitted_at, respond_by, accepted_at, status, closed_at in rows.iterator(
        chunk_size=CHUNK
    ):
        path = paths.get(receiver)
        if path is not None:
            responded_at = rates.response_moment(accepted_at, status, closed_at)
            yield Received(path, submitted_at, respond_by, responded_at)


HANDLED_COLUMNS = (
    "resolved_by_unit_id",
    "submitted_at",
    "resolve_by",
    "resolved_at",
    "closed_at",
    "close_reason",
    "answer_solved",
    "answer_satisfaction",
)


def _handled_rows(
    unit_ids: QuerySet[Any], start: datetime, end: datetime, paths: dict[int, str]
) -> Iterator[Handled]:
    """Cases resolved by one of `unit_ids` that were resolved, or closed, in [start, end), with
    their latest feedback round (one backwards step on the unique (case, round) index).

    One query, the union of the cases resolved in the range and those closed in it but
    resolved outside it, so each half can use its own index and no case comes twice.
    """
    answer = Feedback.objects.filter(case=OuterRef("pk")).order_by("-round")
    resolvers = Case.objects.filter(resolved_by_unit__in=unit_ids).annotate(
        answer_solved=Subquery(answer.values("solved")[:1]),
        answer_satisfaction=Subquery(answer.values("satisfaction")[:1]),
    )
    resolved = resolvers.filter(resolved_at__gte=start, resolved_at__lt=end)
    closed = resolvers.filter(
        closed_at__gte=start,
        closed_at__lt=end,
        close_reason__in=[CloseReason.FEEDBACK, CloseReason.NO_FEEDBACK],
    ).filter(Q(resolved_at__lt=start) | Q(resolved_at__gte=end) | Q(resolved_at__isnull=True))
    rows = (
        resolved.order_by()
        .values_list(*HANDLED_COLUMNS)
        .union(closed.order_by().values_list(*HANDLED_COLUMNS), all=True)
    )
    for resolver, *fields in rows.iterator(chunk_size=CHUNK):
        path = paths.get(resolver)
        if path is not None:
            yield Handled(path, *fields)
