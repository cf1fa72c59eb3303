"""Remove the duplicate index rows of closed, rejected and merged cases (a nightly job does the
same); `--dry-run` counts what would go and removes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.core.actors import SYSTEM
from jiceng.core.commands import OperatorCommand
from jiceng.insight.duplicate_services import duplicate_index_prune, prune_batch_size


class Command(OperatorCommand):
    help = gettext_noop(
        "Remove the duplicate index rows (signature and postings) of closed, rejected and "
        "merged cases, which no lookup reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Count what would be removed, remove nothing.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = duplicate_index_prune(actor=SYSTEM, dry_run=options["dry_run"])
        values = {
            "postings": report.postings,
            "signatures": report.signatures,
            "cases": report.cases,
            "batches": report.batches,
            "size": prune_batch_size(),
        }
        if report.dry_run:
            summary = ngettext(
                "Would remove %(postings)d posting(s) and %(signatures)d signature(s) of "
                "%(cases)d closed, rejected or merged case, in %(batches)d batch(es) counted "
                "of at most %(size)d rows.",
                "Would remove %(postings)d posting(s) and %(signatures)d signature(s) of "
                "%(cases)d closed, rejected or merged cases, in %(batches)d batch(es) counted "
                "of at most %(size)d rows.",
                report.cases,
            )
        else:
            summary = ngettext(
                "Removed %(postings)d posting(s) and %(signatures)d signature(s) of "
                "%(cases)d closed, rejected or merged case, in %(batches)d transaction(s) "
                "of at most %(size)d rows.",
                "Removed %(postings)d posting(s) and %(signatures)d signature(s) of "
                "%(cases)d closed, rejected or merged cases, in %(batches)d transaction(s) "
                "of at most %(size)d rows.",
                report.cases,
            )
        self.stdout.write(summary % values)
