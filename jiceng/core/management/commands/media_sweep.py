from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jiceng.core.media_sweep import GRACE, media_sweep


class Command(BaseCommand):
    help = (
        "Remove uploaded files that no record refers to (left by rolled-back transactions), "
        f"once older than {GRACE}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List the orphaned files, remove nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = media_sweep(remove=not options["dry_run"])
        for name in report.orphans:
            self.stdout.write(name)
        verb = "Removed" if report.removed else "Would remove"
        self.stdout.write(
            f"{verb} {len(report.orphans)} orphaned file(s) of {report.examined} examined."
        )
