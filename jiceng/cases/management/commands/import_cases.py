"""`manage.py import_cases FILE --unit CODE`: import a hotline file as the system, all or nothing.

The records' areas must lie in the subtree of the unit given. Prints the problem report and
exits with status 1 when nothing was imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from jiceng.cases.importing import cases_import, max_bytes
from jiceng.core.actors import Actor
from jiceng.core.commands import OperatorCommand
from jiceng.core.errors import DomainError
from jiceng.orgs.models import OrgUnit


class Command(OperatorCommand):
    help = gettext_noop(
        "Import hotline records from a CSV or XLSX file into the subtree of a unit. Every row is "
        "checked first; if any row has a problem nothing is imported and the problems are listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=_("The CSV or XLSX file."))
        parser.add_argument(
            "--unit",
            required=True,
            help=_("Code of the unit whose communities, villages and grids the records concern."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(_("No unit has the code %(code)r.") % {"code": options["unit"]})
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                content = handle.read(max_bytes() + 1)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s.") % {"path": path, "reason": error.strerror}
            ) from None
        try:
            result = cases_import(
                actor=Actor(user=None, system=True), file_name=path.name, content=content, unit=unit
            )
        except DomainError as error:
            raise CommandError(f"{path.name}: {error.message}") from None
        if not result.ok:
            for problem in result.errors:
                column = f" [{problem.column}]" if problem.column else ""
                self.stderr.write(f"{path.name}:{problem.row}{column} {problem.message}")
            problems = ngettext(
                "Nothing was imported: %(count)d problem in %(bad)d of %(rows)d record(s).",
                "Nothing was imported: %(count)d problems in %(bad)d of %(rows)d record(s).",
                len(result.errors),
            ) % {"count": len(result.errors), "bad": result.rows_with_errors, "rows": result.rows}
            raise CommandError(problems, returncode=1)
        self.stdout.write(
            ngettext(
                "Imported %(count)d request from %(file)s for %(unit)s (%(code)s).",
                "Imported %(count)d requests from %(file)s for %(unit)s (%(code)s).",
                result.created,
            )
            % {"count": result.created, "file": path.name, "unit": unit.name, "code": unit.code}
        )
        for code in result.tracking_codes:
            self.stdout.write(code)
