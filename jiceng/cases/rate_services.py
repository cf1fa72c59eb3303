"""Writes for the case rates: the tallies stored per unit and month (docs/SCORING.md).

`rate_tallies_rebuild(months)` counts each month again for every unit (the same counts as the
live ones, `rate_selectors.live_counts`) and replaces that month's `RateTally` rows, one per
unit, zeros included, so a stored month is complete. A background job rebuilds the current and
the previous month every hour (jiceng.cases.tasks); older months no longer change. The
`rebuild_rate_tallies` command fills in earlier months, after a first deployment or an import.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from jiceng.cases import rates
from jiceng.cases.models import RateTally
from jiceng.cases.rate_selectors import TALLY_COUNTS, live_counts, local_zone, month_start
from jiceng.cases.rates import Month, Tally
from jiceng.core import clock
from jiceng.orgs.models import OrgUnit


def rate_tallies_rebuild(months: Sequence[Month], *, now: datetime | None = None) -> int:
    """Count the months again for every unit and store them; the number of rows written.

    Each month's rows are replaced in one transaction: readers see the old month or the new
    one, never half of it.
    """
    moment = now or clock.now()
    tz = local_zone()
    unit_ids = list(OrgUnit.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for month in sorted(set(months)):
        counted = live_counts(unit_ids, "", [month], now=moment, tz=tz)
        rows = []
        for unit_id in unit_ids:
            tally = counted.get((unit_id, month), Tally())
            histogram = rates.histogram_tenths(tally)
            rows.append(
                RateTally(
                    unit_id=unit_id,
                    month=month_start(month),
                    built_at=moment,
                    handling_histogram=json.dumps(
                        {str(tenths): count for tenths, count in sorted(histogram.items())},
                        separators=(",", ":"),
                    ),
                    **{name: getattr(tally, name) for name in TALLY_COUNTS},
                )
            )
        with transaction.atomic():
            RateTally.objects.filter(month=month_start(month)).delete()
            RateTally.objects.bulk_create(rows, batch_size=500)
        written += len(rows)
    return written


def recent_months(now: datetime | None = None) -> list[Month]:
    """The months whose figures still change: the previous one and the current one."""
    this_month = Month.of(now or clock.now(), local_zone())
    return [this_month.previous(), this_month]
