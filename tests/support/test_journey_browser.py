"""Browser journeys of the guarantees, in Chinese and in English (screenshots under
var/artefacts):

(a) funds: community staff book an allocation and an expenditure above the approval threshold
    with a voucher, the secretary approves it, a mistaken expenditure is reversed with a reason,
    and the ledger shows it all with the right balance;
(b) rectification: the street supervisor records a visit to 柳岸社区 with a finding, the
    community's staff report it done with an evidence file on a phone, the supervisor verifies
    it, and the item's timeline shows every step.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.conduct.models import (
    RectificationEventKind,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
)
from jiceng.orgs.roles import Role
from jiceng.support.models import FundEntry, FundKind, FundStatus, FundVoucher
from tests.browser import DESKTOP, PHONE, open_page
from tests.conduct.conftest import PDF as EVIDENCE_PDF
from tests.support.funds_helpers import PDF as VOUCHER_PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["zh-hans", "en"]


def _yuan(text: str) -> Decimal:
    """A figure as shown (with the language's grouping) as a Decimal."""
    return Decimal("".join(char for char in text if char.isdigit() or char == "."))


def _label(language: str, choice) -> str:
    with translation.override(language):
        return str(choice.label)


def _save(page, testid: str = "save") -> None:
    with page.expect_navigation():
        page.get_by_test_id(testid).click()


@pytest.mark.parametrize("language", LANGUAGES)
def test_funds_allocation_approval_and_reversal_in_the_ledger(
    browser, live_server, tree, artefacts, tmp_path, settings, language
):
    settings.MEDIA_ROOT = tmp_path
    settings.FUNDS_APPROVAL_THRESHOLD = "5000.00"
    today = timezone.localdate().isoformat()
    ledger_url = live_server.url + reverse("fund_ledger")
    staff = tree.people[Role.COMMUNITY_STAFF]
    secretary = tree.people[Role.BRANCH_SECRETARY]

    # 1. Community staff book the year's allocation and two expenditures.
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=staff, language=language, prefer_language=True
    )
    page.goto(ledger_url)
    assert (page.locator("html").get_attribute("lang") or "").lower() == language
    with page.expect_navigation():
        page.get_by_test_id("new-allocation").click()
    page.locator("#id_source").select_option("district_budget")
    page.locator("#id_amount").fill("80000")
    page.locator("#id_entry_date").fill(today)
    page.locator("#id_note").fill("区级村社区服务群众专项经费")
    _save(page)
    assert _yuan(page.get_by_test_id("allocated").inner_text()) == Decimal("80000.00")

    with page.expect_navigation():
        page.get_by_test_id("new-expense").click()
    page.locator("#id_category").select_option("equipment")
    page.locator("#id_amount").fill("6800")
    page.locator("#id_payee").fill("青禾数码城")
    page.locator("#id_spent_on").fill(today)
    page.locator("#id_purpose").fill("党员活动室投影仪及电动幕布")
    voucher = tmp_path / "投影仪发票.pdf"
    voucher.write_bytes(VOUCHER_PDF)
    page.locator("#id_vouchers").set_input_files(str(voucher))
    _save(page)
    assert page.get_by_test_id("status").inner_text() == _label(language, FundStatus.PENDING)
    assert page.get_by_role("link", name="投影仪发票.pdf").is_visible()
    large = FundEntry.objects.get(amount=Decimal("6800"))

    page.goto(ledger_url)
    with page.expect_navigation():
        page.get_by_test_id("new-expense").click()
    page.locator("#id_category").select_option("office")
    page.locator("#id_amount").fill("350")
    page.locator("#id_payee").fill("文汇办公用品商行")
    page.locator("#id_spent_on").fill(today)
    page.locator("#id_purpose").fill("打印耗材（与上周发票重复录入）")
    _save(page)
    assert page.get_by_test_id("status").inner_text() == _label(language, FundStatus.APPROVED)
    mistaken = FundEntry.objects.get(amount=Decimal("350"))
    page.goto(ledger_url)
    assert _yuan(page.get_by_test_id("pending").inner_text()) == Decimal("6800.00")
    assert _yuan(page.get_by_test_id("spent").inner_text()) == Decimal("350.00")
    page.screenshot(path=artefacts / f"journey-funds-booked-{language}.png", full_page=True)
    context.close()

    # 2. The secretary finds it among those awaiting approval, with its voucher, and approves.
    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=secretary,
        language=language,
        prefer_language=True,
    )
    page.goto(live_server.url + reverse("fund_approvals"))
    detail = reverse("fund_entry_detail", args=[large.pk])
    with page.expect_navigation():
        page.locator(f'a[href="{detail}"]').click()
    assert page.get_by_role("link", name="投影仪发票.pdf").is_visible()
    page.locator('input[name="decision"][value="approve"]').check()
    page.locator("#id_note").fill("经支委会研究，同意购置。")
    _save(page, "decide")
    assert page.get_by_test_id("status").inner_text() == _label(language, FundStatus.APPROVED)
    assert page.get_by_text("经支委会研究，同意购置。").is_visible()
    assert secretary.display_name in page.locator("dl").inner_text()
    context.close()

    # 3. Staff reverse the mistaken expenditure with a reason.
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=staff, language=language, prefer_language=True
    )
    page.goto(live_server.url + reverse("fund_entry_detail", args=[mistaken.pk]))
    with page.expect_navigation():
        page.get_by_test_id("reverse").click()
    page.locator("#id_reason").fill("与上周入账的同一张发票重复录入，予以冲销。")
    _save(page, "confirm-reverse")
    reversal = FundEntry.objects.get(reverses=mistaken)
    assert page.get_by_text("与上周入账的同一张发票重复录入，予以冲销。").first.is_visible()

    # 4. The ledger lists the allocation, both expenditures and the reversal, and adds up.
    page.goto(ledger_url)
    figures = {
        name: _yuan(page.get_by_test_id(name).inner_text())
        for name in ("allocated", "spent", "pending", "balance")
    }
    assert figures == {
        "allocated": Decimal("80000.00"),
        "spent": Decimal("6800.00"),
        "pending": Decimal("0.00"),
        "balance": Decimal("73200.00"),
    }
    assert page.get_by_test_id("rate").inner_text() == "8.50%"
    table = page.get_by_test_id("ledger")
    allocation = FundEntry.objects.get(kind=FundKind.ALLOCATION)
    expected = {
        allocation.pk: (FundKind.ALLOCATION, FundStatus.APPROVED, "\t80000.00"),
        # Signed by their effect on the balance: a reversal gives the money back.
        large.pk: (FundKind.EXPENSE, FundStatus.APPROVED, "−6800.00"),
        mistaken.pk: (FundKind.EXPENSE, FundStatus.APPROVED, "−350.00"),
        reversal.pk: (FundKind.EXPENSE_REVERSAL, FundStatus.APPROVED, "\t350.00"),
    }
    assert table.locator("tbody tr").count() == len(expected)
    for pk, (kind, status, amount) in expected.items():
        link = f'a[href="{reverse("fund_entry_detail", args=[pk])}"]'
        row = table.locator("tbody tr", has=page.locator(link)).inner_text()
        assert _label(language, kind) in row, row
        assert _label(language, status) in row, row
        assert amount in "".join(char for char in row if char not in ",\u00a0\u202f"), row
    page.screenshot(path=artefacts / f"journey-funds-ledger-{language}.png", full_page=True)
    context.close()

    large.refresh_from_db()
    assert (large.status, large.decided_by) == (FundStatus.APPROVED, secretary)
    assert FundVoucher.objects.get().entry == large
    assert reversal.reason.startswith("与上周入账") and reversal.recorded_by == staff


