"""The browser journey of a venue, in Chinese and in English (screenshots under var/artefacts,
named venue-journey-<language>-<step>.png): a resident checks in on a phone, staff log an
activity, a supervisor's spot check finds the venue closed and opens a rectification item, the
unit's staff report it done on a phone, and the supervisor verifies it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.conduct.models import (
    RectificationEventKind,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
)
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role
from jiceng.support import venue_services as services
from jiceng.support.models import SpotCheck, VenueActivity, VenueCheckIn
from tests.browser import DESKTOP, PHONE, open_page
from tests.conduct.conftest import PDF as EVIDENCE_PDF
from tests.support.venue_helpers import ALL_DAY, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["zh-hans", "en"]


def _label(language: str, choice) -> str:
    with translation.override(language):
        return str(choice.label)


@pytest.mark.parametrize("language", LANGUAGES)
def test_venue_journey_check_in_activity_spot_check_rectified_and_verified(
    browser, live_server, tree, artefacts, tmp_path, settings, language
):
    settings.MEDIA_ROOT = tmp_path
    supervisor = tree.people[Role.STREET_SUPERVISOR]
    staff = tree.people[Role.COMMUNITY_STAFF]
    venue = make_venue(tree.community_a1)
    services.venue_hours_set(actor=SYSTEM, venue=venue, weekly=dict.fromkeys(range(7), ALL_DAY))
    today = timezone.localdate()
    for day in (today, today + timedelta(days=1)):  # open even if today is a holiday
        services.venue_exception_set(actor=SYSTEM, venue=venue, day=day, periods=ALL_DAY)

    def shot(page, step: str) -> None:
        page.screenshot(path=artefacts / f"venue-journey-{language}-{step}.png", full_page=True)

    # 1. A resident scans the poster's code on a phone and checks in.
    context, page = open_page(browser, live_server, viewport=PHONE, language=language)
    page.goto(f"{live_server.url}/v/{venue.public_code}/")
    assert (page.locator("html").get_attribute("lang") or "").lower() == language
    page.check('input[name="service"][value="paperwork"]')
    page.check('input[name="rating"][value="5"]')
    shot(page, "checkin")
    with page.expect_navigation():
        page.get_by_test_id("checkin-form").locator("button[type=submit]").click()
    assert page.get_by_test_id("checkin-done").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    checkin = VenueCheckIn.objects.get()
    assert (checkin.service, checkin.rating, checkin.within_hours) == ("paperwork", 5, True)
    context.close()

    # 2. A grid worker logs an activity at the community's venue.
    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.GRID_WORKER],
        language=language,
        prefer_language=True,
    )
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

    # 3. The street supervisor finds the venue closed during its posted hours; the spot check
    #    opens a rectification item for the community and links to it.
    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=supervisor,
        language=language,
        prefer_language=True,
    )
    page.goto(f"{live_server.url}/support/venues/{venue.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("spot-check").click()
    page.check('input[name="found_open"][value="0"]')
    page.fill("#id_staff_present", "0")
    page.select_option("#id_condition", "poor")
    page.fill("#id_notes", "工作日上午大门紧锁，无人值守。")
    with page.expect_navigation():
        page.get_by_test_id("spotcheck-form").locator("button[type=submit]").click()
    shot(page, "spotcheck")
    check = SpotCheck.objects.get()
    item = RectificationItem.objects.get()
    assert (item.source_kind, item.source_id) == ("spot_check", check.pk)
    assert (item.unit, item.status, item.opened_by) == (
        tree.community_a1,
        RectificationStatus.OPEN,
        supervisor,
    )
    check_url = reverse("spotcheck_detail", args=[check.pk])
    detail = reverse("conduct_rectification_detail", args=[item.pk])
    assert page.url == live_server.url + check_url
    assert item.title in page.get_by_test_id("rectification").inner_text()
    assert page.get_by_test_id("rectification-link").get_attribute("href") == detail

    # 4. The street's utilisation page flags the venue and draws its charts.
    page.goto(f"{live_server.url}/support/venues/utilisation/")
    with translation.override(language):
        locked = translation.gettext("locked")
    assert locked in page.get_by_test_id(f"flags-{venue.pk}").inner_text()
    page.wait_for_selector("#trend-chart svg")
    page.wait_for_selector("#venue-chart svg")
    shot(page, "utilisation")
    context.close()

    # 5. The community's staff member finds the item on the unit's list and, on a phone,
    #    reports it done with a note and a photo file.
    context, page = open_page(
        browser, live_server, viewport=PHONE, user=staff, language=language, prefer_language=True
    )
    page.goto(live_server.url + reverse("conduct_rectification_list"))
    row = page.locator(f'tr[data-item="{item.pk}"]')
    assert item.title in row.inner_text()
    assert _label(language, RectificationStatus.OPEN) in row.inner_text()
    assert tree.community_a1.name in row.inner_text()
    shot(page, "list")
    with page.expect_navigation():
        row.locator(f'a[href="{detail}"]').click()
    report = page.locator('form[data-action="report"]')
    report.locator('input[name="report-progress"]').fill("100")
    report.locator('textarea[name="report-note"]').fill("已调整值班表，开放时间内始终有人值守。")
    report.locator('input[name="report-evidence"]').set_input_files(
        files=[{"name": "值班表照片.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}]
    )
    with page.expect_navigation():
        report.locator('button[type="submit"]').click()
    page.locator('[data-event="reported"]').wait_for()
    status = page.get_by_test_id("item-status").inner_text()
    assert _label(language, RectificationStatus.REPORTED) in status
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "reported")
    context.close()
    assert RectificationEvidence.objects.get().original_name == "值班表照片.pdf"

    # 6. The supervisor opens the item from the spot check and verifies it; the timeline
    #    shows it opened, reported and verified.
    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=supervisor,
        language=language,
        prefer_language=True,
    )
    page.goto(live_server.url + check_url)
    with page.expect_navigation():
        page.get_by_test_id("rectification-link").click()
    assert page.url == live_server.url + detail
    verify = page.locator('form[data-action="verify"]')
    verify.locator('textarea[name="verify-note"]').fill("再次暗访，开放时间内有人值守，整改到位。")
    with page.expect_navigation():
        verify.locator('button[type="submit"]').click()
    page.locator('[data-event="verified"]').wait_for()
    status = page.get_by_test_id("item-status").inner_text()
    assert _label(language, RectificationStatus.VERIFIED) in status
    events = page.locator("[data-event]")
    assert [events.nth(i).get_attribute("data-event") for i in range(events.count())] == [
        RectificationEventKind.OPENED,
        RectificationEventKind.REPORTED,
        RectificationEventKind.VERIFIED,
    ]
    opened = page.locator('[data-event="opened"]').inner_text()
    assert _label(language, RectificationEventKind.OPENED) in opened
    assert supervisor.display_name in opened
    reported = page.locator('[data-event="reported"]')
    assert _label(language, RectificationEventKind.REPORTED) in reported.inner_text()
    assert "100%" in reported.inner_text() and staff.display_name in reported.inner_text()
    assert reported.get_by_role("link", name="值班表照片.pdf").is_visible()
    verified = page.locator('[data-event="verified"]').inner_text()
    assert _label(language, RectificationEventKind.VERIFIED) in verified
    assert "再次暗访，开放时间内有人值守，整改到位。" in verified
    shot(page, "verified")

    # 7. The spot check now shows the item verified.
    page.goto(live_server.url + check_url)
    assert _label(language, RectificationStatus.VERIFIED) in (
        page.get_by_test_id("rectification").inner_text()
    )
    context.close()
    item.refresh_from_db()
    assert (item.status, item.progress) == (RectificationStatus.VERIFIED, 100)
    assert item.closed_at is not None
