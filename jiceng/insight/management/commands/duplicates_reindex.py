"""Build the duplicate index of cases stored before it existed (or after an import that
bypassed intake): the cases submitted in the last `--days` days, 60 by default."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.cases.models import Case
from jiceng.core import clock
from jiceng.core.commands import OperatorCommand
from jiceng.insight.duplicate_services import reindex
from jiceng.insight.duplicates import WINDOW_DAYS


class Command(OperatorCommand):
    help = gettext_noop(
        "Rebuild the duplicate index of the recent cases; prints how many cases were indexed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=WINDOW_DAYS,
            help=_("Cases submitted in this many days up to now (default %(days)d).")
            % {"days": WINDOW_DAYS},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = clock.now() - timedelta(days=max(options["days"], 0))
        done = reindex(Case.objects.filter(submitted_at__gte=since))
        self.stdout.write(f"{done}")  # the bare count, for scripts
