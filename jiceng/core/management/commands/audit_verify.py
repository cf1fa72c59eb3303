from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.core.audit import all_entries_in_order, verify_chain
from jiceng.core.commands import OperatorCommand


class Command(OperatorCommand):
    help = gettext_noop("Verify the audit log's hash chain and report the first broken link.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain(all_entries_in_order())
        if report.first_break is not None:
            broken = report.first_break
            raise CommandError(
                ngettext(
                    "Audit chain broken at entry #%(seq)d (row id %(id)s): %(problem)s. "
                    "%(checked)d entry before it is intact.",
                    "Audit chain broken at entry #%(seq)d (row id %(id)s): %(problem)s. "
                    "%(checked)d entries before it are intact.",
                    report.checked,
                )
                % {
                    "seq": broken.seq,
                    "id": broken.entry_id,
                    "problem": _(broken.reason) % broken.values,
                    "checked": report.checked,
                }
            )
        self.stdout.write(
            self.style.SUCCESS(
                ngettext(
                    "Audit chain intact: %(checked)d entry, head hash %(hash)s.",
                    "Audit chain intact: %(checked)d entries, head hash %(hash)s.",
                    report.checked,
                )
                % {"checked": report.checked, "hash": report.head_hash}
            )
        )
