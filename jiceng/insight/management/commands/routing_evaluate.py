"""Routing accuracy on cases whose community is known (the demo's): JSON on stdout.

For each case with a stored routing and an address, the address is matched again:

- `blind`: without the community the resident chose (the gazetteer alone); a match below the
  confidence threshold counts as "to triage";
- `with_choice`: as intake does it, with the chosen community;

and the unit the category's level then routes to is compared with the unit the known
community routes to. `--place-only` strips the district, street and community names from the
addresses first (what a resident who writes only "柳岸花园3幢" gives).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiceng.cases.models import Channel
from jiceng.cases.services import route
from jiceng.core.actors import ANONYMOUS
from jiceng.core.commands import OperatorCommand
from jiceng.insight import routing
from jiceng.insight.models_routing import CaseRouting
from jiceng.insight.routing_services import _unit_of, gazetteer_cache, place_case
from jiceng.orgs.models import OrgUnit


def _strip_names(address: str, names: list[str]) -> str:
    for name in names:
        address = address.replace(name, "")
    return address


class Command(OperatorCommand):
    help = gettext_noop(
        "Share of cases (with a known community) that routing sends to the right unit (JSON)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--prefix", default="DEMO-", help=_("external id prefix of the cases"))
        parser.add_argument(
            "--place-only",
            action="store_true",
            help=_("Strip the district, street and community names from the addresses first."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        gazetteer_cache.forget()
        gazetteer = gazetteer_cache.get()
        names = list(
            OrgUnit.objects.filter(depth__lte=3).order_by("-depth").values_list("name", flat=True)
        )
        rows = (
            CaseRouting.objects.filter(case__external_id__startswith=options["prefix"])
            .exclude(case__address="")
            .select_related("case__category", "chosen_area")
        )
        total = blind_right = blind_triage = chosen_right = chosen_triage = 0
        for row in rows.iterator(chunk_size=500):
            case, truth_area = row.case, row.chosen_area
            address = case.address
            if options["place_only"]:
                address = _strip_names(address, names)
            truth = route(case.category, truth_area)
            total += 1
            match = routing.match_address(gazetteer, address)
            unit = _unit_of(match) if match is not None else None
            if match is None or unit is None or match.confidence < routing.CONFIDENCE_THRESHOLD:
                blind_triage += 1
            elif route(case.category, unit) == truth:
                blind_right += 1
            placed = place_case(
                actor=ANONYMOUS,
                category=case.category,
                area=truth_area,
                address=address,
                channel=Channel.WEB,
            )
            if placed.routing.needs_routing:
                chosen_triage += 1
            elif placed.unit == truth:
                chosen_right += 1

        def share(count: int) -> float:
            return round(count / total, 4) if total else 0.0

        result = {
            "cases": total,
            "place_only": options["place_only"],
            "threshold": routing.CONFIDENCE_THRESHOLD,
            "blind": {
                "right": share(blind_right),
                "to_triage": share(blind_triage),
                "wrong": share(total - blind_right - blind_triage),
            },
            "with_choice": {
                "right": share(chosen_right),
                "to_triage": share(chosen_triage),
                "wrong": share(total - chosen_right - chosen_triage),
            },
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False))
