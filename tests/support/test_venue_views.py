"""The staff venue pages: who sees what (role × page), forms with bad input, list query counts."""

from __future__ import annotations

import json
import re
from datetime import time, timedelta

import pytest
import segno
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.conduct.models import RectificationItem
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role
from jiceng.support import venue_services as services
from jiceng.support.models import (
    DutyShift,
    HoursException,
    OpeningPeriod,
    SpotCheck,
    Venue,
    VenueActivity,
    VenueCheckIn,
)
from tests.factories import make_member
from tests.support.venue_helpers import ALL_DAY, make_venue, not_an_image, png

pytestmark = pytest.mark.django_db

STAFF_ROLES = [
    Role.GRID_WORKER,
    Role.COMMUNITY_STAFF,
    Role.BRANCH_SECRETARY,
    Role.STREET_SUPERVISOR,
    Role.DISTRICT_ADMIN,
]
NO_VENUES = [Role.DISCIPLINE_INSPECTOR, Role.SYSTEM_ADMIN]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_now(venue: Venue) -> None:
    """Open round the clock, holidays included, for pages that use the real time."""
    services.venue_hours_set(actor=SYSTEM, venue=venue, weekly=dict.fromkeys(range(7), ALL_DAY))
    today = timezone.localdate()
    for day in (today, today + timedelta(days=1)):
        services.venue_exception_set(actor=SYSTEM, venue=venue, day=day, periods=ALL_DAY)


@pytest.fixture
def venue(tree):
    return make_venue(tree.community_a1)


def status_of(tree, role, url, method="get", data=None):
    client = client_for(tree.people[role])
    return getattr(client, method)(url, data or {}).status_code


@pytest.mark.parametrize("role", STAFF_ROLES + NO_VENUES)
def test_the_list_is_for_staff_who_see_venues(tree, venue, role):
    expected = 200 if role in STAFF_ROLES else 403
    assert status_of(tree, role, reverse("venue_list")) == expected


def test_anonymous_visitors_are_sent_to_sign_in(tree, venue):
    response = Client().get(reverse("venue_detail", args=[venue.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.GRID_WORKER, 200),  # their community's venue
        (Role.COMMUNITY_STAFF, 200),
        (Role.BRANCH_SECRETARY, 200),
        (Role.STREET_SUPERVISOR, 200),
        (Role.DISTRICT_ADMIN, 200),
        (Role.DISCIPLINE_INSPECTOR, 403),
        (Role.SYSTEM_ADMIN, 403),
    ],
)
def test_the_detail_page(tree, venue, role, expected):
    assert status_of(tree, role, reverse("venue_detail", args=[venue.pk])) == expected


@pytest.mark.parametrize(
    ("unit", "role"),
    [
        ("community_a2", Role.BRANCH_SECRETARY),
        ("street_b", Role.STREET_SUPERVISOR),
        ("community_b1", Role.COMMUNITY_STAFF),
    ],
)
def test_other_subtrees_get_404_on_every_venue_page(tree, venue, unit, role):
    client = client_for(make_member(getattr(tree, unit), role))
    for name in (
        "venue_detail",
        "venue_edit",
        "venue_hours",
        "venue_roster",
        "venue_poster",
        "activity_create",
        "spotcheck_create",
    ):
        assert client.get(reverse(name, args=[venue.pk])).status_code == 404, name
    assert client.get(reverse("venue_detail", args=[99999])).status_code == 404


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("venue_edit", {Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY, Role.STREET_SUPERVISOR}),
        ("venue_hours", {Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY, Role.STREET_SUPERVISOR}),
        ("activity_create", set(STAFF_ROLES)),
        ("spotcheck_create", {Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN}),
        ("venue_roster", set(STAFF_ROLES)),
        ("venue_poster", set(STAFF_ROLES)),
    ],
)
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_role_by_page(tree, venue, name, allowed, role):
    expected = 200 if role in allowed else 404
    assert status_of(tree, role, reverse(name, args=[venue.pk])) == expected


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_registering_needs_support_manage(tree, role):
    allowed = {Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY, Role.STREET_SUPERVISOR}
    assert status_of(tree, role, reverse("venue_create")) == (200 if role in allowed else 403)


