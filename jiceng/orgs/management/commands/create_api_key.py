from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for the Open311 and JSON APIs; the key is printed on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Which system will use the key.")
        parser.add_argument(
            "--unit", help="Code of the unit the key acts for (default: the root unit)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["unit"]:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit has the code {options['unit']!r}.")
        else:
            unit = OrgUnit.objects.filter(depth=1).order_by("path").first()
            if unit is None:
                raise CommandError(
                    "There is no unit yet: load the demo data or create the district first."
                )
        try:
            api_key, raw_key = api_key_create(actor=SYSTEM, name=options["name"], unit=unit)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stderr.write(
            f"API key {api_key.name!r} for {unit.name} ({unit.code}); it is shown only once:"
        )
        self.stdout.write(raw_key)
