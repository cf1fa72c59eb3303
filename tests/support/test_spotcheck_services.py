"""Spot checks: checked against the posted hours; closed during them opens a rectification item."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiceng.conduct.models import RectificationItem
from jiceng.core import clock
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from jiceng.support import venue_services as services
from jiceng.support.models import SpotCheck, VenuePhoto
from tests.factories import actor_for, make_member
from tests.support.venue_helpers import MONDAY_10, local, make_venue, not_an_image, png

pytestmark = pytest.mark.django_db


def record(tree, venue, *, actor=None, at=MONDAY_10, now=None, **changes):
    fields = {
        "checked_at": at,
        "found_open": False,
        "staff_present": 0,
        "condition": "fair",
        "notes": "大门上锁，无人值守",
    } | changes
    with clock.at(now or at + timedelta(minutes=10)):
        return services.spotcheck_record(
            actor=actor or actor_for(tree.people[Role.STREET_SUPERVISOR]), venue=venue, **fields
        )


def test_closed_during_posted_hours_opens_a_rectification_item(tree):
    venue = make_venue(tree.community_a1)
    check = record(tree, venue, photos=[png()])
    assert (check.within_hours, check.found_open, check.closed_during_hours) == (True, False, True)
    item = RectificationItem.objects.get()
    assert check.rectification == item
    assert (item.unit, item.source_kind, item.source_id) == (
        tree.community_a1,
        "spot_check",
        check.pk,
    )
    assert item.opened_by == tree.people[Role.STREET_SUPERVISOR]
    expected = get_calendar().add_working_days(
        MONDAY_10 + timedelta(minutes=10), services.SPOT_CHECK_RECTIFY_WORKING_DAYS
    )
    assert item.deadline == expected
    # 10 working days after Monday 29 Sep 2025: 30 Sep, 9–11 Oct (11th made up), 13–17, 20 Oct.
    assert expected.date().isoformat() == "2025-10-20"
    assert check.photos.count() == 1
    entry = AuditEntry.objects.get(action="support.venue.spot_checked")
    assert entry.data["rectification"] == item.pk


def test_found_open_opens_nothing(tree):
    venue = make_venue(tree.community_a1)
    check = record(tree, venue, found_open=True, staff_present=2, condition="good")
    assert check.within_hours and check.rectification is None
    assert not RectificationItem.objects.exists()


@pytest.mark.parametrize(
    "moment",
    [
        local(2025, 9, 29, 13),  # lunch break
        local(2025, 9, 27, 10),  # Saturday
        local(2025, 10, 1, 10),  # National Day
    ],
)
def test_closed_outside_posted_hours_opens_nothing(tree, moment):
    venue = make_venue(tree.community_a1)
    check = record(tree, venue, at=moment)
    assert (check.within_hours, check.closed_during_hours) == (False, False)
    assert not RectificationItem.objects.exists()


@pytest.mark.parametrize(
    ("role", "unit"),
    [
        (Role.COMMUNITY_STAFF, None),
        (Role.BRANCH_SECRETARY, None),  # the unit cannot inspect itself
        (Role.GRID_WORKER, None),
        (Role.DISCIPLINE_INSPECTOR, None),
        (Role.STREET_SUPERVISOR, "street_b"),  # another street's community
    ],
)
def test_only_supervisors_above_the_venue_record_spot_checks(tree, role, unit):
    venue = make_venue(tree.community_a1)
    person = make_member(getattr(tree, unit), role) if unit is not None else tree.people[role]
    with pytest.raises(Forbidden):
        record(tree, venue, actor=actor_for(person))
    assert not SpotCheck.objects.exists()


def test_the_district_checks_a_streets_own_venue_but_the_street_does_not(tree):
    venue = make_venue(tree.street_a, name="街道党群服务中心")
    with pytest.raises(Forbidden):
        record(tree, venue)
    check = record(tree, venue, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    assert check.rectification.unit == tree.street_a


@pytest.mark.parametrize(
    ("changes", "now", "field"),
    [
        ({}, MONDAY_10 - timedelta(hours=1), "checked_at"),  # in the future
        ({}, MONDAY_10 + timedelta(days=8), "checked_at"),  # too long ago
        ({"staff_present": 2}, None, "staff_present"),  # closed, yet staff present
        ({"found_open": True, "staff_present": -1}, None, "staff_present"),
        ({"condition": "awful"}, None, "condition"),
        ({"notes": "x" * 5001}, None, "notes"),
        ({"photos": [not_an_image()]}, None, "photos"),
        ({"photos": [png() for _ in range(7)]}, None, "photos"),
    ],
)
def test_bad_spot_checks_change_nothing(tree, changes, now, field):
    venue = make_venue(tree.community_a1)
    with pytest.raises(DomainError) as raised:
        record(tree, venue, now=now, **changes)
    assert raised.value.field == field
    assert not SpotCheck.objects.exists()
    assert not RectificationItem.objects.exists()
    assert not VenuePhoto.objects.exists()
