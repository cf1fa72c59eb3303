from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from jiceng.conduct.models import RectificationItem, RectificationStatus
from jiceng.conduct.rectification_services import rectification_open
from jiceng.core.errors import DomainError
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from tests.factories import actor_for

pytestmark = pytest.mark.django_db


def test_an_item_is_opened_for_the_unit_and_audit_logged(tree):
    supervisor = actor_for(tree.people[Role.STREET_SUPERVISOR])
    deadline = timezone.now() + timedelta(days=10)
    item = rectification_open(
        actor=supervisor,
        unit=tree.community_a1,
        title=" 服务站开放时间未落实 ",
        deadline=deadline,
        source_kind="spot_check",
        source_id=7,
    )
    assert (item.title, item.unit_path, item.status, item.progress) == (
        "服务站开放时间未落实",
        tree.community_a1.path,
        RectificationStatus.OPEN,
        0,
    )
    entry = AuditEntry.objects.get(action="conduct.rectification.opened")
    assert entry.data["source"] == ["spot_check", 7]


@pytest.mark.parametrize(
    ("title", "days", "weight", "message"),
    [
        ("  ", 5, 1, "put right"),
        ("x" * 201, 5, 1, "under 200"),
        ("门口堆物", -1, 1, "future"),
        ("门口堆物", 5, 11, "1 to 10"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_opened(tree, title, days, weight, message):
    supervisor = actor_for(tree.people[Role.STREET_SUPERVISOR])
    with translation.override("en"), pytest.raises(DomainError, match=message):
        rectification_open(
            actor=supervisor,
            unit=tree.community_a1,
            title=title,
            deadline=timezone.now() + timedelta(days=days),
            source_kind="visit",
            weight=weight,
        )
    assert not RectificationItem.objects.exists()


def test_an_item_opened_at_a_replayed_moment_is_dated_then(tree):
    """Imports and demo history open items inside `clock.at`: the item, its first timeline
    event and the period roll-up all take that moment, not the time of writing."""
    from jiceng.conduct.rectification_rollup import Period
    from jiceng.conduct.selectors import items_of_period
    from jiceng.core import clock

    then = timezone.now() - timedelta(days=40)
    with clock.at(then):
        item = rectification_open(
            actor=actor_for(tree.people[Role.STREET_SUPERVISOR]),
            unit=tree.community_a1,
            title="值班表与实际在岗人员不符",
            deadline=then + timedelta(days=10),
            source_kind="supervision",
        )
    item.refresh_from_db()
    assert item.created_at == then
    assert item.events.get().created_at == then
    day = timezone.localdate(then)
    assert list(items_of_period(Period(day, day))) == [item]
