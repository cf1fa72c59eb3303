"""`manage.py rebuild_rate_tallies [--months N] [--month YYYY-MM …]`: store the rate tallies.

The dashboard reads months before the current one from the stored tallies where a month has
them, and counts the others live. The hourly job keeps the current and the previous month up to
date; this command fills in earlier months (after a first deployment, an import, or a change of
the definitions).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.cases.rate_selectors import MAX_MONTHS, current_month
from jiceng.cases.rate_services import rate_tallies_rebuild
from jiceng.cases.rates import Month, month_span


class Command(BaseCommand):
    help = "Count the case rates of every unit again for the months given and store them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months",
            type=int,
            default=13,
            help=f"This many months up to the current one (default 13, at most {MAX_MONTHS}).",
        )
        parser.add_argument(
            "--month",
            action="append",
            default=[],
            metavar="YYYY-MM",
            help="Only this month (repeatable); overrides --months.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            months = [Month.parse(text) for text in options["month"]]
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not months:
            count = options["months"]
            if not 1 <= count <= MAX_MONTHS:
                raise CommandError(f"--months must lie between 1 and {MAX_MONTHS}.")
            months = month_span(current_month(), count)
        started = time.monotonic()
        written = rate_tallies_rebuild(months)
        self.stdout.write(
            f"{written} tallies of {len(months)} months stored "
            f"in {time.monotonic() - started:.1f} s."
        )
