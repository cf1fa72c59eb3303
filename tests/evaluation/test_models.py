from __future__ import annotations

import pytest

from jiceng.evaluation.models import RoundUnit
from jiceng.evaluation.snapshot import snapshot_indicators
from jiceng.orgs.roles import UnitKind
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import make_unit

pytestmark = pytest.mark.django_db


def test_an_opened_round_keeps_its_scheme_when_the_scheme_changes() -> None:
    district = make_unit(None, UnitKind.DISTRICT)
    street = make_unit(district, UnitKind.STREET)
    community = make_unit(street, UnitKind.COMMUNITY)
    scheme = make_scheme(district)
    round_ = make_open_round(district, [community], [scheme])

    scheme.indicators.filter(code="visits").update(name="改过的名称")

    names = [item["name"] for item in snapshot_indicators(round_.snapshot, "community")]
    assert names == ["值班制度落实", "入户走访", "按时办结率", "有效投诉扣分"]
    assert RoundUnit.objects.get(round=round_).unit_path == community.path
