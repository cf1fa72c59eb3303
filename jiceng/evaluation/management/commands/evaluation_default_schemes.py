"""`manage.py evaluation_default_schemes`: install the default indicator schemes, idempotently."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.core.actors import SYSTEM
from jiceng.core.commands import OperatorCommand
from jiceng.evaluation.scheme_services import scheme_install_defaults
from jiceng.orgs.models import OrgUnit


class Command(OperatorCommand):
    help = gettext_noop(
        "Create and publish the default indicator scheme of each unit class (community, village, "
        "street), owned by the district. Schemes that exist already are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--unit", help=_("Code of the owning district (default: the root unit).")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        roots = OrgUnit.objects.filter(depth=1)
        if options.get("unit"):
            roots = roots.filter(code=options["unit"])
        owner = roots.order_by("path").first()
        if owner is None:
            raise CommandError(_("No district unit found; create the unit tree first."))
        created = scheme_install_defaults(actor=SYSTEM, owner=owner)
        for scheme in created:
            self.stdout.write(
                _("Published %(family)s v%(version)s: %(name)s")
                % {"family": scheme.family, "version": scheme.version, "name": scheme.name}
            )
        if not created:
            self.stdout.write(_("The default schemes exist already; nothing changed."))
