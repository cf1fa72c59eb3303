"""Browser journeys of a venue: a resident checks in on a phone, staff log an activity, a
supervisor's spot check finds it closed (screenshots under var/artefacts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from jiceng.conduct.models import RectificationItem
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role
from jiceng.support import venue_services as services
from jiceng.support.models import SpotCheck, VenueActivity, VenueCheckIn
from tests.support.venue_helpers import ALL_DAY, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _page(browser, live_server, viewport, user=None, language="zh-hans"):
    context = browser.new_context(viewport=viewport)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies.append(
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        )
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def test_check_in_activity_and_spot_check(browser, live_server, tree, artefacts):
    venue = make_venue(tree.community_a1)
    services.venue_hours_set(actor=SYSTEM, venue=venue, weekly=dict.fromkeys(range(7), ALL_DAY))
    today = timezone.localdate()
    for day in (today, today + timedelta(days=1)):  # open even if today is a holiday
        services.venue_exception_set(actor=SYSTEM, venue=venue, day=day, periods=ALL_DAY)

    # 1. A resident scans the poster's code on a phone and checks in.
    context, page = _page(browser, live_server, PHONE)
    page.goto(f"{live_server.url}/v/{venue.public_code}/")
    page.check('input[name="service"][value="paperwork"]')
    page.check('input[name="rating"][value="5"]')
    page.screenshot(path=artefacts / "venue-checkin.png", full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("checkin-form").locator("button[type=submit]").click()
    assert page.get_by_test_id("checkin-done").is_visible()
    checkin = VenueCheckIn.objects.get()
    assert (checkin.service, checkin.rating, checkin.within_hours) == ("paperwork", 5, True)
    context.close()

    # 2. A grid worker logs an activity at the community's venue.
    context, page = _page(browser, live_server, DESKTOP, tree.people[Role.GRID_WORKER])
    page.goto(f"{live_server.url}/support/venues/{venue.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("log-activity").click()
    now = timezone.localtime().replace(second=0, microsecond=0)
    page.select_option("#id_kind", "study")
    page.fill("#id_topic", "学习身边的榜样")
    page.fill("#id_starts_at", (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_attendance", "16")
    page.fill("#id_minutes", "学习了身边榜样的事迹，大家交流了体会。")
    with page.expect_navigation():
        page.get_by_test_id("activity-form").locator("button[type=submit]").click()
    assert VenueActivity.objects.get().topic == "学习身边的榜样"
    context.close()

    # 3. The street supervisor finds the venue closed during its posted hours.
    context, page = _page(browser, live_server, DESKTOP, tree.people[Role.STREET_SUPERVISOR])
    page.goto(f"{live_server.url}/support/venues/{venue.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("spot-check").click()
    page.check('input[name="found_open"][value="0"]')
    page.fill("#id_staff_present", "0")
    page.select_option("#id_condition", "poor")
    page.fill("#id_notes", "工作日上午大门紧锁，无人值守。")
    with page.expect_navigation():
        page.get_by_test_id("spotcheck-form").locator("button[type=submit]").click()
    page.screenshot(path=artefacts / "venue-spotcheck.png", full_page=True)
    check = SpotCheck.objects.get()
    item = RectificationItem.objects.get()
    assert (item.source_kind, item.source_id) == ("spot_check", check.pk)
    assert item.title in page.get_by_test_id("rectification").inner_text()

    # 4. The street's utilisation page flags the venue and draws its charts.
    page.goto(f"{live_server.url}/support/venues/utilisation/")
    assert "locked" in page.get_by_test_id(f"flags-{venue.pk}").inner_text().lower() or (
        "铁将军把门" in page.get_by_test_id(f"flags-{venue.pk}").inner_text()
    )
    page.wait_for_selector("#trend-chart svg")
    page.wait_for_selector("#venue-chart svg")
    page.screenshot(path=artefacts / "venue-utilisation.png", full_page=True)
    context.close()
