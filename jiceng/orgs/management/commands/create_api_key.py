from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.actors import SYSTEM
from jiceng.core.commands import OperatorCommand
from jiceng.core.errors import DomainError
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.services import api_key_create


class Command(OperatorCommand):
    help = gettext_noop(
        "Create an API key for the Open311 and JSON APIs; the key is printed on the last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help=_("Which system will use the key."))
        parser.add_argument(
            "--unit", help=_("Code of the unit the key acts for (default: the root unit).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(_("No unit has the code %(code)r.") % {"code": options["unit"]})
        else:
            unit = OrgUnit.objects.filter(depth=1).order_by("path").first()
            if unit is None:
                raise CommandError(
                    _("There is no unit yet: load the demo data or create the district first.")
                )
        try:
            api_key, raw_key = api_key_create(actor=SYSTEM, name=options["name"], unit=unit)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stderr.write(
            _("API key %(name)r for %(unit)s (%(code)s); it is shown only once:")
            % {"name": api_key.name, "unit": unit.name, "code": unit.code}
        )
        self.stdout.write(raw_key)  # the key alone on stdout, for scripts
