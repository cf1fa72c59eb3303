"""Browser journeys of a request, in Chinese and in English (screenshots under var/artefacts)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from jiceng.cases import services
from jiceng.cases.models import Case, Category, EventKind, Status
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.factories import actor_for, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "zh-hans": {"accept": "受理", "dispatch": "派单", "resolve": "办结", "send": "提交意见"},
    "en": {
        "accept": "Accept",
        "dispatch": "Dispatch",
        "resolve": "Resolve",
        "send": "Send my answer",
    },
}


def _act(page, action: str, label: str, fill: dict[str, str] | None = None, select=None):
    form = page.locator(f'form[data-action="{action}"]')
    for name, value in (fill or {}).items():
        form.locator(f'[name="{action}-{name}"]').fill(value)
    if select is not None:
        form.locator(f'[name="{action}-to_unit"]').select_option(label=select)
    with page.expect_navigation():
        form.get_by_role("button", name=label, exact=True).click()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_request_from_phone_to_closing(browser, live_server, tree, artefacts, language):
    words = TEXT[language]
    # 1. A resident on a phone brings a request.
    context, page = open_page(browser, live_server, viewport=PHONE, language=language)
    page.goto(f"{live_server.url}/report/")
    with translation.override(language):
        lift = Category.objects.get(code="lift").display_name
    page.select_option("#id_category", label=lift)
    page.select_option("#id_area", label="柳岸社区")
    page.fill("#id_title", "3号楼电梯停运")
    page.fill("#id_description", "3号楼电梯从周五起停运，楼里老人上下楼很困难。")
    page.fill("#id_reporter_phone", "13912345678")
    page.screenshot(path=artefacts / f"case-report-{language}.png", full_page=True)
    with page.expect_navigation():
        page.get_by_test_id("report-form").locator("button[type=submit]").click()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    page.screenshot(path=artefacts / f"case-received-{language}.png", full_page=True)
    case = Case.objects.get(tracking_code=code)
    assert case.current_unit == tree.community_a1

    # 2. The branch secretary accepts and dispatches to the grid.
    staff_context, staff = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.BRANCH_SECRETARY],
        language=language,
        prefer_language=True,
    )
    staff.goto(f"{live_server.url}/staff/cases/")
    staff.get_by_role("link", name="3号楼电梯停运").click()
    _act(staff, "accept", words["accept"])
    _act(staff, "dispatch", words["dispatch"], select="柳岸第一网格")
    assert staff.get_by_test_id("case-unit").inner_text() == "柳岸第一网格"
    staff_context.close()

    # 3. The grid worker resolves it with a reply, starting from nothing but their words.
    worker_context, worker = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.GRID_WORKER],
        language=language,
        prefer_language=True,
    )
    worker.goto(f"{live_server.url}/staff/cases/{case.pk}/")
    _act(
        worker,
        "resolve",
        words["resolve"],
        fill={"body": "物业已更换控制板，电梯于今天下午恢复运行。"},
    )
    worker.screenshot(path=artefacts / f"case-detail-resolved-{language}.png", full_page=True)
    worker_context.close()

    # 4. The resident reads the answer with the tracking code and confirms it.
    page.goto(f"{live_server.url}/track/{code}/")
    assert "电梯于今天下午恢复运行" in page.content()
    page.get_by_test_id("feedback-form").locator('input[name="solved"][value="yes"]').check()
    page.get_by_test_id("feedback-form").locator('input[name="satisfaction"][value="5"]').check()
    with page.expect_navigation():
        page.get_by_role("button", name=words["send"]).click()
    page.screenshot(path=artefacts / f"case-closed-{language}.png", full_page=True)
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    timeline = page.locator("ol.timeline").inner_text()
    for kind in ("submitted", "accepted", "dispatched", "resolved", "feedback"):
        with translation.override(language):
            assert str(EventKind(kind).label) in timeline
    context.close()


def test_an_overdue_request_escalates_and_a_second_transfer_waits(
    browser, live_server, tree, artefacts
):
    secretary = actor_for(tree.people[Role.BRANCH_SECRETARY])
    other_user = make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="sec-gx")
    other = actor_for(other_user)
    old = clock.now() - timedelta(days=20)
    with clock.at(old):
        late = services.case_submit(
            actor=secretary,
            category=Category.objects.get(code="rubbish"),
            area=tree.community_a1,
            title="垃圾站一直没人清运",
            description="垃圾站满了两周了。",
            channel="phone",
            submitted_at=old,
        )
    assert services.escalate_overdue(actor=SYSTEM) == 2  # respond and resolve deadlines
    moved = services.case_submit(
        actor=secretary,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="楼道里有人堆放杂物",
        description="2号楼楼道里堆了很多纸箱。",
        channel="walk_in",
    )
    services.case_accept(case=moved, actor=secretary)
    services.case_transfer(case=moved, actor=secretary, to_unit=tree.community_a2, note="属桂香")
    services.case_transfer(case=moved, actor=other, to_unit=tree.community_a1, note="属柳岸")

    context, page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=tree.people[Role.STREET_SUPERVISOR],
        prefer_language=True,
    )
    page.goto(f"{live_server.url}/staff/notifications/")
    assert "未被柳岸社区按时受理" in page.content()
    page.goto(f"{live_server.url}/staff/cases/{late.pk}/")
    assert page.locator("ol.timeline").get_by_text("督办").count() == 2
    page.goto(f"{live_server.url}/staff/cases/{moved.pk}/")
    assert page.get_by_test_id("case-status").inner_text().startswith("转办待审批")
    form = page.locator('form[data-action="decide_transfer"]')
    form.locator('input[name="decide_transfer-approve"][value="1"]').check()
    with page.expect_navigation():
        form.get_by_role("button", name="提交审批意见").click()
    page.screenshot(path=artefacts / "case-transfer-approved-zh.png", full_page=True)
    moved.refresh_from_db()
    assert moved.status == Status.DISPATCHED and moved.current_unit == tree.community_a1
    timeline = page.locator("ol.timeline").inner_text()
    assert "申请转办" in timeline and "转办获批" in timeline
    context.close()
