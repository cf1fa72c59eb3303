"""Rectification progress: the pure roll-up worked by hand, and the selector over a period."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.conduct.models import RectificationItem
from jiceng.conduct.rectification_rollup import (
    ItemState,
    Period,
    effective_progress,
    rollup,
    rollup_by_unit,
)
from jiceng.conduct.rectification_services import (
    rectification_open,
    rectification_report,
    rectification_verify,
)
from jiceng.conduct.selectors import rectification_completion, rectification_completion_by_unit
from jiceng.orgs.roles import Role


def test_the_worked_example_of_scoring_md():
    items = [
        ItemState(weight=3, progress=40, status="open"),
        ItemState(weight=1, progress=100, status="reported"),
        ItemState(weight=2, progress=60, status="verified"),
        ItemState(weight=4, progress=20, status="returned", overdue=True),
    ]
    result = rollup(items)
    # (3·40 + 1·100 + 2·100 + 4·20) / (3 + 1 + 2 + 4) = (120 + 100 + 200 + 80) / 10 = 50.0
    assert result.progress == 50.0
    assert (result.items, result.verified, result.overdue, result.weight) == (4, 1, 1, 10)


def test_the_worked_example_per_community():
    liuan, guixiang = "000100010001", "000100010002"
    rows = [
        (liuan, ItemState(weight=3, progress=40, status="open")),
        (liuan, ItemState(weight=1, progress=100, status="reported")),
        (liuan, ItemState(weight=2, progress=60, status="verified")),
        (guixiang, ItemState(weight=4, progress=20, status="returned", overdue=True)),
    ]
    result = rollup_by_unit(rows, [liuan, guixiang])
    assert (result[liuan].progress, result[liuan].items, result[liuan].verified) == (70.0, 3, 1)
    assert (result[guixiang].progress, result[guixiang].overdue) == (20.0, 1)
    # The street's figure is the mean over all items, not the mean of the two (45.0).
    assert rollup_by_unit(rows, ["00010001"])["00010001"].progress == 50.0


def test_rounding_to_one_decimal():
    items = [ItemState(1, 0, "open"), ItemState(1, 0, "open"), ItemState(1, 100, "verified")]
    assert rollup(items).progress == 33.3


def test_no_items_is_no_figure_not_zero():
    assert rollup([]).progress is None
    assert rollup([ItemState(1, 0, "open")]).progress == 0.0


def test_verified_counts_full_whatever_was_reported():
    assert effective_progress(ItemState(1, 30, "verified")) == 100
    assert effective_progress(ItemState(1, 130, "open")) == 100
    assert effective_progress(ItemState(1, -5, "open")) == 0


def test_weights_must_be_positive():
    with pytest.raises(ValueError):
        rollup([ItemState(0, 10, "open")])


def test_periods_must_not_run_backwards():
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 31))


def test_rollup_by_unit_counts_subtrees():
    rows = [
        ("00010001", ItemState(1, 100, "verified")),
        ("000100010001", ItemState(1, 0, "open")),
        ("00010002", ItemState(2, 50, "open")),
    ]
    result = rollup_by_unit(rows, ["00010001", "00010002", "00010003"])
    assert result["00010001"].progress == 50.0
    assert result["00010002"].progress == 50.0
    assert result["00010003"].progress is None


@pytest.mark.django_db
def test_completion_of_a_unit_over_a_period(tree, actors, record_visit):
    from jiceng.conduct.supervision_services import FindingInput

    record_visit(
        findings=[
            FindingInput(title="甲", weight=1),
            FindingInput(title="乙", weight=3),
        ]
    )
    first, second = RectificationItem.objects.order_by("pk")
    staff = actors[Role.COMMUNITY_STAFF]
    rectification_report(actor=staff, item=first, progress=100, note="完成")
    rectification_verify(actor=actors[Role.STREET_SUPERVISOR], item=first)
    rectification_report(actor=staff, item=second, progress=20, note="进行中")
    rectification_open(
        actor=actors[Role.STREET_SUPERVISOR],
        unit=tree.community_a2,
        title="别的社区",
        deadline=timezone.now() + timedelta(days=5),
        source_kind="supervision",
    )
    today = timezone.localdate()
    this_year = Period(date(today.year, 1, 1), today)
    # (1·100 + 3·20) / 4 = 40.0 for 柳岸社区; the street adds 桂香社区's item at 0 %, weight 1.
    assert rectification_completion(tree.community_a1, this_year).progress == 40.0
    street = rectification_completion(tree.street_a, this_year)
    assert (street.progress, street.items, street.verified) == (32.0, 3, 1)
    assert rectification_completion(tree.street_b, this_year).progress is None
    # Items opened after a period ended do not count in it.
    before = Period(today - timedelta(days=30), today - timedelta(days=10))
    assert rectification_completion(tree.community_a1, before).items == 0
    # An item verified before a period started does not count in it either.
    later = Period(today + timedelta(days=1), today + timedelta(days=30))
    assert rectification_completion(tree.community_a1, later).items == 1

    # The evaluation reads every unit of a round at once: the same figures, in one query.
    units = [tree.street_a, tree.community_a1, tree.community_a2, tree.street_b]
    with CaptureQueriesContext(connection) as queries:
        together = rectification_completion_by_unit(
            tree.district, [unit.path for unit in units], this_year
        )
    assert len(queries) == 1
    assert together == {unit.path: rectification_completion(unit, this_year) for unit in units}
    assert together[tree.community_a2.path].progress == 0.0
