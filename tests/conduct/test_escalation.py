"""Overdue items escalate like cases: once per deadline, idempotently, to the unit above."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.cases.models import Notification
from jiceng.conduct.models import RectificationItem
from jiceng.conduct.rectification_services import (
    escalate_overdue_rectifications,
    rectification_escalate,
    rectification_open,
    rectification_report,
)
from jiceng.conduct.tasks import escalate_overdue_rectification_items
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _after(item, days=1):
    return item.deadline + timedelta(days=days)


def test_an_overdue_item_escalates_once_and_tells_the_supervisors_above(tree, item):
    other_street = make_member(tree.street_b, Role.STREET_SUPERVISOR)
    moment = _after(item)
    assert escalate_overdue_rectifications(actor=SYSTEM, now=moment) == 1
    item.refresh_from_db()
    assert item.escalated_at == moment
    event = item.events.get(kind="escalated")
    assert event.note and tree.street_a.name in event.note
    notices = Notification.objects.all()
    assert [n.recipient for n in notices] == [tree.people[Role.STREET_SUPERVISOR]]
    assert notices[0].case is None
    assert item.title in notices[0].message
    assert not Notification.objects.filter(recipient=other_street).exists()
    assert AuditEntry.objects.filter(action="conduct.rectification.escalated").count() == 1

    # Running again, later, changes nothing.
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item, 3)) == 0
    assert rectification_escalate(actor=SYSTEM, item=item, now=_after(item, 4)) is False
    assert item.events.filter(kind="escalated").count() == 1
    assert Notification.objects.count() == 1


def test_nothing_escalates_before_the_deadline(item):
    assert (
        escalate_overdue_rectifications(actor=SYSTEM, now=item.deadline - timedelta(hours=1)) == 0
    )
    item.refresh_from_db()
    assert item.escalated_at is None


def test_an_item_reported_done_waits_for_the_supervisor_and_does_not_escalate(actors, item):
    rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=100, note="完成")
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item)) == 0


def test_a_new_deadline_escalates_again_once(item):
    escalate_overdue_rectifications(actor=SYSTEM, now=_after(item))
    # A later deadline (no service moves deadlines yet; set it as a future one would).
    RectificationItem.objects.filter(pk=item.pk).update(deadline=_after(item, 10))
    item.refresh_from_db()
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item, 1)) == 1
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item, 2)) == 0
    assert item.events.filter(kind="escalated").count() == 2


def test_a_streets_item_escalates_to_the_district(tree, actors):
    item = rectification_open(
        actor=actors[Role.DISTRICT_ADMIN],
        unit=tree.street_a,
        title="街道督导台账缺失",
        deadline=timezone.now() + timedelta(days=2),
        source_kind="supervision",
    )
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item)) == 1
    assert [n.recipient for n in Notification.objects.all()] == [tree.people[Role.DISTRICT_ADMIN]]


def test_recipients_read_it_in_their_language(tree, item):
    supervisor = tree.people[Role.STREET_SUPERVISOR]
    supervisor.preferred_language = "en"
    supervisor.save()
    escalate_overdue_rectifications(actor=SYSTEM, now=_after(item))
    assert Notification.objects.get().message.startswith("Rectification item")


def test_only_the_system_escalates(actors, item):
    with pytest.raises(Forbidden):
        rectification_escalate(actor=actors[Role.STREET_SUPERVISOR], item=item, now=_after(item))


def test_the_periodic_job_escalates_what_is_due(item):
    with clock.at(_after(item)):
        assert escalate_overdue_rectification_items.call_local() == 1
        assert escalate_overdue_rectification_items.call_local() == 0


def test_a_grids_item_escalates_past_the_community_to_the_street(tree, actors):
    item = rectification_open(
        actor=actors[Role.STREET_SUPERVISOR],
        unit=tree.grid_a1,
        title="网格巡查记录缺失",
        deadline=timezone.now() + timedelta(days=2),
        source_kind="supervision",
    )
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item)) == 1
    assert [n.recipient for n in Notification.objects.all()] == [
        tree.people[Role.STREET_SUPERVISOR]
    ]


def test_the_districts_own_items_escalate_without_anyone_above(tree):
    item = rectification_open(
        actor=SYSTEM,
        unit=tree.district,
        title="区级台账",
        deadline=timezone.now() + timedelta(days=2),
        source_kind="supervision",
    )
    assert escalate_overdue_rectifications(actor=SYSTEM, now=_after(item)) == 1
    assert not Notification.objects.exists()
    item.refresh_from_db()
    assert item.escalated_at is not None
