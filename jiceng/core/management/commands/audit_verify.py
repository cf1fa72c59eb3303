from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jiceng.core.audit import all_entries_in_order, verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain and report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain(all_entries_in_order())
        if report.first_break is not None:
            broken = report.first_break
            raise CommandError(
                f"Audit chain broken at entry #{broken.seq} (row id {broken.entry_id}): "
                f"{broken.problem}. {report.checked} entries before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} entries, head hash {report.head_hash}."
            )
        )
