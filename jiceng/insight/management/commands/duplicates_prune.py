"""Remove the duplicate index rows of closed, rejected and merged cases (a nightly job does the
same); `--dry-run` counts what would go and removes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.core.actors import SYSTEM
from jiceng.insight.duplicate_services import duplicate_index_prune, prune_batch_size


class Command(BaseCommand):
    help = (
        "Remove the duplicate index rows (signature and postings) of closed, rejected and "
        "merged cases, which no lookup reads."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be removed, remove nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = duplicate_index_prune(actor=SYSTEM, dry_run=options["dry_run"])
        verb = "Would remove" if report.dry_run else "Removed"
        unit = "batch(es) counted" if report.dry_run else "transaction(s)"
        self.stdout.write(
            f"{verb} {report.postings} posting(s) and {report.signatures} signature(s) of "
            f"{report.cases} closed, rejected or merged case(s), in {report.batches} {unit} "
            f"of at most {prune_batch_size()} rows."
        )
