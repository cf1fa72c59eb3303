from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.core.commands import OperatorCommand
from jiceng.core.media_sweep import GRACE, media_sweep


class Command(OperatorCommand):
    help = gettext_noop(
        "Remove uploaded files that no record refers to (left by rolled-back transactions), "
        "once older than %(hours)d hours."
    )

    def description(self) -> str:
        return _(self.help) % {"hours": int(GRACE.total_seconds() // 3600)}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("List the orphaned files, remove nothing.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = media_sweep(remove=not options["dry_run"])
        # The names alone, one a line, for scripts; then the summary.
        for name in report.orphans:
            self.stdout.write(name)
        values = {"count": len(report.orphans), "examined": report.examined}
        if report.removed:
            summary = ngettext(
                "Removed %(count)d orphaned file of %(examined)d examined.",
                "Removed %(count)d orphaned files of %(examined)d examined.",
                len(report.orphans),
            )
        else:
            summary = ngettext(
                "Would remove %(count)d orphaned file of %(examined)d examined.",
                "Would remove %(count)d orphaned files of %(examined)d examined.",
                len(report.orphans),
            )
        self.stdout.write(summary % values)
