"""The guarantee metrics of a round's units (venues, funds, staff, care, rectification).

`guarantee_metrics(round_)` reads, for every unit of the round and over the round's period, the
figures the support and conduct apps compute, as shares (or, for `staff_ratio`, staff per 1,000
residents), keyed like `scoring.GUARANTEE_METRICS`. The superior's source scores a scheme's
metric indicators with these keys from them (`round_selectors.rater_scores`), the same for every
rater; definitions and a worked example in docs/SCORING.md "Guarantee metrics in the superior's
assessment".

Cost: only the metrics the round's schemes use are read, each with a fixed number of queries
for the whole round — venues: `venue_utilisation` once for the organiser's subtree (about seven
queries, plus the hours maths for every venue of the district; both venue metrics come from
this one reading); funds: one grouped query per
calendar year the period touches; staff, care visits, rectification: one or two grouped queries
each. `results_compute` calls it once per computation; pages never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from jiceng.conduct.rectification_rollup import Period as RectificationPeriod
from jiceng.conduct.selectors import rectification_completion_by_unit
from jiceng.core.actors import SYSTEM
from jiceng.evaluation.models import Round, RoundUnit, ScoringRule
from jiceng.evaluation.scoring import GUARANTEE_METRICS, share
from jiceng.orgs.models import OrgUnit
from jiceng.support.care_selectors import care_visit_completion_by_unit
from jiceng.support.fund_selectors import fund_figures_by_unit
from jiceng.support.ledger import Figures
from jiceng.support.staff_selectors import staff_ratios
from jiceng.support.utilisation import Period as VenuePeriod
from jiceng.support.venue_selectors import venue_utilisation

Values = dict[str, float | None]


def used_guarantee_metrics(snapshot: Mapping[str, Any]) -> set[str]:
    """The guarantee metrics some metric indicator of the round's frozen schemes names."""
    used: set[str] = set()
    for scheme in snapshot.get("schemes", {}).values():
        for dimension in scheme["dimensions"]:
            for indicator in dimension["indicators"]:
                options = indicator.get("rule_options") or {}
                if indicator.get("rule") == ScoringRule.METRIC:
                    key = options.get("metric")
                    if key in GUARANTEE_METRICS:
                        used.add(str(key))
    return used


def _prefixes(path: str) -> Iterable[str]:
    step = OrgUnit.steplen
    return (path[:end] for end in range(step, len(path) + 1, step))


def _venue_figures(
    organiser: OrgUnit, paths: set[str], period: VenuePeriod
) -> tuple[dict[str, float | None], dict[str, float | None]]:
    """Per unit path, from one reading of the organiser's venues: (1) spot checks during posted
    hours that found the venues open, as a share; (2) check-ins during posted hours per posted
    open hour (rates of the subtree's totals)."""
    utilisation = venue_utilisation(organiser, period)
    checks = dict.fromkeys(paths, 0)
    closed = dict.fromkeys(paths, 0)
    checkins = dict.fromkeys(paths, 0)
    open_hours = dict.fromkeys(paths, 0.0)
    for row in utilisation.rows:
        for prefix in _prefixes(row.venue.unit_path):
            if prefix in checks:
                checks[prefix] += row.facts.spot_checks_in_hours
                closed[prefix] += row.facts.spot_checks_closed
                checkins[prefix] += row.facts.checkins_in_hours
                open_hours[prefix] += row.facts.open_hours
    open_share = {path: share(checks[path] - closed[path], checks[path]) for path in paths}
    visits = {path: share(checkins[path], open_hours[path]) for path in paths}
    return open_share, visits


def _fund_execution(units: list[OrgUnit], years: range) -> dict[int, float | None]:
    """Per unit id: its own ledger's spent ÷ allocated over the years, summed before dividing."""
    totals: dict[int, Figures] = {unit.pk: Figures() for unit in units}
    for year in years:
        for pk, figures in fund_figures_by_unit(SYSTEM, units=units, year=year).items():
            totals[pk] = totals[pk] + figures
    rates: dict[int, float | None] = {}
    for pk, figures in totals.items():
        rate = figures.execution_rate
        rates[pk] = None if rate is None else float(rate)
    return rates


def guarantee_metrics(round_: Round) -> dict[int, Values]:
    """Per RoundUnit id: each guarantee metric the round's schemes use, None when not measured.

    `venue_open`: spot checks during posted hours in the period that found the unit's venues (its
    subtree's) open ÷ all such spot checks. `venue_visits`: check-ins during posted hours at those
    venues ÷ their posted open hours in the period. `fund_execution`: the unit's own ledger, spent ÷
    allocated over the calendar years the period touches. `staff_ratio`: active staff of the
    subtree per 1,000 of the unit's population (as today: the roster has no history).
    `care_visits`: visits done on time ÷ visits due in the period. `rectification`: the roll-up
    progress of the period's items, 0–1.
    """
    used = used_guarantee_metrics(round_.snapshot)
    round_units = list(RoundUnit.objects.filter(round=round_).select_related("unit"))
    values: dict[int, Values] = {ru.pk: {} for ru in round_units}
    if not used or not round_units:
        return values
    organiser = round_.organiser
    start, end = round_.period_start, round_.period_end
    paths = {ru.unit_path for ru in round_units}
    units = [ru.unit for ru in round_units]
    if used & {"venue_open", "venue_visits"}:
        venue_open, venue_visits = _venue_figures(organiser, paths, VenuePeriod(start, end))
        for ru in round_units:
            if "venue_open" in used:
                values[ru.pk]["venue_open"] = venue_open[ru.unit_path]
            if "venue_visits" in used:
                values[ru.pk]["venue_visits"] = venue_visits[ru.unit_path]
    if "fund_execution" in used:
        funds = _fund_execution(units, range(start.year, end.year + 1))
        for ru in round_units:
            values[ru.pk]["fund_execution"] = funds[ru.unit_id]
    if "staff_ratio" in used:
        ratios = staff_ratios(organiser, units)
        for ru in round_units:
            per_thousand: Decimal | None = ratios[ru.unit_id].per_thousand
            values[ru.pk]["staff_ratio"] = None if per_thousand is None else float(per_thousand)
    if "care_visits" in used:
        care = care_visit_completion_by_unit(organiser, sorted(paths), (start, end))
        for ru in round_units:
            values[ru.pk]["care_visits"] = share(*care[ru.unit_path])
    if "rectification" in used:
        rollups = rectification_completion_by_unit(
            organiser, sorted(paths), RectificationPeriod(start, end)
        )
        for ru in round_units:
            progress = rollups[ru.unit_path].progress
            values[ru.pk]["rectification"] = None if progress is None else progress / 100
    return values
