"""The demo venues: created through the services, idempotent, with something to show."""

from __future__ import annotations

import io

import pytest

from jiceng.conduct.models import RectificationItem
from jiceng.orgs.demo_data import seed_units_and_people
from jiceng.support.demo_venues import seed_venues
from jiceng.support.models import SpotCheck, Venue, VenueActivity, VenueCheckIn

pytestmark = pytest.mark.django_db


def test_demo_venues_are_seeded_once():
    out = io.StringIO()
    people = seed_units_and_people(out)
    created = seed_venues(people, out)
    communities = len(people.units_of_kind("community", "village"))
    assert created == Venue.objects.count() > communities
    assert VenueCheckIn.objects.count() > 100
    assert VenueActivity.objects.filter(closed_at__isnull=False).exists()
    locked = SpotCheck.objects.filter(found_open=False, within_hours=True)
    assert locked.count() == 1
    assert RectificationItem.objects.get(source_kind="spot_check").source_id == locked.get().pk
    assert seed_venues(people, out) == 0
    assert Venue.objects.count() == created
