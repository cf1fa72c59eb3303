"""The guarantees journey on the demo data of `make demo` (`seed_demo`), in the browser: a
resident checks in at 柳岸社区's service centre by its QR link on a phone, the grid worker logs an
activity there, the street supervisor's spot check finds it closed during its posted hours and
a rectification item appears, the community's staff report progress and the supervisor verifies
it; the secretary approves the expenditure awaiting approval, and the ledger shows allocations,
expenditures, approvals and a reversal. Screenshots under var/artefacts (demo-journey-*.png).

The bilingual journeys on the test tree are in test_venue_browser.py and test_journey_browser.py.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.conduct.models import RectificationItem, RectificationStatus
from jiceng.core import clock
from jiceng.orgs.models import OrgUnit, User
from jiceng.support import hours
from jiceng.support.models import (
    FundEntry,
    FundKind,
    FundStatus,
    SpotCheck,
    Venue,
    VenueActivity,
    VenueCheckIn,
)
from jiceng.support.venue_selectors import venue_schedule
from tests.browser import DESKTOP, PHONE, open_page
from tests.conduct.conftest import PDF as EVIDENCE_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "zh-hans"


def _label(choice) -> str:
    with translation.override(LANGUAGE):
        return str(choice.label)


def _last_posted_moment(venue: Venue) -> datetime:
    """The latest 10:00 within the last six days (today included, if past) when the venue was
    posted open: a spot check may be recorded up to a week after the visit."""
    schedule = venue_schedule(venue)
    now = clock.now()
    today = timezone.localdate(now)
    for back in range(7):
        moment = datetime.combine(today - timedelta(days=back), time(10), tzinfo=hours.SHANGHAI)
        if moment < now - timedelta(minutes=5) and hours.is_open(schedule, moment):
            return moment
    raise AssertionError("the demo venue posts no weekday hours")


def test_demo_check_in_activity_spot_check_rectified_verified_and_the_ledger(
    browser, live_server, artefacts, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    settings.FUNDS_APPROVAL_THRESHOLD = Decimal("5000.00")
    with translation.override(settings.LANGUAGE_CODE):
        call_command("seed_demo", "--cases", "0", "--no-evaluation", stdout=StringIO())
    people = {user.username: user for user in User.objects.all()}
    grid, street, staff, secretary = (people[n] for n in ("grid", "street", "staff", "secretary"))
    community = OrgUnit.objects.get(name="柳岸社区")
    venue = Venue.objects.get(unit=community, kind="service_centre")
    checkins_before = VenueCheckIn.objects.filter(venue=venue).count()

    def shot(page, step: str) -> None:
        page.screenshot(path=artefacts / f"demo-journey-{step}.png", full_page=True)

    # 1. A resident opens the poster's check-in link on a phone and checks in: no account.
    context, page = open_page(browser, live_server, viewport=PHONE, timeout_ms=20_000)
    page.goto(f"{live_server.url}/v/{venue.public_code}/")
    assert venue.name in page.content()
    page.check('input[name="service"][value="consultation"]')
    page.check('input[name="rating"][value="4"]')
    with page.expect_navigation():
        page.get_by_test_id("checkin-form").locator("button[type=submit]").click()
    assert page.get_by_test_id("checkin-done").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "checkin-phone")
    context.close()
    latest = VenueCheckIn.objects.filter(venue=venue).order_by("-pk").first()
    assert VenueCheckIn.objects.filter(venue=venue).count() == checkins_before + 1
    assert latest is not None
    assert (latest.service, latest.rating) == ("consultation", 4)

    # 2. The grid worker logs a residents' consultation held at the centre this morning.
    context, page = open_page(browser, live_server, viewport=DESKTOP, user=grid, timeout_ms=20_000)
    page.goto(live_server.url + reverse("venue_detail", args=[venue.pk]))
    with page.expect_navigation():
        page.get_by_test_id("log-activity").click()
    now = timezone.localtime().replace(second=0, microsecond=0)
    page.select_option("#id_kind", "consultation")
    page.fill("#id_topic", "居民议事会：楼道堆物清理")
    page.fill("#id_starts_at", (now - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_attendance", "21")
    page.fill("#id_minutes", "居民代表逐一发言，商定本周六集中清理。")
    with page.expect_navigation():
        page.get_by_test_id("activity-form").locator("button[type=submit]").click()
    activity = VenueActivity.objects.get(topic="居民议事会：楼道堆物清理")
    assert (activity.venue, activity.logged_by, activity.attendance) == (venue, grid, 21)
    context.close()

    # 3. The street supervisor records the unannounced visit of the last posted morning: closed.
    moment = _last_posted_moment(venue)
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=street, timeout_ms=20_000
    )
    page.goto(live_server.url + reverse("venue_detail", args=[venue.pk]))
    with page.expect_navigation():
        page.get_by_test_id("spot-check").click()
    page.fill("#id_checked_at", moment.strftime("%Y-%m-%dT%H:%M"))
    page.check('input[name="found_open"][value="0"]')
    page.fill("#id_staff_present", "0")
    page.select_option("#id_condition", "poor")
    page.fill("#id_notes", "开放时间内大门紧锁，值班电话无人接听。")
    with page.expect_navigation():
        page.get_by_test_id("spotcheck-form").locator("button[type=submit]").click()
    check = SpotCheck.objects.get(venue=venue, checked_at=moment)
    item = RectificationItem.objects.get(source_kind="spot_check", source_id=check.pk)
    assert (item.unit, item.status) == (community, RectificationStatus.OPEN)
    check_url = reverse("spotcheck_detail", args=[check.pk])
    detail = reverse("conduct_rectification_detail", args=[item.pk])
    assert page.url == live_server.url + check_url
    assert page.get_by_test_id("rectification-link").get_attribute("href") == detail
    shot(page, "spotcheck")
    context.close()

    # 4. The community's staff member opens the item from the spot check on a phone and
    #    reports it done with evidence.
    context, page = open_page(browser, live_server, viewport=PHONE, user=staff, timeout_ms=20_000)
    page.goto(live_server.url + check_url)
    with page.expect_navigation():
        page.get_by_test_id("rectification-link").click()
    report = page.locator('form[data-action="report"]')
    report.locator('input[name="report-progress"]').fill("100")
    report.locator('textarea[name="report-note"]').fill("已重排值班表并公示值班电话。")
    report.locator('input[name="report-evidence"]').set_input_files(
        files=[{"name": "值班表.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}]
    )
    with page.expect_navigation():
        report.locator('button[type="submit"]').click()
    page.locator('[data-event="reported"]').wait_for()
    assert _label(RectificationStatus.REPORTED) in page.get_by_test_id("item-status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()

    # 5. The supervisor verifies it.
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=street, timeout_ms=20_000
    )
    page.goto(live_server.url + detail)
    verify = page.locator('form[data-action="verify"]')
    verify.locator('textarea[name="verify-note"]').fill("复查时有人值守，整改到位。")
    with page.expect_navigation():
        verify.locator('button[type="submit"]').click()
    page.locator('[data-event="verified"]').wait_for()
    assert _label(RectificationStatus.VERIFIED) in page.get_by_test_id("item-status").inner_text()
    shot(page, "verified")
    context.close()
    item.refresh_from_db()
    assert (item.status, item.progress) == (RectificationStatus.VERIFIED, 100)

    # 6. The secretary approves the expenditure awaiting approval; the ledger then shows
    #    allocations, expenditures, approvals and the demo's reversal, and adds up.
    pending = (
        FundEntry.objects.filter(unit=community, status=FundStatus.PENDING).order_by("pk").first()
    )
    assert pending is not None
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=secretary, timeout_ms=20_000
    )
    page.goto(live_server.url + reverse("fund_approvals"))
    with page.expect_navigation():
        page.locator(f'a[href="{reverse("fund_entry_detail", args=[pending.pk])}"]').click()
    page.locator('input[name="decision"][value="approve"]').check()
    page.locator("#id_note").fill("经支委会研究，同意。")
    with page.expect_navigation():
        page.get_by_test_id("decide").click()
    assert page.get_by_test_id("status").inner_text() == _label(FundStatus.APPROVED)
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == (FundStatus.APPROVED, secretary)

    page.goto(
        f"{live_server.url}{reverse('fund_ledger')}?unit={community.code}&year={pending.year}"
    )
    table = page.get_by_test_id("ledger").inner_text()
    for kind in (FundKind.ALLOCATION, FundKind.EXPENSE):
        assert _label(kind) in table
    reversal = (
        FundEntry.objects.filter(unit=community, year=pending.year, reverses__isnull=False)
        .order_by("pk")
        .first()
    )
    assert reversal is not None and reversal.reason
    assert _label(FundKind(reversal.kind)) in table
    assert _label(FundStatus.APPROVED) in table and _label(FundStatus.REJECTED) in table
    decided = FundEntry.objects.filter(
        unit=community, year=pending.year, kind=FundKind.EXPENSE, decided_by__isnull=False
    )
    assert decided.filter(status=FundStatus.APPROVED).count() >= 2  # the demo's and ours

    def yuan(testid: str) -> Decimal:
        text = page.get_by_test_id(testid).inner_text()
        return Decimal("".join(c for c in text if c.isdigit() or c in ".-−").replace("−", "-"))

    entries = FundEntry.objects.filter(unit=community, year=pending.year)
    counted = entries.exclude(status__in=[FundStatus.PENDING, FundStatus.REJECTED])
    expected = sum(
        (
            entry.amount
            if entry.kind in (FundKind.ALLOCATION, FundKind.EXPENSE_REVERSAL)
            else -entry.amount
            for entry in counted
        ),
        Decimal(0),
    )
    assert yuan("balance") == expected
    shot(page, "ledger")
    context.close()
