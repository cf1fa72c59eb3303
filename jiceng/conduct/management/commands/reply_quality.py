"""Score the replies of a CSV of messages: one JSON line per message, then a summary line."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.conduct.reply_quality_csv import DEFAULT_WORKING_DAYS, CsvError, json_lines, score_file
from jiceng.core.commands import OperatorCommand


class Command(OperatorCommand):
    help = gettext_noop(
        "Score the replies in a CSV (columns id, title, time, body, reply, reply_time): one JSON "
        "line per message (id, components, total, flags), then a summary line. Method: "
        "docs/SCORING.md 'Reply quality'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help=_("the CSV file (UTF-8)"))
        parser.add_argument("--output", help=_("write the JSON lines here instead of to stdout"))
        parser.add_argument(
            "--working-days",
            type=int,
            default=DEFAULT_WORKING_DAYS,
            help=_("deadline after a message is posted, in working days (%(default)d)")
            % {"default": DEFAULT_WORKING_DAYS},
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["working_days"] < 0:
            raise CommandError(_("--working-days must be 0 or more"))
        output = options.get("output")
        if output:
            folder = Path(output).parent
            if not folder.is_dir():
                raise CommandError(
                    _("%(folder)s: no such folder for --output") % {"folder": folder}
                )
            if Path(output).resolve() == Path(options["input"]).resolve():
                raise CommandError(_("--output must not be the input file"))
        try:
            lines, summary = score_file(
                Path(options["input"]), working_days=options["working_days"]
            )
        except CsvError as error:
            raise CommandError(str(error)) from error
        if not output:
            for text in json_lines(lines, summary):
                self.stdout.write(text)
            return
        # Written whole to a temporary file and moved into place: a failure leaves nothing.
        target = Path(output)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                for text in json_lines(lines, summary):
                    stream.write(text + "\n")
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stderr.write(
            ngettext(
                "Scored %(count)d reply: mean %(mean)s, %(share).1f%% perfunctory; "
                "written to %(target)s",
                "Scored %(count)d replies: mean %(mean)s, %(share).1f%% perfunctory; "
                "written to %(target)s",
                summary["count"],
            )
            % {
                "count": summary["count"],
                "mean": summary["mean"],
                "share": 100 * summary["share_perfunctory"],
                "target": target,
            }
        )
