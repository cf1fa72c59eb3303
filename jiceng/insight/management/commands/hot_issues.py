"""`manage.py hot_issues --input FILE.csv --top 10`: the hottest issues of a file of messages,
one JSON object per line, hottest first. No database is touched (see `hot_offline`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.commands import OperatorCommand
from jiceng.core.errors import DomainError
from jiceng.insight import hot_issues as hot
from jiceng.insight import hot_offline

MAX_BYTES = 200 * 1024 * 1024


class Command(OperatorCommand):
    help = gettext_noop(
        "Group the messages of a CSV file (title, body, time; optional id, user, upvotes, place) "
        "into issues and print the hottest as JSON lines: representative title, place, time "
        "span, count, distinct residents, support (upvotes), heat and weekly trend."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help=_("The CSV file (UTF-8 or GB18030)."))
        parser.add_argument("--top", type=int, default=10, help=_("How many issues (default 10)."))
        parser.add_argument(
            "--now",
            help=_(
                "The moment heat is measured at, YYYY-MM-DD[ HH:MM] (default: the newest "
                "message of the file)."
            ),
        )
        parser.add_argument(
            "--half-life",
            type=float,
            default=hot.DEFAULT_HEAT.half_life_days,
            help=_("Days after which an issue's heat halves without new messages (default 14)."),
        )
        parser.add_argument(
            "--threshold",
            type=float,
            default=hot.DEFAULT_THRESHOLD,
            help=_("Similarity a message needs to join an issue (default %(default)s).")
            % {"default": hot.DEFAULT_THRESHOLD},
        )
        parser.add_argument(
            "--by-month", action="store_true", help=_("Group each calendar month on its own.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        top = options["top"]
        if not 1 <= top <= 1000:
            raise CommandError(_("--top must be a whole number from 1 to 1000."))
        if not 0 < options["half_life"] <= 3650:
            raise CommandError(_("--half-life must be more than 0 and at most 3650 days."))
        if not 0 < options["threshold"] < 1:
            raise CommandError(_("--threshold must lie between 0 and 1."))
        path = Path(options["input"])
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_BYTES + 1)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s.") % {"path": path, "reason": error.strerror}
            ) from None
        if len(raw) > MAX_BYTES:
            raise CommandError(
                _("%(file)s is larger than %(size)d MB.")
                % {"file": path.name, "size": MAX_BYTES // 1024 // 1024}
            )
        try:
            messages = hot_offline.read_messages(hot_offline.decode(raw))
        except DomainError as error:
            raise CommandError(f"{path.name}: {error.message}") from None
        except csv_error() as error:
            raise CommandError(
                _("%(file)s: not a readable CSV file (%(error)s).")
                % {"file": path.name, "error": error}
            ) from None
        if not messages:
            raise CommandError(_("%(file)s: no messages in the file.") % {"file": path.name})
        now = max(m.at for m in messages)
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError(
                    _("--now must look like 2020-01-31 or 2020-01-31 18:00.")
                ) from None
        groups = hot_offline.cluster(
            messages, threshold=options["threshold"], by_month=options["by_month"]
        )
        rows = hot_offline.summarise(
            groups,
            now=now,
            params=hot.HeatParams(half_life_days=options["half_life"]),
            trend_width=timedelta(days=7),
        )
        for row in rows[:top]:
            self.stdout.write(json.dumps(row, ensure_ascii=False))


def csv_error() -> type[Exception]:
    import csv

    return csv.Error
