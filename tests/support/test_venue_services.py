"""Writes about venues: registry, hours, exceptions, photos, roster, activities."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import translation

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from jiceng.support import hours
from jiceng.support import venue_selectors as selectors
from jiceng.support import venue_services as services
from jiceng.support.models import (
    DutyShift,
    HoursException,
    OpeningPeriod,
    Venue,
    VenueActivity,
    VenuePhoto,
)
from tests.factories import actor_for, make_member
from tests.support.venue_helpers import MONDAY_10, local, make_venue, not_an_image, png

pytestmark = pytest.mark.django_db


def secretary(tree):
    return actor_for(tree.people[Role.BRANCH_SECRETARY])


def create(actor, unit, **changes):
    fields = {
        "name": "柳岸社区党群服务中心",
        "kind": "service_centre",
        "address": "柳岸路 1 号",
        "area_m2": "320.5",
        "capacity": 80,
    } | changes
    return services.venue_create(actor=actor, unit=unit, **fields)


def test_a_secretary_registers_a_venue_of_the_unit(tree):
    venue = create(secretary(tree), tree.community_a1, facilities=" 会议室 ")
    venue = Venue.objects.get(pk=venue.pk)  # as stored
    assert (venue.unit, venue.unit_path, venue.facilities) == (
        tree.community_a1,
        tree.community_a1.path,
        "会议室",
    )
    assert (venue.name, venue.kind, venue.address, venue.capacity) == (
        "柳岸社区党群服务中心",
        "service_centre",
        "柳岸路 1 号",
        80,
    )
    assert str(venue.area_m2) == "320.5"
    assert len(venue.public_code) == 8
    entry = AuditEntry.objects.get(action="support.venue.created")
    assert entry.target_id == str(venue.pk) and entry.data["unit"] == tree.community_a1.code


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"kind": "bar"}, "kind"),
        ({"address": ""}, "address"),
        ({"area_m2": "0"}, "area_m2"),
        ({"area_m2": "lots"}, "area_m2"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"makeup_weekday": 7}, "makeup_weekday"),
    ],
)
def test_bad_venue_input_is_refused_and_nothing_is_stored(tree, changes, field):
    with pytest.raises(DomainError) as raised:
        create(secretary(tree), tree.community_a1, **changes)
    assert raised.value.field == field
    assert not Venue.objects.exists()


@pytest.mark.parametrize(
    ("role", "unit_name"),
    [
        (Role.GRID_WORKER, "grid_a1"),  # records, does not manage
        (Role.BRANCH_SECRETARY, "community_a2"),  # a sibling's venue
        (Role.DISCIPLINE_INSPECTOR, "community_a1"),
        (Role.SYSTEM_ADMIN, "community_a1"),
    ],
)
def test_who_may_not_register(tree, role, unit_name):
    with pytest.raises(Forbidden):
        create(actor_for(tree.people[role]), getattr(tree, unit_name))
    assert not Venue.objects.exists()


def test_grids_have_no_venues(tree):
    with pytest.raises(DomainError) as raised:
        create(actor_for(tree.people[Role.STREET_SUPERVISOR]), tree.grid_a1)
    assert raised.value.field == "unit"
    assert not Venue.objects.exists()


def test_a_street_registers_venues_below_it(tree):
    venue = create(actor_for(tree.people[Role.STREET_SUPERVISOR]), tree.community_a2)
    assert venue.unit == tree.community_a2


def test_update_changes_the_venue_and_logs_what_changed(tree):
    venue = make_venue(tree.community_a1)
    services.venue_update(
        actor=secretary(tree),
        venue=venue,
        name="新名字",
        kind="activity_room",
        address=venue.address,
        area_m2=venue.area_m2,
        capacity=100,
        facilities=venue.facilities,
        is_active=False,
    )
    venue.refresh_from_db()
    assert (venue.name, venue.kind, venue.capacity, venue.is_active) == (
        "新名字",
        "activity_room",
        100,
        False,
    )
    data = AuditEntry.objects.get(action="support.venue.updated").data
    assert set(data) == {"name", "kind", "capacity", "is_active"}


def test_hours_are_replaced_and_bad_hours_change_nothing(tree):
    venue = make_venue(tree.community_a1)
    services.venue_hours_set(
        actor=secretary(tree),
        venue=venue,
        weekly={5: [(time(19), time(1)), (time(9), time(12))]},
    )
    assert list(OpeningPeriod.objects.filter(venue=venue).values_list("weekday", "opens")) == [
        (5, time(9)),
        (5, time(19)),
    ]
    with pytest.raises(DomainError) as raised:
        services.venue_hours_set(
            actor=secretary(tree),
            venue=venue,
            weekly={0: [(time(9), time(12))], 1: [(time(9), time(12)), (time(11), time(13))]},
        )
    assert raised.value.field == "day_1"
    assert OpeningPeriod.objects.filter(venue=venue).count() == 2
    with pytest.raises(DomainError):
        services.venue_hours_set(actor=secretary(tree), venue=venue, weekly={7: []})


def test_exceptions_replace_a_dates_hours_and_are_removed(tree):
    venue = make_venue(tree.community_a1)
    actor = secretary(tree)
    with clock.at(MONDAY_10):
        services.venue_exception_set(actor=actor, venue=venue, day=date(2025, 9, 30), note="消杀")
        services.venue_exception_set(
            actor=actor, venue=venue, day=date(2025, 10, 1), periods=[(time(9), time(11))]
        )
        schedule = selectors.venue_schedule(venue)
        assert not hours.is_open(schedule, local(2025, 9, 30, 10))
        assert hours.is_open(schedule, local(2025, 10, 1, 10))  # opened on the holiday
        assert not hours.is_open(schedule, local(2025, 10, 2, 10))  # holiday
        services.venue_exception_remove(actor=actor, venue=venue, day=date(2025, 9, 30))
        assert hours.is_open(selectors.venue_schedule(venue), local(2025, 9, 30, 10))
        with pytest.raises(DomainError):
            services.venue_exception_remove(actor=actor, venue=venue, day=date(2025, 9, 30))


@pytest.mark.parametrize(
    ("day", "periods", "note", "field"),
    [
        (date(2025, 9, 1), (), "", "day"),
        (date(2027, 1, 1), (), "", "day"),
        (date(2025, 10, 1), ((time(9), time(12)), (time(10), time(13))), "", "periods"),
        (date(2025, 10, 1), (), "x" * 201, "note"),
    ],
)
def test_bad_exceptions_change_nothing(tree, day, periods, note, field):
    venue = make_venue(tree.community_a1)
    with clock.at(MONDAY_10), pytest.raises(DomainError) as raised:
        services.venue_exception_set(
            actor=secretary(tree), venue=venue, day=day, periods=periods, note=note
        )
    assert raised.value.field == field
    assert not HoursException.objects.exists()


def test_photos_are_checked_by_content(tree):
    venue = make_venue(tree.community_a1)
    with pytest.raises(DomainError) as raised:
        services.venue_photo_add(actor=secretary(tree), venue=venue, photos=[png(), not_an_image()])
    assert raised.value.field == "photos"
    assert not VenuePhoto.objects.exists()
    (photo,) = services.venue_photo_add(actor=secretary(tree), venue=venue, photos=[png("x.exe")])
    assert (photo.content_type, photo.venue, photo.activity) == ("image/png", venue, None)


def test_the_roster_says_who_is_on_duty(tree):
    venue = make_venue(tree.community_a1)
    staff = tree.people[Role.COMMUNITY_STAFF]
    grid_worker = tree.people[Role.GRID_WORKER]
    actor = secretary(tree)
    with clock.at(MONDAY_10):
        services.duty_shift_add(
            actor=actor,
            venue=venue,
            person=staff,
            starts_at=local(2025, 9, 29, 9),
            ends_at=local(2025, 9, 29, 12),
        )
        services.duty_shift_add(
            actor=actor,
            venue=venue,
            person=grid_worker,  # a grid below the community
            starts_at=local(2025, 9, 29, 11),
            ends_at=local(2025, 9, 29, 18),
        )
        assert [s.person for s in selectors.on_duty(venue, local(2025, 9, 29, 10))] == [staff]
        assert {s.person for s in selectors.on_duty(venue, local(2025, 9, 29, 11, 30))} == {
            staff,
            grid_worker,
        }
        assert selectors.on_duty(venue, local(2025, 9, 29, 12)) == [
            DutyShift.objects.get(person=grid_worker)
        ]


@pytest.mark.parametrize(
    ("who", "start", "end", "error", "field"),
    [
        ("staff", (29, 12), (29, 9), DomainError, "ends_at"),
        ("staff", (29, 9), (30, 10), DomainError, "ends_at"),
        ("outsider", (29, 9), (29, 12), DomainError, "person"),
        ("staff", (29, 10), (29, 11), Conflict, None),  # overlaps the shift made first
    ],
)
def test_bad_shifts_are_refused(tree, who, start, end, error, field):
    venue = make_venue(tree.community_a1)
    staff = tree.people[Role.COMMUNITY_STAFF]
    outsider = make_member(tree.community_a2, Role.COMMUNITY_STAFF)
    actor = secretary(tree)
    with clock.at(MONDAY_10):
        services.duty_shift_add(
            actor=actor,
            venue=venue,
            person=staff,
            starts_at=local(2025, 9, 29, 9),
            ends_at=local(2025, 9, 29, 12),
        )
        with pytest.raises(error) as raised:
            services.duty_shift_add(
                actor=actor,
                venue=venue,
                person=staff if who == "staff" else outsider,
                starts_at=local(2025, 9, *start),
                ends_at=local(2025, 9, *end),
            )
    assert raised.value.field == field
    assert DutyShift.objects.count() == 1


def test_a_past_shift_stays_on_the_roster(tree):
    venue = make_venue(tree.community_a1)
    actor = secretary(tree)
    with clock.at(MONDAY_10):
        shift = services.duty_shift_add(
            actor=actor,
            venue=venue,
            person=tree.people[Role.COMMUNITY_STAFF],
            starts_at=local(2025, 9, 29, 14),
            ends_at=local(2025, 9, 29, 18),
        )
    with clock.at(MONDAY_10 + timedelta(days=1)), pytest.raises(Conflict):
        services.duty_shift_remove(actor=actor, shift=shift)
    with clock.at(MONDAY_10):
        services.duty_shift_remove(actor=actor, shift=shift)
    assert not DutyShift.objects.exists()


def log(tree, venue, actor=None, **changes):
    fields = {
        "kind": "org_life",
        "topic": "九月主题党日",
        "starts_at": local(2025, 9, 29, 9),
        "ends_at": local(2025, 9, 29, 11),
        "attendance": 25,
        "attendees": [tree.people[Role.COMMUNITY_STAFF], tree.people[Role.GRID_WORKER]],
        "minutes": "",
    } | changes
    with clock.at(MONDAY_10 + timedelta(hours=2)):
        return services.activity_log(
            actor=actor or actor_for(tree.people[Role.GRID_WORKER]), venue=venue, **fields
        )


def test_a_grid_worker_logs_an_activity_at_the_community_venue(tree):
    venue = make_venue(tree.community_a1)
    activity = log(tree, venue, photos=[png()])
    assert activity.logged_by == tree.people[Role.GRID_WORKER]
    assert set(activity.attendees.all()) == {
        tree.people[Role.COMMUNITY_STAFF],
        tree.people[Role.GRID_WORKER],
    }
    assert activity.photos.count() == 1
    assert AuditEntry.objects.filter(action="support.venue.activity_logged").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"topic": " "}, "topic"),
        ({"ends_at": local(2025, 9, 29, 8)}, "ends_at"),
        ({"starts_at": local(2025, 10, 9, 9), "ends_at": local(2025, 10, 9, 10)}, "starts_at"),
        ({"attendance": 1}, "attendance"),
        ({"attendance": -1}, "attendance"),
        ({"minutes": "x" * 20_001}, "minutes"),
        ({"photos": [not_an_image()]}, "photos"),
    ],
)
def test_bad_activities_are_refused_and_nothing_is_stored(tree, changes, field):
    venue = make_venue(tree.community_a1)
    with pytest.raises(DomainError) as raised:
        log(tree, venue, **changes)
    assert raised.value.field == field
    assert not VenueActivity.objects.exists()
    assert not VenuePhoto.objects.exists()


def test_attendees_must_be_members_of_the_venues_unit(tree):
    venue = make_venue(tree.community_a1)
    outsider = make_member(tree.community_b1, Role.COMMUNITY_STAFF)
    with pytest.raises(DomainError) as raised:
        log(tree, venue, attendees=[outsider])
    assert raised.value.field == "attendees"


def test_staff_of_another_community_cannot_log_here(tree):
    venue = make_venue(tree.community_a2)
    with pytest.raises(Forbidden):
        log(tree, venue, attendees=[])


def test_closing_the_record_needs_minutes_and_an_outcome_and_then_it_is_final(tree):
    venue = make_venue(tree.community_a1)
    activity = log(tree, venue)
    actor = actor_for(tree.people[Role.COMMUNITY_STAFF])
    with translation.override("en"):
        with pytest.raises(DomainError, match="minutes"):
            services.activity_close(actor=actor, activity=activity, outcome="完成")
        with pytest.raises(DomainError, match="achieved"):
            services.activity_close(actor=actor, activity=activity, outcome=" ", minutes="记录")
    activity.refresh_from_db()
    assert activity.closed_at is None and activity.minutes == ""
    closed = services.activity_close(
        actor=actor, activity=activity, outcome="形成三项决议", minutes="会议记录……"
    )
    assert closed.is_closed and closed.closed_by == tree.people[Role.COMMUNITY_STAFF]
    with pytest.raises(Conflict):
        services.activity_close(actor=actor, activity=activity, outcome="再次", minutes="x")
    activity.refresh_from_db()
    assert activity.outcome == "形成三项决议"


def test_system_actor_may_do_everything(tree):
    venue = make_venue(tree.community_a1)
    activity = log(tree, venue, actor=SYSTEM, attendees=[])
    assert activity.logged_by is None
