"""`manage.py hot_issues_rebuild --month YYYY-MM`: place a month's cases into issues afresh;
`--pending` places the cases the background job has not reached yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.core.actors import SYSTEM
from jiceng.core.commands import OperatorCommand
from jiceng.core.errors import DomainError
from jiceng.insight.hot_services import hot_issues_assign, hot_issues_rebuild


class Command(OperatorCommand):
    help = gettext_noop(
        "Rebuild the hot issues of a month (--month YYYY-MM), or place the cases that arrived "
        "since the background job last ran (--pending)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help=_("The month to rebuild, YYYY-MM."))
        parser.add_argument("--pending", action="store_true", help=_("Place new cases only."))

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["month"]) == bool(options["pending"]):
            raise CommandError(_("Give either --month YYYY-MM or --pending."))
        try:
            if options["pending"]:
                placed = hot_issues_assign(actor=SYSTEM)
            else:
                try:
                    month = datetime.strptime(options["month"], "%Y-%m").date()
                except ValueError:
                    raise CommandError(_("--month must look like 2026-03.")) from None
                placed = hot_issues_rebuild(actor=SYSTEM, month=month)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(
            ngettext(
                "Placed %(count)d case into hot issues.",
                "Placed %(count)d cases into hot issues.",
                placed,
            )
            % {"count": placed}
        )
