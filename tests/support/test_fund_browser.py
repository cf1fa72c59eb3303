"""Browser journey: community staff book an allocation and two expenditures (one with a
voucher, above the approval threshold), the secretary approves it, a mistaken entry is reversed,
and the ledger shows the figures."""

from __future__ import annotations

import pytest
from django.utils import timezone

from jiceng.orgs.roles import Role
from jiceng.support.models import FundEntry, FundStatus
from tests.browser import DESKTOP, PHONE, open_page
from tests.support.funds_helpers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ledger_allocation_expense_approval_and_reversal(
    browser, live_server, tree, artefacts, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    settings.FUNDS_APPROVAL_THRESHOLD = "5000.00"
    today = timezone.localdate().isoformat()
    ledger_url = f"{live_server.url}/support/funds/"

    # 1. Community staff book the year's allocation and two expenditures, on a phone.
    context, page = open_page(
        browser, live_server, viewport=PHONE, user=tree.people[Role.COMMUNITY_STAFF], language="en"
    )
    page.goto(ledger_url)
    with page.expect_navigation():
        page.get_by_test_id("new-allocation").click()
    page.get_by_label("Source").select_option("district_budget")
    page.get_by_label("Amount (yuan)").fill("50000")
    page.get_by_label("Date received").fill(today)
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    assert page.get_by_test_id("allocated").inner_text() == "50,000.00"

    with page.expect_navigation():
        page.get_by_test_id("new-expense").click()
    page.get_by_label("Category").select_option("equipment")
    page.get_by_label("Amount (yuan)").fill("6800")
    page.get_by_label("Payee").fill("东湖电器城")
    page.get_by_label("Date paid").fill(today)
    page.get_by_label("Purpose").fill("活动室空调一台")
    voucher = tmp_path / "空调发票.pdf"
    voucher.write_bytes(PDF)
    page.get_by_label("Vouchers").set_input_files(str(voucher))
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    assert page.get_by_test_id("status").inner_text() == "Awaiting approval"
    assert page.get_by_role("link", name="空调发票.pdf").is_visible()
    assert page.get_by_text("another approver must decide it").is_visible()

    page.goto(ledger_url)
    with page.expect_navigation():
        page.get_by_test_id("new-expense").click()
    page.get_by_label("Category").select_option("activities")
    page.get_by_label("Amount (yuan)").fill("120.50")
    page.get_by_label("Payee").fill("柳岸文印店")
    page.get_by_label("Date paid").fill(today)
    page.get_by_label("Purpose").fill("资料印制（重复录入）")
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    assert page.get_by_test_id("status").inner_text() == "Posted"
    page.goto(ledger_url)
    assert page.get_by_test_id("spent").inner_text() == "120.50"
    assert page.get_by_test_id("pending").inner_text() == "6,800.00"
    page.screenshot(path=artefacts / "fund-ledger-phone.png", full_page=True)

    # 2. The secretary approves the large expenditure.
    secretary_context, secretary = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.BRANCH_SECRETARY],
        language="en",
    )
    secretary.goto(f"{ledger_url}approvals/")
    with secretary.expect_navigation():
        secretary.get_by_role("link", name=today).click()
    secretary.get_by_label("Approve").check()
    secretary.get_by_label("Note (required when rejecting)").fill("同意购置")
    with secretary.expect_navigation():
        secretary.get_by_test_id("decide").click()
    assert secretary.get_by_test_id("status").inner_text() == "Posted"
    secretary_context.close()

    # 3. The duplicate is reversed with a reason; the ledger adds up.
    duplicate = FundEntry.objects.get(amount="120.50")
    page.goto(f"{ledger_url}entries/{duplicate.pk}/")
    with page.expect_navigation():
        page.get_by_test_id("reverse").click()
    page.get_by_label("Reason for the reversal").fill("重复录入")
    with page.expect_navigation():
        page.get_by_test_id("confirm-reverse").click()
    assert page.get_by_text("The entry is reversed.").is_visible()
    page.goto(ledger_url)
    assert page.get_by_test_id("allocated").inner_text() == "50,000.00"
    assert page.get_by_test_id("spent").inner_text() == "6,800.00"
    assert page.get_by_test_id("pending").inner_text() == "0.00"
    assert page.get_by_test_id("balance").inner_text() == "43,200.00"
    assert page.get_by_test_id("rate").inner_text() == "13.60%"
    page.screenshot(path=artefacts / "fund-ledger-after-reversal.png", full_page=True)
    context.close()
    assert FundEntry.objects.get(amount="6800").status == FundStatus.APPROVED
    assert FundEntry.objects.filter(reverses=duplicate).count() == 1
