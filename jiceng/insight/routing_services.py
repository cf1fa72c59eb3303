"""Routing by address: the gazetteer kept per process, the intake decision, entry edits.

`place_case` is called by case intake (cases.services.case_prepare) in the request's own
thread; it reads only the per-process gazetteer and unit caches, so it adds no query to a
submission. `intake_rows` gives the rows stored with the case in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jiceng.cases.models import OPEN_STATUSES, Case, Category, Channel
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import DomainError
from jiceng.core.permissions import require, visible
from jiceng.core.process_cache import ProcessCache
from jiceng.insight import routing
from jiceng.insight.models_routing import CaseRouting, GazetteerEntry, PlaceKind, RoutingMethod
from jiceng.insight.routing import STREET_DEPTH, street_path
from jiceng.orgs import lookups
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import UnitKind

if TYPE_CHECKING:
    from jiceng.insight.duplicate_services import Postings

# Channels where the resident places the request themselves: the address may move it. Staff
# entering a call chose the community knowingly; a conflict is only flagged for them.
RESIDENT_CHANNELS = (Channel.WEB, Channel.OPEN311)
AREA_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID)


def _build_gazetteer() -> routing.Gazetteer:
    places = [
        routing.Place(
            entry_id=entry.pk,
            unit_id=entry.unit_id,
            unit_path=entry.unit.path,
            kind=entry.kind,
            names=(entry.name, *entry.alias_list),
            number_from=entry.number_from,
            number_to=entry.number_to,
        )
        for entry in GazetteerEntry.objects.filter(is_active=True, unit__is_active=True)
        .select_related("unit")
        .only("pk", "unit_id", "unit__path", "kind", "name", "aliases", "number_from", "number_to")
    ]
    for pk, path, name in OrgUnit.objects.filter(
        is_active=True, kind__in=(UnitKind.COMMUNITY, UnitKind.VILLAGE)
    ).values_list("pk", "path", "name"):
        places.append(routing.Place(None, pk, path, "unit", (name,)))
    return routing.Gazetteer(places)


gazetteer_cache: ProcessCache[routing.Gazetteer] = ProcessCache(
    "insight.gazetteer", _build_gazetteer
)


def _street_of(unit: OrgUnit) -> OrgUnit:
    if unit.depth <= STREET_DEPTH:
        return unit
    street = lookups.unit_at_path(street_path(unit.path))
    assert street is not None
    return street


@dataclass
class Placement:
    """Where intake puts a new case: its area, the unit that gets it, and why."""

    area: OrgUnit
    unit: OrgUnit
    routing: CaseRouting


def place_case(
    *, actor: Actor, category: Category, area: OrgUnit, address: str, channel: str
) -> Placement:
    """The case's area and first unit, from the category's level and the address.

    - a confident match (≥ CONFIDENCE_THRESHOLD) in the chosen community's line refines the
      area (a grid of it); outside that line it moves a resident's request to the matched
      community and flags the conflict (staff entries keep their choice, flagged);
    - an address nobody recognises sends a resident's request to the street's triage queue
      (the street above the chosen community, unless the category goes higher anyway), if
      that street has places in the gazetteer at all (otherwise nothing can be judged);
    - no address: as chosen.
    """
    from jiceng.cases.services import route

    resident = channel in RESIDENT_CHANNELS
    result = CaseRouting(
        method=RoutingMethod.CHOSEN,
        confidence=Decimal("0"),
        chosen_area=area,
    )
    match = None
    gazetteer = gazetteer_cache.get()
    mapped = street_path(area.path) in gazetteer.mapped_streets
    if address.strip():
        match = routing.match_address(gazetteer, address, chosen_path=area.path)
    matched = _unit_of(match) if match is not None else None
    if match is not None and matched is not None:
        result.confidence = Decimal(str(match.confidence))
        result.matched_unit = matched
        result.entry_id = match.entry_id
    confident = (
        match is not None
        and matched is not None
        and (match.confidence >= routing.CONFIDENCE_THRESHOLD)
    )
    if confident and matched is not None and match is not None:
        if match.in_chosen_line:
            result.method = RoutingMethod.ADDRESS
            if matched.depth > area.depth:
                area = matched
        else:
            result.contradicts = True
            if resident and (actor.unit is None or actor.unit.contains(matched)):
                result.method = RoutingMethod.ADDRESS
                area = matched
    unit = route(category, area)
    if address.strip() and not confident and resident and mapped:
        result.method = RoutingMethod.TRIAGE
        result.needs_routing = True
        if unit.depth > STREET_DEPTH:
            unit = _street_of(area)
    result.street_path = street_path(area.path)
    return Placement(area=area, unit=unit, routing=result)


def _unit_of(match: routing.Match) -> OrgUnit | None:
    unit = (
        lookups.unit_by_id(match.unit_id)
        if match.unit_id is not None
        else lookups.unit_at_path(match.unit_path)
    )
    if unit is None or not unit.is_active or unit.kind not in AREA_KINDS:
        return None
    return unit


def intake_rows(case: Case, placement: Placement | None) -> list[models.Model | Postings]:
    """The rows stored with a new case (its routing and its duplicate index entries)."""
    from jiceng.insight.duplicate_services import index_rows

    rows: list[models.Model | Postings] = []
    if placement is not None:
        placement.routing.case = case
        rows.append(placement.routing)
    rows += index_rows(case)
    return rows


# --- reads ------------------------------------------------------------------------------------
def gazetteer_entries(actor: Actor, *, unit: OrgUnit | None = None) -> QuerySet[GazetteerEntry]:
    entries = visible(actor, GazetteerEntry).select_related("unit")
    if unit is not None:
        entries = entries.filter(unit__path__startswith=unit.path)
    return entries.order_by("unit__path", "kind", "name", "number_from")


def triage_queue(actor: Actor) -> QuerySet[Case]:
    """Open requests whose address nobody recognised, still with a street of the actor's subtree."""
    from jiceng.cases.selectors import cases_visible, listed

    unit = actor.unit
    if unit is None or unit.depth > STREET_DEPTH:
        return Case.objects.none()
    street_paths = CaseRouting.objects.filter(
        needs_routing=True, street_path__startswith=street_path(unit.path)
    )
    queryset = cases_visible(actor).filter(
        pk__in=street_paths.values("case_id"), status__in=OPEN_STATUSES, current_unit__depth=2
    )
    return listed(queryset).order_by("-submitted_at", "-pk")


