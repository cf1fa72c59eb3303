"""Demo gazetteer: the places residents of the demo district write in their addresses.

Made from the demo tree (orgs.demo_data): each grid's estate, building range, hamlet or quarter,
each community's own road and its street's main road, plus a few names residents use instead
(柳岸小区 for 柳岸花园). Our own writing, like the rest of the demo.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from django.utils.translation import gettext as _

from jiceng.core.actors import SYSTEM
from jiceng.insight.models_routing import GazetteerEntry, PlaceKind
from jiceng.insight.routing import parse_range
from jiceng.insight.routing_services import gazetteer_entries_create
from jiceng.orgs.demo_data import DISTRICT_CODE, DISTRICT_NAME, STREETS
from jiceng.orgs.demo_data import DemoPeople as DemoPeople

_RANGE = re.compile(r"(\d+[—\-]\d+)幢$")
_ROAD = re.compile(r"^(.{1,5}?(?:大道|路|街|巷))\d+号")
_QUARTER = re.compile(r"片区|商圈|沿街|老街")
_HAMLET = re.compile(r"自然村|村落|坞|岭|埠|塘|口|堤|潭|茶场|安置点")

# Other names residents use for demo places (grid code → aliases).
ALIASES: dict[str, tuple[str, ...]] = {
    "QH-DH-LA-01": ("柳岸小区",),
    "QH-DH-LA-02": ("柳岸小区",),
    "QH-DH-GX-02": ("金桂小区",),
    "QH-DH-HP-01": ("湖畔人家",),
    "QH-DH-MZ-01": ("明珠小区",),
    "QH-DH-WC-01": ("文昌小区", "文昌里"),
    "QH-XX-CY-01": ("茶园新村",),
    "QH-XX-FL-01": ("枫林湾",),
    "QH-XX-ZJ-02": ("电机厂宿舍",),
    "QH-XX-XQ-03": ("新桥菜场", "新桥农贸市场"),
    "QH-NS-XF-02": ("教师公寓",),
    "QH-NS-ST-02": ("林场宿舍",),
    "QH-NS-FH-03": ("凤凰安置小区",),
}


class Writer(Protocol):
    def write(self, msg: str = "", style_func: Any = None, ending: str | None = None) -> None: ...


def demo_entries(people: DemoPeople) -> list[dict[str, Any]]:
    """The demo's gazetteer rows (unit, kind, name, aliases, range), from the demo tree."""
    units = people.units
    rows: list[dict[str, Any]] = []
    for street in STREETS:
        street_code = f"{DISTRICT_CODE}-{street.code}"
        prefix = f"{DISTRICT_NAME}{street.name}"
        main = _ROAD.match(street.address.removeprefix(prefix))
        for community in street.communities:
            code = f"{street_code}-{community.code}"
            unit = units.get(code)
            if unit is None:
                continue
            short = community.name.removesuffix("社区").removesuffix("村")
            own = _ROAD.match(community.address.removeprefix(prefix).removeprefix(community.name))
            roads = {match.group(1) for match in (own, main) if match}
            for road in sorted(roads):
                rows.append({"unit": unit, "kind": PlaceKind.ROAD, "name": road})
            if community.kind == "village":
                rows.append(
                    {
                        "unit": unit,
                        "kind": PlaceKind.VILLAGE,
                        "name": community.name,
                        "aliases": f"{short}村委,{short}村委会",
                    }
                )
            for index, area in enumerate(community.grid_areas, start=1):
                grid = units.get(f"{code}-{index:02d}")
                if grid is None:
                    continue
                aliases = ",".join(ALIASES.get(grid.code, ()))
                ranged = _RANGE.search(area)
                name = _RANGE.sub("", area)
                if ranged:
                    numbers = parse_range(ranged.group(1))
                    assert numbers is not None
                    rows.append(
                        {
                            "unit": grid,
                            "kind": PlaceKind.BUILDINGS,
                            "name": name,
                            "aliases": aliases,
                            "number_from": numbers[0],
                            "number_to": numbers[1],
                        }
                    )
                elif community.kind == "village" or _HAMLET.search(name):
                    rows.append(
                        {"unit": grid, "kind": PlaceKind.VILLAGE, "name": name, "aliases": aliases}
                    )
                elif _QUARTER.search(name):
                    rows.append(
                        {"unit": grid, "kind": PlaceKind.LANDMARK, "name": name, "aliases": aliases}
                    )
                else:
                    rows.append(
                        {"unit": grid, "kind": PlaceKind.ESTATE, "name": name, "aliases": aliases}
                    )
    return rows  # fmt: skip


def seed_gazetteer(people: DemoPeople, stdout: Writer) -> int:
    """Create the demo gazetteer unless it exists; returns how many entries were created."""
    if GazetteerEntry.objects.exists():
        return 0
    created = gazetteer_entries_create(actor=SYSTEM, rows=demo_entries(people))
    stdout.write(_("Demo gazetteer: %(count)d places.") % {"count": created})
    return created
