"""Reads of the fund ledger, restricted to what the actor may see.

`fund_execution` is also what evaluation schemes use as an objective metric: it reads as the
system unless given an actor.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.http import Http404

from jiceng.core.actors import SYSTEM, Actor
from jiceng.core.permissions import access_object, visible
from jiceng.orgs.models import OrgUnit
from jiceng.support import ledger
from jiceng.support.models import FundEntry, FundStatus, FundVoucher
from jiceng.support.permissions_funds import approves, reads_support, sees_unit


def support_units(actor: Actor) -> QuerySet[OrgUnit]:
    """The units whose funds, roster and equipment `actor` may read, in tree order."""
    units = OrgUnit.objects.filter(is_active=True).order_by("path")
    if actor.system:
        return units
    if not reads_support(actor) or actor.unit is None:
        return units.none()
    return units.filter(path__startswith=actor.unit.path)


def support_unit_get(actor: Actor, code: str | None) -> OrgUnit:
    """The unit `code` names (the actor's own when empty), if `actor` may read it; 404 else."""
    if not code:
        if actor.unit is None or not reads_support(actor):
            raise Http404()
        return actor.unit
    if "\x00" in code:
        raise Http404()
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None or not sees_unit(actor, unit):
        raise Http404()
    return unit


def fund_entries(actor: Actor, *, unit: OrgUnit, year: int) -> QuerySet[FundEntry]:
    """The unit's own ledger for the year, newest first."""
    return (
        visible(actor, FundEntry)
        .filter(unit=unit, year=year)
        .select_related("recorded_by", "decided_by", "reverses")
        .order_by("-recorded_at", "-pk")
    )


def fund_entry_get(actor: Actor, *, pk: int, action: str = "view") -> FundEntry:
    return access_object(
        actor,
        FundEntry,
        action=action,
        queryset=FundEntry.objects.select_related(
            "unit", "recorded_by", "decided_by", "reverses", "reversed_by"
        ),
        pk=pk,
    )


def fund_voucher_get(actor: Actor, *, pk: int) -> FundVoucher:
    return access_object(
        actor, FundVoucher, queryset=FundVoucher.objects.select_related("entry"), pk=pk
    )


def _lines(rows: list[dict[str, object]]) -> list[ledger.Line]:
    return [
        ledger.Line(
            kind=str(row["kind"]), status=str(row["status"]), amount=Decimal(str(row["total"]))
        )
        for row in rows
    ]


def _figures_query(queryset: QuerySet[FundEntry], *group: str) -> list[dict[str, object]]:
    return list(queryset.order_by().values(*group, "kind", "status").annotate(total=Sum("amount")))


def fund_execution(
    unit: OrgUnit, year: int, *, actor: Actor = SYSTEM, include_below: bool = False
) -> ledger.Figures:
    """Allocated, spent, pending, balance and execution rate of `unit` in `year`.

    The unit's own ledger, or with `include_below` the sum over its subtree. One query.
    """
    if not sees_unit(actor, unit):
        raise Http404()
    entries = FundEntry.objects.filter(year=year)
    entries = (
        entries.filter(unit_path__startswith=unit.path)
        if include_below
        else entries.filter(unit=unit)
    )
    return ledger.figures(_lines(_figures_query(entries)))


def fund_figures_by_unit(
    actor: Actor, *, units: list[OrgUnit], year: int
) -> dict[int, ledger.Figures]:
    """Each given unit's own figures for the year (units the actor may not read are left out)."""
    wanted = [unit.pk for unit in units if sees_unit(actor, unit)]
    grouped: dict[int, list[ledger.Line]] = defaultdict(list)
    rows = _figures_query(FundEntry.objects.filter(year=year, unit_id__in=wanted), "unit_id")
    for row in rows:
        grouped[int(str(row["unit_id"]))].extend(_lines([row]))
    return {pk: ledger.figures(grouped.get(pk, [])) for pk in wanted}


def fund_approvals(actor: Actor) -> QuerySet[FundEntry]:
    """Expenditures waiting for approval that `actor` may decide, oldest first."""
    if not approves(actor):
        return FundEntry.objects.none()
    pending = visible(actor, FundEntry).filter(status=FundStatus.PENDING)
    if actor.user is not None:
        pending = pending.exclude(recorded_by=actor.user)
    return pending.select_related("unit", "recorded_by").order_by("recorded_at", "pk")


def fund_years(actor: Actor, *, unit: OrgUnit) -> list[int]:
    """The years the unit's ledger has entries in, newest first."""
    years = visible(actor, FundEntry).filter(unit=unit).order_by("-year")
    return list(years.values_list("year", flat=True).distinct())
