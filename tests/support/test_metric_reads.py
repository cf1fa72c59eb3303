"""The support reads the evaluation makes for every unit of a round at once: the same figures
as the one-unit selectors, in a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.orgs.models import OrgUnit
from jiceng.support import care_services, staff_services
from jiceng.support.care_selectors import care_visit_completion, care_visit_completion_by_unit
from jiceng.support.care_services import CareDetails
from jiceng.support.staff_selectors import staff_ratio, staff_ratios
from tests.support.venue_helpers import local

pytestmark = pytest.mark.django_db

NOW = local(2026, 3, 20, 10)


def _staff(unit, name, employment="full_time"):
    return staff_services.staff_add(
        actor=SYSTEM, unit=unit, name=name, position="社区工作者", employment=employment
    )


def test_staff_ratios_match_staff_ratio_per_unit_in_one_query(tree):
    OrgUnit.objects.filter(pk=tree.community_a1.pk).update(population=1500)
    OrgUnit.objects.filter(pk=tree.street_a.pk).update(population=4000)
    with clock.at(NOW):
        _staff(tree.community_a1, "王敏")
        _staff(tree.grid_a1, "周网格", "part_time")
        _staff(tree.community_a2, "孙桂")
        _staff(tree.street_a, "街道干部")
        gone = _staff(tree.community_a1, "钱离")
        staff_services.staff_leave(
            actor=SYSTEM, staff=gone, left_on=date(2026, 3, 1), reason="调离"
        )
    units = list(
        OrgUnit.objects.filter(
            pk__in=[tree.street_a.pk, tree.community_a1.pk, tree.community_a2.pk, tree.street_b.pk]
        )
    )
    with CaptureQueriesContext(connection) as queries:
        together = staff_ratios(tree.district, units)
    assert len(queries) == 1
    assert together == {unit.pk: staff_ratio(unit) for unit in units}
    by_code = {unit.code: together[unit.pk] for unit in units}
    # 柳岸: 王敏 and the grid's 周网格 (钱离 left) per 1,500 → 1.33; the street: 4 per 4,000 → 1.
    assert (by_code["QH-DH-LA"].staff, by_code["QH-DH-LA"].full_time) == (2, 1)
    assert str(by_code["QH-DH-LA"].per_thousand) == "1.33"
    assert str(by_code["QH-DH"].per_thousand) == "1.00"
    assert by_code["QH-SQ"].staff == 0


def test_care_completion_by_unit_matches_the_one_unit_selector(tree):
    period = (date(2026, 3, 1), date(2026, 3, 31))
    with clock.at(NOW):
        for unit, first_due in (
            (tree.community_a1, date(2026, 3, 2)),
            (tree.grid_a1, date(2026, 3, 3)),
        ):
            care_services.care_target_create(
                actor=SYSTEM,
                unit=unit,
                details=CareDetails(
                    category="elderly_alone",
                    name="李奶奶",
                    address="柳岸路88号",
                    phone="13812345678",
                    id_last4="123X",
                    frequency="weekly",
                    first_due_on=first_due,
                ),
            )
        units = [tree.street_a, tree.community_a1, tree.grid_a1, tree.community_a2]
        with CaptureQueriesContext(connection) as queries:
            together = care_visit_completion_by_unit(
                tree.district, [unit.path for unit in units], period
            )
        assert len(queries) == 2
        assert together == {unit.path: care_visit_completion(unit, period) for unit in units}
    # Nobody visited: 柳岸 due 2, 9, 16 March; its grid 3, 10, 17 March → (0, 6) for both
    # together, (0, 3) for the grid alone, nothing for 桂香.
    assert together[tree.community_a1.path] == (0, 6)
    assert together[tree.street_a.path] == (0, 6)
    assert together[tree.grid_a1.path] == (0, 3)
    assert together[tree.community_a2.path] == (0, 0)
