"""Residents' check-ins: recorded without an account, limited per device and per address."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError, NotFound
from jiceng.core.models import AuditEntry
from jiceng.evaluation import survey_services
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from jiceng.orgs.services import membership_end
from jiceng.support import venue_services as services
from jiceng.support.models import VenueCheckIn
from tests.support.venue_helpers import MONDAY_10, local, make_venue

pytestmark = pytest.mark.django_db


def test_a_check_in_keeps_only_hashes_and_knows_the_posted_hours(tree):
    venue = make_venue(tree.community_a1)
    with clock.at(MONDAY_10):
        checkin = services.checkin_record(
            venue=venue, service="paperwork", rating=5, device_id="d" * 22, client_ip="10.0.0.1"
        )
    assert (checkin.service, checkin.rating, checkin.within_hours) == ("paperwork", 5, True)
    assert checkin.device_hash == services.keyed_hash("device", "d" * 22)
    assert "10.0.0.1" not in checkin.address_hash and len(checkin.address_hash) == 64
    entry = AuditEntry.objects.get(action="support.venue.checked_in")
    assert entry.actor_user_id is None and entry.data["rating"] == 5
    with clock.at(local(2025, 9, 29, 13)):  # lunch break
        late = services.checkin_record(venue=venue, device_id="e" * 22)
    assert late.within_hours is False and late.service == "" and late.rating is None


def test_one_check_in_per_device_and_venue_per_half_hour(tree):
    venue = make_venue(tree.community_a1)
    other = make_venue(tree.community_a1, name="活动室")
    with clock.at(MONDAY_10):
        services.checkin_record(venue=venue, device_id="a" * 22)
        services.checkin_record(venue=other, device_id="a" * 22)  # another venue is fine
        services.checkin_record(venue=venue, device_id="b" * 22)  # another device is fine
    with clock.at(MONDAY_10 + timedelta(minutes=29)), pytest.raises(services.CheckInLimited):
        services.checkin_record(venue=venue, device_id="a" * 22)
    with clock.at(MONDAY_10 + timedelta(minutes=31)):
        services.checkin_record(venue=venue, device_id="a" * 22)
    assert VenueCheckIn.objects.filter(venue=venue).count() == 3


def test_a_daily_cap_per_network_address(tree, monkeypatch):
    monkeypatch.setattr(services, "CHECKIN_ADDRESS_PER_DAY", 3)
    venue = make_venue(tree.community_a1)
    with clock.at(MONDAY_10):
        for n in range(3):
            services.checkin_record(venue=venue, device_id=f"{n}" * 22, client_ip="10.0.0.9")
        with pytest.raises(services.CheckInLimited):
            services.checkin_record(venue=venue, device_id="x" * 22, client_ip="10.0.0.9")
        services.checkin_record(venue=venue, device_id="y" * 22, client_ip="10.0.0.10")
    with clock.at(local(2025, 9, 30, 0, 1)):  # a new day
        services.checkin_record(venue=venue, device_id="z" * 22, client_ip="10.0.0.9")
    assert VenueCheckIn.objects.count() == 5


@pytest.mark.parametrize(
    ("service", "rating", "field"),
    [("spa", None, "service"), ("", 0, "rating"), ("", 6, "rating"), ("", True, "rating")],
)
def test_bad_check_ins_are_refused(tree, service, rating, field):
    venue = make_venue(tree.community_a1)
    with pytest.raises(DomainError) as raised:
        services.checkin_record(venue=venue, service=service, rating=rating, device_id="q" * 22)
    assert raised.value.field == field
    assert not VenueCheckIn.objects.exists()


def test_a_venue_out_of_use_takes_no_check_ins(tree):
    venue = make_venue(tree.community_a1)
    services.venue_update(
        actor=SYSTEM,
        venue=venue,
        name=venue.name,
        kind=venue.kind,
        address=venue.address,
        area_m2=venue.area_m2,
        capacity=venue.capacity,
        is_active=False,
    )
    with pytest.raises(NotFound):
        services.checkin_record(venue=venue, device_id="q" * 22)
    assert not VenueCheckIn.objects.exists()


def test_phones_of_the_venues_own_staff_cannot_check_in(tree):
    """Check-ins count in the unit's evaluation: its staff (and those below) cannot add to them."""
    venue = make_venue(tree.community_a1)
    for role, device in (
        (Role.COMMUNITY_STAFF, "s" * 22),
        (Role.GRID_WORKER, "g" * 22),  # a grid of the community
        (Role.STREET_SUPERVISOR, "u" * 22),
    ):
        survey_services.staff_device_record(user=tree.people[role], device_id=device)
    with clock.at(MONDAY_10):
        for device in ("s" * 22, "g" * 22):
            with pytest.raises(services.StaffCheckInRefused):
                services.checkin_record(venue=venue, device_id=device, client_ip="10.0.0.1")
        assert not VenueCheckIn.objects.exists()
        # The street above is not the venue's unit: its supervisor checks in like anyone.
        services.checkin_record(venue=venue, device_id="u" * 22, client_ip="10.0.0.1")
    assert VenueCheckIn.objects.count() == 1


def test_staff_who_left_the_unit_check_in_like_residents(tree):
    venue = make_venue(tree.community_a1)
    staff = tree.people[Role.COMMUNITY_STAFF]
    survey_services.staff_device_record(user=staff, device_id="s" * 22)
    membership_end(
        actor=SYSTEM, membership=Membership.objects.get(user=staff), reason="调任其他单位"
    )
    with clock.at(MONDAY_10):
        services.checkin_record(venue=venue, device_id="s" * 22)
    assert VenueCheckIn.objects.filter(venue=venue).count() == 1
