"""The objective case metrics of the units in a round, from the cases app's rates.

Definitions are the case rates' (jiceng.cases.rates, docs/SCORING.md "Case rates"): each unit
counts the cases attributed to it or to any unit below it (its subtree by tree path, rolled up
as the rate dashboard does), over the calendar months (China Standard Time) that the round's
period touches. Months before the current one come from the stored monthly tallies
(`RateTally`) where they were built; other months are counted live by the database.

The reply-quality metrics (`reply_quality`, `perfunctory`; docs/SCORING.md "Reply quality") are
read from the stored reply scores of the resolution replies given in the period (local days
from `period_start` to `period_end` inclusive), summed over each unit's subtree alike, and only
when a scheme of the round chooses one of them.

Cost: at most five queries whatever the number of units or cases (round units, units in
scope, stored tallies, live counts, reply scores); no case row comes into Python.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from jiceng.cases import rates
from jiceng.cases.rate_selectors import _stored_tallies, live_counts, local_zone
from jiceng.cases.rates import Month, Tally
from jiceng.conduct.reply_quality_selectors import reply_quality_by_unit
from jiceng.core import clock
from jiceng.evaluation.models import Round, RoundUnit, ScoringRule
from jiceng.evaluation.scoring import CaseTally
from jiceng.orgs.models import OrgUnit


def period_months(start: date, end: date) -> list[Month]:
    """Every calendar month from `start`'s to `end`'s, oldest first."""
    first, last = Month(start.year, start.month), Month(end.year, end.month)
    months = [first]
    while months[-1] < last:
        months.append(months[-1].next())
    return months


def common_ancestor(paths: list[str], steplen: int = OrgUnit.steplen) -> str:
    """The path of the deepest unit at or above every one of `paths` ("" for the forest)."""
    shortest = min(paths, key=len)
    end = 0
    while end + steplen <= len(shortest) and all(
        path[end : end + steplen] == shortest[end : end + steplen] for path in paths
    ):
        end += steplen
    return shortest[:end]


def case_tally(tally: Tally) -> CaseTally:
    return CaseTally(
        response=(tally.responded_in_time, tally.due_response),
        resolution=(tally.solved, tally.answered),
        satisfaction=(tally.satisfied, tally.rated),
        on_time=(tally.resolved_in_time, tally.resolved),
        no_feedback=(tally.closed_no_feedback, tally.closed),
    )


REPLY_METRICS = ("reply_quality", "perfunctory")


def uses_reply_metrics(snapshot: dict[str, Any]) -> bool:
    """Whether a metric indicator of the round's frozen schemes names a reply-quality metric."""
    for scheme in snapshot.get("schemes", {}).values():
        for dimension in scheme["dimensions"]:
            for indicator in dimension["indicators"]:
                options = indicator.get("rule_options") or {}
                if indicator.get("rule") == ScoringRule.METRIC and options.get("metric") in (
                    REPLY_METRICS
                ):
                    return True
    return False


def _reply_tallies(
    round_: Round, paths: dict[int, str], round_paths: set[str], tz: Any
) -> dict[str, tuple[int, int, int]]:
    """Per round unit path: (points, scored, perfunctory) of its subtree's replies."""
    start = datetime.combine(round_.period_start, time.min, tzinfo=tz)
    end = datetime.combine(round_.period_end + timedelta(days=1), time.min, tzinfo=tz)
    own = reply_quality_by_unit(unit_ids=list(paths), start=start, end=end)
    totals = dict.fromkeys(round_paths, (0, 0, 0))
    step = OrgUnit.steplen
    for unit_id, (points, scored, perfunctory) in own.items():
        path = paths[unit_id]
        for end_at in range(step, len(path) + 1, step):
            prefix = path[:end_at]
            if prefix in totals:
                p, s, f = totals[prefix]
                totals[prefix] = (p + points, s + scored, f + perfunctory)
    return totals


def case_tallies(round_: Round, *, now: datetime | None = None) -> dict[int, CaseTally]:
    """Each RoundUnit's case numerators and denominators over the round's period."""
    moment = now or clock.now()
    tz = local_zone()
    round_units = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit_path"))
    if not round_units:
        return {}
    # The deepest unit above (or at) every round unit bounds the counting: its subtree holds
    # every case the round's units can be credited with.
    scope_path = common_ancestor(list(round_units.values()))
    scope = OrgUnit.objects.filter(path__startswith=scope_path)
    paths = dict(scope.values_list("pk", "path"))
    months = period_months(round_.period_start, round_.period_end)
    this_month = Month.of(moment, tz)
    stored = _stored_tallies(list(paths), [m for m in months if m < this_month], ())
    stored_months = {month for _unit, month in stored}
    live_months = [month for month in months if month not in stored_months]
    live = (
        live_counts(scope.values("pk"), scope_path, live_months, now=moment, tz=tz)
        if live_months
        else {}
    )
    # Months are summed: a round's period is one span, and tallies merge by adding.
    own: dict[rates.Key, Tally] = {}
    period = months[-1]
    for (unit_id, _month), tally in (stored | live).items():
        path = paths.get(unit_id)
        if path is not None:
            own.setdefault((path, period), Tally()).merge(tally)
    rolled = rates.roll_up(own, set(round_units.values()), steplen=OrgUnit.steplen)
    tallies = {
        pk: case_tally(rolled.get((path, period), Tally())) for pk, path in round_units.items()
    }
    if uses_reply_metrics(round_.snapshot):
        replies = _reply_tallies(round_, paths, set(round_units.values()), tz)
        for pk, path in round_units.items():
            points, scored, perfunctory = replies[path]
            tallies[pk] = replace(
                tallies[pk],
                reply_quality=(points, 100 * scored),
                perfunctory=(perfunctory, scored),
            )
    return tallies
