from __future__ import annotations

import pytest

from jiceng.core.actors import SYSTEM
from jiceng.insight.models_routing import PlaceKind
from jiceng.insight.routing_services import gazetteer_entry_save
from tests.cases.conftest import (  # noqa: F401  (the same fixtures as the cases tests)
    _default_categories,
    actors,
    category,
    secretary,
    submit,
)


@pytest.fixture
def places(tree):
    """A small gazetteer of the tree's street A (柳岸社区, 桂香社区) and street B (泉水村)."""
    made = {}
    for key, unit, kind, name, aliases, numbers in [
        ("garden", tree.grid_a1, PlaceKind.BUILDINGS, "柳岸花园", "柳岸小区", (1, 14)),
        ("road", tree.community_a1, PlaceKind.ROAD, "柳岸路", "", (1, 199)),
        ("osmanthus", tree.community_a2, PlaceKind.ESTATE, "桂香苑", "桂花苑", (None, None)),
        ("lake", tree.community_a1, PlaceKind.ROAD, "湖滨路", "", (None, None)),
        ("lake2", tree.community_a2, PlaceKind.ROAD, "湖滨路", "", (None, None)),
        ("spring", tree.grid_b1, PlaceKind.VILLAGE, "上泉", "", (None, None)),
    ]:
        made[key] = gazetteer_entry_save(
            actor=SYSTEM,
            unit=unit,
            kind=kind,
            name=name,
            aliases=aliases,
            number_from=numbers[0],
            number_to=numbers[1],
        )
    return made
