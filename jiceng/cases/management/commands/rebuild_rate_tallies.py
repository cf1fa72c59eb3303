"""`manage.py rebuild_rate_tallies [--months N] [--month YYYY-MM …]`: store the rate tallies.

The dashboard reads months before the current one from the stored tallies where a month has
them, and counts the others live. The hourly job keeps the current and the previous month up to
date; this command fills in earlier months (after a first deployment, an import, or a change of
the definitions).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.cases.rate_selectors import MAX_MONTHS, current_month
from jiceng.cases.rate_services import rate_tallies_rebuild
from jiceng.cases.rates import Month, month_span
from jiceng.core.commands import OperatorCommand


class Command(OperatorCommand):
    help = gettext_noop(
        "Count the case rates of every unit again for the months given and store them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--months",
            type=int,
            default=13,
            help=_("This many months up to the current one (default 13, at most %(most)d).")
            % {"most": MAX_MONTHS},
        )
        parser.add_argument(
            "--month",
            action="append",
            default=[],
            metavar="YYYY-MM",
            help=_("Only this month (repeatable); overrides --months."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        months = []
        for text in options["month"]:
            try:
                months.append(Month.parse(text))
            except ValueError:
                raise CommandError(
                    _("--month must look like 2026-03, not %(text)r.") % {"text": text}
                ) from None
        if not months:
            count = options["months"]
            if not 1 <= count <= MAX_MONTHS:
                raise CommandError(
                    _("--months must lie between 1 and %(most)d.") % {"most": MAX_MONTHS}
                )
            months = month_span(current_month(), count)
        started = time.monotonic()
        written = rate_tallies_rebuild(months)
        self.stdout.write(
            ngettext(
                "%(written)d tallies of %(count)d month stored in %(seconds).1f s.",
                "%(written)d tallies of %(count)d months stored in %(seconds).1f s.",
                len(months),
            )
            % {"written": written, "count": len(months), "seconds": time.monotonic() - started}
        )
