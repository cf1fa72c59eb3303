"""Browser journey: two roles sign in, in Chinese and in English, on a phone and a desktop."""

from __future__ import annotations

import pytest

from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/staff/")


def test_grid_worker_on_a_phone_in_chinese(browser, live_server, tree, artefacts):
    context, page = open_page(
        browser, live_server, viewport=PHONE, language="zh-hans", locale="zh-hans"
    )
    page.goto(live_server.url)
    assert page.locator("h1").inner_text().startswith("社区为您服务")
    page.screenshot(path=artefacts / "landing-zh-phone.png", full_page=True)
    _sign_in(page, live_server, tree.people[Role.GRID_WORKER].username)
    assert page.get_by_test_id("acting-unit").inner_text() == "柳岸第一网格"
    assert page.get_by_test_id("acting-role").inner_text() == "网格员"
    assert "办理本网格群众诉求" in page.content()
    # A grid worker has no unit browser or people management in the menu.
    page.get_by_role("button", name="显示或隐藏菜单").click()
    assert page.get_by_role("link", name="组织单位").count() == 0
    assert page.get_by_role("link", name="人员", exact=True).count() == 0
    page.screenshot(path=artefacts / "home-grid-worker-zh-phone.png", full_page=True)
    context.close()


def test_district_admin_on_a_desktop_in_english(browser, live_server, tree, artefacts):
    admin = tree.people[Role.DISTRICT_ADMIN]
    admin.preferred_language = "en"
    admin.save()
    # The visitor's browser asks for Chinese; the administrator's own preference wins at sign-in.
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, language="zh-hans", locale="zh-hans"
    )
    _sign_in(page, live_server, admin.username)
    assert page.get_by_test_id("acting-unit").inner_text() == "青禾区"
    assert "Configure categories, deadlines and evaluation schemes" in page.content()
    page.screenshot(path=artefacts / "home-district-admin-en.png", full_page=True)

    page.get_by_role("link", name="Units", exact=True).click()
    page.wait_for_url("**/staff/units/")
    assert page.locator("#children-QH").get_by_role("link", name="东湖街道").is_visible()
    assert page.get_by_role("link", name="柳岸社区").count() == 0
    # Children load on demand (htmx) when a branch is opened.
    toggle = page.get_by_role("button", name="Show the units under 东湖街道")
    toggle.click()
    page.get_by_role("link", name="柳岸社区").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.screenshot(path=artefacts / "unit-tree-en.png", full_page=True)
    # A second click folds the branch without asking the server again, a third unfolds it.
    toggle.click()
    page.get_by_role("link", name="柳岸社区").wait_for(state="hidden")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    page.get_by_role("link", name="柳岸社区").wait_for()

    # Switching the language from the menu keeps the page, changes the words, and is remembered.
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.get_by_role("heading", name="组织单位", exact=True).is_visible()
    page.screenshot(path=artefacts / "unit-tree-zh.png", full_page=True)
    admin.refresh_from_db()
    assert admin.preferred_language == "zh-hans"
    context.close()


def test_wrong_password_then_right_one_with_the_keyboard(browser, live_server, tree, artefacts):
    context, page = open_page(browser, live_server, viewport=PHONE, language="en", locale="en")
    page.goto(f"{live_server.url}/accounts/login/")
    # The first field has focus, and the labels name the fields.
    page.keyboard.type(tree.people[Role.BRANCH_SECRETARY].username)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    page.wait_for_selector(".alert-danger")
    assert "is not right" in page.locator(".alert-danger").inner_text()
    page.screenshot(path=artefacts / "login-error-en-phone.png", full_page=True)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/staff/")
    # The sign-in page followed the browser (English); the secretary's own preference is Chinese.
    assert page.get_by_test_id("acting-role").inner_text() == "支部书记"
    context.close()
