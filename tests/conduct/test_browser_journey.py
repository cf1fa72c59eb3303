"""Browser journey: a supervisor records a visit with a finding, the community reports it done
on a phone with evidence, the supervisor returns it once and then verifies it (screenshots under
var/artefacts)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.conduct.models import RectificationEvidence, RectificationItem, RectificationStatus
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.conduct.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visit_report_return_and_verify_in_the_browser(browser, live_server, tree, artefacts):
    owner = tree.people[Role.COMMUNITY_STAFF]
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.STREET_SUPERVISOR]
    )
    page.goto(live_server.url + reverse("conduct_visit_new"))
    page.locator('select[name="unit"]').select_option(tree.community_a1.code)
    page.locator('[data-testid="choose-unit"]').click()
    page.locator('input[name="people_met"]').fill("王书记、李网格员")
    page.locator('textarea[name="checked"]').fill("党群服务中心开放时间、值班表、活动台账")
    page.locator('input[name="finding-0-title"]').fill("开放时间未在门口公示")
    page.locator('textarea[name="finding-0-note"]').fill("服务中心门口没有开放时间公示牌。")
    page.locator('select[name="finding-0-owner"]').select_option(str(owner.pk))
    page.locator('input[name="finding-0-weight"]').fill("2")
    page.screenshot(path=str(artefacts / "conduct-visit-form.png"), full_page=True)
    page.locator('[data-testid="save-visit"]').click()
    page.get_by_text("开放时间未在门口公示").wait_for()
    context.close()
    item = RectificationItem.objects.get()
    assert (item.owner, item.weight, item.status) == (owner, 2, RectificationStatus.OPEN)
    detail = reverse("conduct_rectification_detail", args=[item.pk])

    context, page = open_page(browser, live_server, viewport=PHONE, user=owner)
    page.goto(live_server.url + reverse("conduct_rectification_list"))
    page.locator(f'a[href="{detail}"]').click()
    page.wait_for_url(f"**{detail}")
    page.locator('input[name="report-progress"]').fill("100")
    page.locator('textarea[name="report-note"]').fill("已制作并张贴开放时间公示牌。")
    page.locator('input[name="report-evidence"]').set_input_files(
        files=[{"name": "公示牌照片.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.locator('[data-action="report"] button[type="submit"]').click()
    page.locator('[data-event="reported"]').wait_for()
    page.screenshot(path=str(artefacts / "conduct-item-reported-phone.png"), full_page=True)
    context.close()
    assert RectificationEvidence.objects.get().original_name == "公示牌照片.pdf"

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.STREET_SUPERVISOR]
    )
    page.goto(live_server.url + detail)
    page.locator('textarea[name="return-reason"]').fill("公示牌缺少节假日安排。")
    page.locator('[data-action="return"] button[type="submit"]').click()
    page.locator('[data-event="returned"]').wait_for()
    context.close()
    item.refresh_from_db()
    assert (item.status, item.progress) == (RectificationStatus.RETURNED, 100)

    context, page = open_page(browser, live_server, viewport=PHONE, user=owner)
    page.goto(live_server.url + detail)
    page.locator('textarea[name="report-note"]').fill("已补充节假日安排。")
    page.locator('[data-action="report"] button[type="submit"]').click()
    page.locator('[data-event="reported"]').nth(1).wait_for()
    context.close()

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.STREET_SUPERVISOR]
    )
    page.goto(live_server.url + detail)
    page.locator('[data-action="verify"] button[type="submit"]').click()
    page.locator('[data-event="verified"]').wait_for()
    page.screenshot(path=str(artefacts / "conduct-item-verified.png"), full_page=True)
    page.goto(live_server.url + reverse("conduct_rollup"))
    row = page.locator(f'tr[data-unit="{tree.community_a1.code}"]')
    assert "100.0%" in row.inner_text()
    page.screenshot(path=str(artefacts / "conduct-rollup.png"), full_page=True)
    context.close()
    item.refresh_from_db()
    assert item.status == RectificationStatus.VERIFIED
