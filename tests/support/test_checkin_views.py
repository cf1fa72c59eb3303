"""The residents' check-in page at /v/<code>/: no account, the site's device cookie, limits."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jiceng.core.devices import DEVICE_COOKIE
from jiceng.evaluation import survey_services
from jiceng.evaluation.models import StaffDevice
from jiceng.orgs.roles import Role
from jiceng.support import venue_services as services
from jiceng.support.models import VenueCheckIn
from tests.devices import device_of
from tests.factories import PASSWORD
from tests.support.venue_helpers import make_venue

pytestmark = pytest.mark.django_db


def test_the_poster_address_is_short(tree):
    venue = make_venue(tree.community_a1)
    assert reverse("venue_checkin", args=[venue.public_code]) == f"/v/{venue.public_code}/"


def test_a_resident_checks_in_on_a_phone(tree):
    venue = make_venue(tree.community_a1)
    client = Client()
    url = reverse("venue_checkin", args=[venue.public_code])
    page = client.get(url)
    assert page.status_code == 200
    assert venue.name in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert DEVICE_COOKIE in page.cookies
    done = client.post(url, {"service": "consultation", "rating": "4"})
    assert done.status_code == 302 and done["Location"] == f"{url}?done=1"
    checkin = VenueCheckIn.objects.get()
    assert (checkin.venue, checkin.service, checkin.rating) == (venue, "consultation", 4)
    thanks = client.get(done["Location"])
    assert 'data-testid="checkin-done"' in thanks.content.decode()
    again = client.post(url, {})
    assert again.status_code == 429
    assert VenueCheckIn.objects.count() == 1


def test_a_post_without_the_device_cookie_is_not_counted(tree):
    venue = make_venue(tree.community_a1)
    url = reverse("venue_checkin", args=[venue.public_code])
    response = Client().post(url, {"rating": "5"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Please allow cookies for this site" in response.content.decode()
    assert not VenueCheckIn.objects.exists()
    assert DEVICE_COOKIE in response.cookies  # the next try works


def test_a_forged_device_cookie_is_ignored(tree):
    venue = make_venue(tree.community_a1)
    client = Client()
    client.cookies[DEVICE_COOKIE] = "a" * 30  # unsigned
    response = client.post(reverse("venue_checkin", args=[venue.public_code]), {})
    assert response.status_code == 400
    assert not VenueCheckIn.objects.exists()


@pytest.mark.parametrize(
    "data", [{"rating": "9"}, {"rating": "x"}, {"service": "spa"}, {"service": "x" * 5000}]
)
def test_bad_input_changes_nothing(tree, data):
    venue = make_venue(tree.community_a1)
    client = Client()
    url = reverse("venue_checkin", args=[venue.public_code])
    client.get(url)
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()  # said at the field
    assert not VenueCheckIn.objects.exists()


@pytest.mark.parametrize("code", ["nope", "x" * 40, "a%00b"])
def test_unknown_codes_get_a_notice(tree, code):
    make_venue(tree.community_a1)
    response = Client().get(f"/v/{code}/")
    assert response.status_code == 404
    assert 'data-testid="checkin-notice"' in response.content.decode()


def test_the_daily_cap_per_network_address_applies_through_the_page(tree, monkeypatch):
    monkeypatch.setattr(services, "CHECKIN_ADDRESS_PER_DAY", 2)
    venue = make_venue(tree.community_a1)
    url = reverse("venue_checkin", args=[venue.public_code])

    def resident(address):  # a phone of its own: a new device cookie
        client = Client(REMOTE_ADDR=address)
        client.get(url)
        return client.post(url, {"rating": "5"}, HTTP_ACCEPT_LANGUAGE="en")

    assert [resident("10.1.1.1").status_code for _ in range(2)] == [302, 302]
    refused = resident("10.1.1.1")
    assert refused.status_code == 429
    assert 'data-testid="checkin-notice"' in refused.content.decode()
    assert VenueCheckIn.objects.count() == 2
    assert resident("10.1.1.2").status_code == 302  # another network
    assert VenueCheckIn.objects.count() == 3


def test_the_page_is_rate_limited_per_network_address(tree):
    venue = make_venue(tree.community_a1)
    url = reverse("venue_checkin", args=[venue.public_code])
    client = Client(REMOTE_ADDR="10.2.2.2")
    assert {client.get(url).status_code for _ in range(60)} == {200}
    assert client.get(url).status_code == 429
    assert client.post(url, {"rating": "5"}).status_code == 429
    assert not VenueCheckIn.objects.exists()
    assert Client(REMOTE_ADDR="10.2.2.3").get(url).status_code == 200


def test_a_staff_phone_that_checked_in_is_the_device_its_sign_in_records(tree):
    """One device cookie for the site: the open links' staff check knows this phone too."""
    venue = make_venue(tree.community_a1)
    phone = Client()
    phone.get(reverse("venue_checkin", args=[venue.public_code]))
    checkin_cookie = phone.cookies[DEVICE_COOKIE].value
    device = device_of(checkin_cookie)
    secretary = tree.people[Role.BRANCH_SECRETARY]
    signed_in = phone.post(reverse("login"), {"username": secretary.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert DEVICE_COOKIE not in signed_in.cookies  # the phone keeps the id it had
    assert StaffDevice.objects.get(user=secretary).device_hash == survey_services.keyed_hash(
        "device", device
    )


def test_a_staff_phone_is_told_check_ins_are_for_residents(tree):
    venue = make_venue(tree.community_a1)
    phone = Client()
    phone.post(
        reverse("login"),
        {"username": tree.people[Role.COMMUNITY_STAFF].username, "password": PASSWORD},
    )
    phone.post(reverse("logout"))
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # signing in set the staff's language
    url = reverse("venue_checkin", args=[venue.public_code])
    refused = phone.post(url, {"service": "consultation"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert "Check-ins are for residents" in refused.content.decode()
    assert not VenueCheckIn.objects.exists()