def test_register_a_venue_then_post_its_hours(tree):
    client = client_for(tree.people[Role.BRANCH_SECRETARY])
    response = client.post(
        reverse("venue_create"),
        {
            "unit": tree.community_a1.pk,
            "name": "柳岸社区党群服务中心",
            "kind": "service_centre",
            "address": "柳岸路 1 号",
            "area_m2": "320.5",
            "capacity": "80",
            "facilities": "会议室、阅览角",
            "makeup_weekday": "0",
        },
    )
    venue = Venue.objects.get()
    assert (venue.name, venue.kind, venue.address, str(venue.area_m2), venue.capacity) == (
        "柳岸社区党群服务中心",
        "service_centre",
        "柳岸路 1 号",
        "320.5",
        80,
    )
    assert venue.facilities == "会议室、阅览角"
    assert response.status_code == 302 and response["Location"] == reverse(
        "venue_hours", args=[venue.pk]
    )
    response = client.post(
        reverse("venue_hours", args=[venue.pk]),
        {"day_0": "09:00-12:00，14:00-18:00", "day_4": "19:00-01:00", "day_6": ""},
    )
    assert response.status_code == 302
    assert list(
        OpeningPeriod.objects.filter(venue=venue).values_list("weekday", "opens", "closes")
    ) == [(0, time(9), time(12)), (0, time(14), time(18)), (4, time(19), time(1))]
    page = client.get(reverse("venue_detail", args=[venue.pk])).content.decode()
    assert "09:00-12:00, 14:00-18:00" in page
    for shown in ("柳岸社区党群服务中心", "柳岸路 1 号", "320.5", ">80<", "会议室、阅览角"):
        assert shown in page, shown


@pytest.mark.parametrize(
    "data",
    [
        {},
        {
            "unit": "x",
            "name": "a",
            "kind": "service_centre",
            "address": "b",
            "area_m2": "1",
            "capacity": "1",
        },
        {
            "unit": "{grid}",
            "name": "a",
            "kind": "service_centre",
            "address": "b",
            "area_m2": "1",
            "capacity": "1",
        },
        {
            "unit": "{other}",
            "name": "a",
            "kind": "service_centre",
            "address": "b",
            "area_m2": "1",
            "capacity": "1",
        },
        {
            "unit": "{own}",
            "name": "a" * 101,
            "kind": "service_centre",
            "address": "b",
            "area_m2": "1",
            "capacity": "1",
        },
        {
            "unit": "{own}",
            "name": "a",
            "kind": "bar",
            "address": "b",
            "area_m2": "1",
            "capacity": "1",
        },
        {
            "unit": "{own}",
            "name": "a",
            "kind": "service_centre",
            "address": "b",
            "area_m2": "-3",
            "capacity": "1",
        },
        {
            "unit": "{own}",
            "name": "a",
            "kind": "service_centre",
            "address": "b",
            "area_m2": "1",
            "capacity": "1.5",
        },
    ],
)
def test_bad_venue_forms_change_nothing(tree, data):
    units = {
        "{own}": tree.community_a1.pk,
        "{grid}": tree.grid_a1.pk,
        "{other}": tree.community_a2.pk,
    }
    data = {key: units.get(value, value) for key, value in data.items()}
    client = client_for(tree.people[Role.BRANCH_SECRETARY])
    response = client.post(reverse("venue_create"), data | {"makeup_weekday": "0"})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert not Venue.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"day_0": "9-12"},
        {"day_0": "09:00-12:00, 11:00-13:00"},
        {"day_0": "25:00-26:00"},
        {"day_0": "22:00-02:00, 23:00-23:30"},
        {"day_0": ", ".join(["08:00-08:10"] * 7)},
    ],
)
def test_bad_hours_change_nothing(tree, venue, data):
    client = client_for(tree.people[Role.COMMUNITY_STAFF])
    before = list(OpeningPeriod.objects.values_list("pk", flat=True))
    response = client.post(reverse("venue_hours", args=[venue.pk]), data)
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()
    assert list(OpeningPeriod.objects.values_list("pk", flat=True)) == before


def test_exceptions_through_the_page(tree, venue):
    client = client_for(tree.people[Role.COMMUNITY_STAFF])
    day = timezone.localdate() + timedelta(days=3)
    url = reverse("venue_exception_add", args=[venue.pk])
    assert client.post(url, {"day": day.isoformat(), "note": "消杀"}).status_code == 302
    assert HoursException.objects.get().closed
    bad = client.post(url, {"day": day.isoformat(), "periods": "morning"})
    assert bad.status_code == 400 and HoursException.objects.count() == 1
    past = client.post(url, {"day": "2001-01-01"})
    assert past.status_code == 400 and HoursException.objects.count() == 1
    remove = reverse("venue_exception_remove", args=[venue.pk])
    assert client.post(remove, {"day": day.isoformat()}).status_code == 302
    assert not HoursException.objects.exists()