@pytest.mark.parametrize("language", LANGUAGES)
def test_rectification_visit_report_on_a_phone_and_verify(
    browser, live_server, tree, artefacts, tmp_path, settings, language
):
    settings.MEDIA_ROOT = tmp_path
    supervisor = tree.people[Role.STREET_SUPERVISOR]
    staff = tree.people[Role.COMMUNITY_STAFF]
    title = "党群服务中心门口未公示开放时间"

    # 1. The street supervisor records the visit to 柳岸社区 with one finding.
    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=supervisor,
        language=language,
        prefer_language=True,
    )
    page.goto(live_server.url + reverse("conduct_visit_new"))
    page.locator('select[name="unit"]').select_option(tree.community_a1.code)
    with page.expect_navigation():
        page.get_by_test_id("choose-unit").click()
    assert "柳岸社区" in page.locator("h1").inner_text()
    page.locator('input[name="people_met"]').fill("王书记、李晓雯（社区专职工作者）")
    page.locator('textarea[name="checked"]').fill("党群服务中心开放时间、值班表、诉求办理台账。")
    page.locator('input[name="finding-0-title"]').fill(title)
    page.locator('textarea[name="finding-0-note"]').fill("大门只贴了“办事请到二楼”，没有开放时间。")
    page.locator('select[name="finding-0-owner"]').select_option(str(staff.pk))
    page.locator('input[name="finding-0-deadline_days"]').fill("5")
    with page.expect_navigation():
        page.get_by_test_id("save-visit").click()
    page.get_by_text(title).first.wait_for()
    page.screenshot(path=artefacts / f"journey-visit-recorded-{language}.png", full_page=True)
    context.close()
    item = RectificationItem.objects.get()
    assert (item.unit, item.owner, item.status) == (
        tree.community_a1,
        staff,
        RectificationStatus.OPEN,
    )
    detail = reverse("conduct_rectification_detail", args=[item.pk])

    # 2. The community's staff member reports it done, with a photo file, on a phone.
    context, page = open_page(
        browser, live_server, viewport=PHONE, user=staff, language=language, prefer_language=True
    )
    page.goto(live_server.url + reverse("conduct_rectification_list"))
    with page.expect_navigation():
        page.locator(f'a[href="{detail}"]').first.click()
    report = page.locator('form[data-action="report"]')
    report.locator('input[name="report-progress"]').fill("100")
    report.locator('textarea[name="report-note"]').fill("已在大门和大厅张贴开放时间和值班电话。")
    report.locator('input[name="report-evidence"]').set_input_files(
        files=[{"name": "公示牌照片.pdf", "mimeType": "application/pdf", "buffer": EVIDENCE_PDF}]
    )
    with page.expect_navigation():
        report.locator('button[type="submit"]').click()
    page.locator('[data-event="reported"]').wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=artefacts / f"journey-item-reported-phone-{language}.png", full_page=True)
    context.close()
    assert RectificationEvidence.objects.get().original_name == "公示牌照片.pdf"

    # 3. The supervisor verifies it; the timeline shows every step with its evidence.
    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=supervisor,
        language=language,
        prefer_language=True,
    )
    page.goto(live_server.url + detail)
    verify = page.locator('form[data-action="verify"]')
    verify.locator('textarea[name="verify-note"]').fill("现场复核，已整改到位。")
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
    assert reported.get_by_role("link", name="公示牌照片.pdf").is_visible()
    verified = page.locator('[data-event="verified"]').inner_text()
    assert "现场复核，已整改到位。" in verified
    page.screenshot(path=artefacts / f"journey-item-verified-{language}.png", full_page=True)
    context.close()
    item.refresh_from_db()
    assert (item.status, item.progress) == (RectificationStatus.VERIFIED, 100)
    assert item.closed_at is not None
