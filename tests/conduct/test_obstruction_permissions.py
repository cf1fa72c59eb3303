"""The obstruction analytics are read through selectors that take the actor: the page cannot
show a unit's figures to someone the permission rule (`permissions.may_view_obstruction`) keeps
out, whatever the view does."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from jiceng.conduct.obstruction_selectors import (
    obstruction_indexes_for,
    obstruction_report_for,
    obstruction_unit_for,
)
from jiceng.conduct.rectification_rollup import Period
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.orgs.roles import Role
from tests.factories import actor_for

pytestmark = pytest.mark.django_db
PERIOD = Period(date(2026, 3, 1), date(2026, 3, 31))

ALLOWED = {
    (Role.STREET_SUPERVISOR, "street_a"),
    (Role.DISTRICT_ADMIN, "district"),
    (Role.DISTRICT_ADMIN, "street_a"),
    (Role.DISTRICT_ADMIN, "street_b"),
}


@pytest.mark.parametrize("role", list(Role.values))
@pytest.mark.parametrize("where", ["district", "street_a", "street_b", "community_a1"])
def test_every_role_and_level(tree, role, where):
    actor = actor_for(tree.people[role])
    unit = getattr(tree, where)
    if (role, where) in ALLOWED:
        assert obstruction_report_for(actor=actor, unit=unit, period=PERIOD).unit == unit
        assert obstruction_unit_for(actor=actor, code=unit.code) == unit
        assert obstruction_indexes_for(actor=actor, unit=unit, period=PERIOD) == {}
    else:
        with pytest.raises(Http404):
            obstruction_report_for(actor=actor, unit=unit, period=PERIOD)
        with pytest.raises(Http404):
            obstruction_unit_for(actor=actor, code=unit.code)
        assert obstruction_indexes_for(actor=actor, unit=unit, period=PERIOD) is None


@pytest.mark.parametrize("actor", [ANONYMOUS, SYSTEM])
def test_actors_without_a_unit_get_nothing(tree, actor):
    with pytest.raises(Http404):
        obstruction_report_for(actor=actor, unit=tree.street_a, period=PERIOD)
    with pytest.raises(Http404):
        obstruction_unit_for(actor=actor)


@pytest.mark.parametrize("code", ["NOPE", "x" * 40, "QH\x00"])
def test_unknown_codes_are_not_found(tree, code):
    actor = actor_for(tree.people[Role.DISTRICT_ADMIN])
    with pytest.raises(Http404):
        obstruction_unit_for(actor=actor, code=code)


def test_own_unit_without_a_code(tree):
    actor = actor_for(tree.people[Role.STREET_SUPERVISOR])
    assert obstruction_unit_for(actor=actor) == tree.street_a