def test_photos_through_the_page(tree, venue):
    client = client_for(tree.people[Role.COMMUNITY_STAFF])
    url = reverse("venue_photo_add", args=[venue.pk])
    bad = client.post(url, {"photos": [not_an_image()]})
    assert bad.status_code == 400
    assert client.post(url, {"photos": [png()]}).status_code == 302
    photo = venue.photos.get()
    response = client.get(reverse("venue_photo", args=[venue.pk, photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    other = client_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
    assert other.get(reverse("venue_photo", args=[venue.pk, photo.pk])).status_code == 404


def test_the_roster_page(tree, venue):
    client = client_for(tree.people[Role.COMMUNITY_STAFF])
    start = timezone.localtime().replace(second=0, microsecond=0) + timedelta(hours=1)
    url = reverse("venue_roster", args=[venue.pk])
    data = {
        "person": tree.people[Role.GRID_WORKER].pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(url, data).status_code == 302
    shift = DutyShift.objects.get()
    assert shift.person == tree.people[Role.GRID_WORKER]
    assert client.post(url, data | {"ends_at": "yesterday"}).status_code == 400
    outsider = make_member(tree.community_b1, Role.COMMUNITY_STAFF)
    assert client.post(url, data | {"person": outsider.pk}).status_code == 400
    assert client.post(url, data).status_code == 400  # overlaps
    assert DutyShift.objects.count() == 1
    grid = client_for(tree.people[Role.GRID_WORKER])
    assert grid.get(url).status_code == 200
    assert grid.post(url, data).status_code == 403
    remove = reverse("venue_shift_remove", args=[venue.pk, shift.pk])
    assert client.post(remove).status_code == 302
    assert not DutyShift.objects.exists()


def test_the_poster_is_a_printable_qr_code(tree, venue):
    page = client_for(tree.people[Role.GRID_WORKER]).get(reverse("venue_poster", args=[venue.pk]))
    content = page.content.decode()
    assert "<svg" in content and "@media print" in content
    assert f"/v/{venue.public_code}/" in content
    # The code holds the full check-in address: its modules are segno's for that address.
    url = f"http://testserver/v/{venue.public_code}/"
    modules = re.search(r'<path[^>]* d="([^"]+)"', content).group(1)
    expected = segno.make_qr(url, error="m").svg_inline(scale=10, border=2, omitsize=True)
    assert f'd="{modules}"' in expected
    other = segno.make_qr(url + "x", error="m").svg_inline(scale=10, border=2, omitsize=True)
    assert f'd="{modules}"' not in other


def test_log_and_close_an_activity_through_the_pages(tree, venue):
    client = client_for(tree.people[Role.GRID_WORKER])
    now = timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "kind": "study",
        "topic": "学习党的二十届四中全会精神",
        "starts_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "attendance": "18",
        "attendees": [tree.people[Role.COMMUNITY_STAFF].pk],
        "photos": [png()],
    }
    response = client.post(reverse("activity_create", args=[venue.pk]), data)
    activity = VenueActivity.objects.get()
    assert response["Location"] == reverse("activity_detail", args=[activity.pk])
    assert activity.photos.count() == 1
    close = reverse("activity_close", args=[activity.pk])
    assert client.post(close, {"minutes": "", "outcome": ""}).status_code == 400
    response = client.post(close, {"minutes": "记录", "outcome": "布置下月任务"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.is_closed and activity.outcome == "布置下月任务"
    page = client.get(reverse("activity_detail", args=[activity.pk])).content.decode()
    assert 'data-testid="record-state"' in page
    assert client.get(close).status_code == 302  # closed: back to the record


@pytest.mark.parametrize(
    "changes",
    [
        {"topic": ""},
        {"attendance": "abc"},
        {"attendance": "0"},  # fewer than the members listed
        {"starts_at": "2020-13-01T10:00"},
        {"attendees": ["999999"]},
        {"photos": [not_an_image()]},
        {"kind": "party"},
    ],
)
def test_bad_activity_forms_change_nothing(tree, venue, changes):
    client = client_for(tree.people[Role.COMMUNITY_STAFF])
    now = timezone.localtime().replace(second=0, microsecond=0)
    data = {
        "kind": "study",
        "topic": "学习",
        "starts_at": (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "attendance": "18",
        "attendees": [tree.people[Role.COMMUNITY_STAFF].pk],
    } | changes
    response = client.post(reverse("activity_create", args=[venue.pk]), data)
    assert response.status_code == 400
    assert not VenueActivity.objects.exists()


def test_a_spot_check_through_the_page_opens_a_rectification_item(tree, venue):
    open_now(venue)
    client = client_for(tree.people[Role.STREET_SUPERVISOR])
    url = reverse("spotcheck_create", args=[venue.pk])
    form = client.get(url)
    moment = re.search(r'name="checked_at" value="([^"]+)"', form.content.decode()).group(1)
    response = client.post(
        url,
        {
            "checked_at": moment,
            "found_open": "0",
            "staff_present": "0",
            "condition": "poor",
            "notes": "铁将军把门",
        },
    )
    check = SpotCheck.objects.get()
    assert response["Location"] == reverse("spotcheck_detail", args=[check.pk])
    item = RectificationItem.objects.get()
    assert (item.source_kind, item.source_id, item.unit) == ("spot_check", check.pk, venue.unit)
    page = client.get(response["Location"]).content.decode()
    assert item.title in page
    link = f'href="{reverse("conduct_rectification_detail", args=[item.pk])}"'
    assert link in page
    # The unit sees the finding about itself, with the link to its item.
    own = client_for(tree.people[Role.BRANCH_SECRETARY])
    response = own.get(reverse("spotcheck_detail", args=[check.pk]))
    assert response.status_code == 200 and link in response.content.decode()
    # A grid's worker sees the community's spot checks but not its items: no dead link.
    grid = client_for(tree.people[Role.GRID_WORKER])
    response = grid.get(reverse("spotcheck_detail", args=[check.pk]))
    assert response.status_code == 200
    assert item.title in response.content.decode() and link not in response.content.decode()
    assert grid.get(reverse("conduct_rectification_detail", args=[item.pk])).status_code == 404


@pytest.mark.parametrize(
    "changes",
    [
        {"checked_at": ""},
        {"checked_at": "2001-01-01T10:00"},
        {"found_open": "maybe"},
        {"staff_present": "-1"},
        {"staff_present": "3"},  # closed with staff present
        {"condition": "awful"},
    ],
)
def test_bad_spot_check_forms_change_nothing(tree, venue, changes):
    client = client_for(tree.people[Role.STREET_SUPERVISOR])
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    data = {"checked_at": now, "found_open": "0", "staff_present": "0", "condition": "fair"}
    response = client.post(reverse("spotcheck_create", args=[venue.pk]), data | changes)
    assert response.status_code == 400
    assert not SpotCheck.objects.exists() and not RectificationItem.objects.exists()


def test_list_pages_cost_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    venues = [make_venue(tree.community_a1, name=f"阵地{n}") for n in range(12)]
    for n, venue in enumerate(venues):
        services.checkin_record(venue=venue, device_id=f"{n:022d}")
        with clock.at(timezone.now()):
            services.activity_log(
                actor=SYSTEM,
                venue=venue,
                kind="study",
                topic=f"学习{n}",
                starts_at=timezone.now() - timedelta(hours=2),
                ends_at=timezone.now() - timedelta(hours=1),
                attendance=3,
            )
    client = client_for(tree.people[Role.STREET_SUPERVISOR])
    for name in ("venue_list", "activity_list", "spotcheck_list"):
        client.get(reverse(name))  # warm the session and calendar caches
        with django_assert_max_num_queries(10):
            assert client.get(reverse(name)).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("venue_detail", args=[venues[0].pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("venue_utilisation")).status_code == 200


def test_utilisation_page_per_level(tree):
    own = make_venue(tree.community_a1)
    make_venue(tree.community_b1, name="泉水村阵地")
    services.checkin_record(venue=own, device_id="a" * 22)
    street = client_for(tree.people[Role.STREET_SUPERVISOR])
    response = street.get(reverse("venue_utilisation"))
    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-testid="row-{own.pk}"' in content
    assert "泉水村阵地" not in content  # another street's venue
    data = json.loads(
        re.search(
            r'<script id="utilisation-data" type="application/json">(.*?)</script>', content, re.S
        ).group(1)
    )
    assert data["venues"]["categories"] == [own.name]
    assert len(data["trend"]["categories"]) == 12
    # Another street's unit, a bad month: shown as the own unit and this month, with a warning.
    odd = street.get(
        reverse("venue_utilisation"), {"unit": tree.community_b1.code, "month": "2025-13"}
    )
    assert odd.status_code == 200 and "泉水村阵地" not in odd.content.decode()
    narrowed = street.get(reverse("venue_utilisation"), {"unit": tree.community_a2.code})
    assert f'data-testid="row-{own.pk}"' not in narrowed.content.decode()
    assert VenueCheckIn.objects.count() == 1