def case_routing(case: Case) -> CaseRouting | None:
    return (
        CaseRouting.objects.select_related("entry", "matched_unit", "chosen_area")
        .filter(case=case)
        .first()
    )


# --- writes -----------------------------------------------------------------------------------
def _clean_entry(
    *, unit: OrgUnit, kind: str, name: str, aliases: str, numbers: tuple[int | None, int | None]
) -> tuple[str, str]:
    if kind not in PlaceKind.values:
        raise DomainError(_("Choose a valid kind of place."), field="kind")
    if unit.kind not in AREA_KINDS:
        raise DomainError(_("Places belong to a community, village or grid."), field="unit")
    name = name.strip()
    if len(routing.normalise_address(name)) < routing.MIN_NAME_LENGTH or len(name) > 60:
        raise DomainError(_("Give a name of 2 to 60 characters."), field="name")
    aliases = ",".join(a.strip() for a in aliases.replace("，", ",").split(",") if a.strip())
    if len(aliases) > 300:
        raise DomainError(_("Use at most 300 characters for other names."), field="aliases")
    low, high = numbers
    if (low is None) != (high is None) or (low is not None and high is not None and low > high):
        raise DomainError(
            _("Give both ends of the number range, the smaller first, or neither."),
            field="number_from",
        )
    if low is not None and kind not in (PlaceKind.ROAD, PlaceKind.BUILDINGS):
        raise DomainError(_("Only roads and building ranges have numbers."), field="number_from")
    return name, aliases


@transaction.atomic
def gazetteer_entry_save(
    *,
    actor: Actor,
    entry: GazetteerEntry | None = None,
    unit: OrgUnit,
    kind: str,
    name: str,
    aliases: str = "",
    number_from: int | None = None,
    number_to: int | None = None,
    is_active: bool = True,
) -> GazetteerEntry:
    """Add or change a place of a unit (district administrators; street supervisors below)."""
    if entry is not None:  # the place as it stands, before it moves to `unit`
        require(actor, "change", GazetteerEntry, entry)
    target = entry or GazetteerEntry(unit=unit)
    target.unit = unit
    require(actor, "change", GazetteerEntry, target)
    name, aliases = _clean_entry(
        unit=unit, kind=kind, name=name, aliases=aliases, numbers=(number_from, number_to)
    )
    target.kind, target.name, target.aliases = kind, name, aliases
    target.number_from, target.number_to, target.is_active = number_from, number_to, is_active
    target.save()
    audit_log(
        actor=actor,
        action="insight.gazetteer.saved",
        target=target,
        data={"unit": unit.code, "kind": kind, "name": name, "active": is_active},
    )
    gazetteer_cache.invalidate()
    return target


def gazetteer_entries_create(*, actor: Actor, rows: list[dict[str, object]]) -> int:
    """Many entries at once (demo data, imports): each checked as `gazetteer_entry_save`."""
    with transaction.atomic():
        for row in rows:
            gazetteer_entry_save(actor=actor, **row)  # type: ignore[arg-type]
    return len(rows)
