"""Accessibility: axe-core finds no serious or critical problem on the pages people use most."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from jiceng.orgs.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"


def _violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _signed_in_context(browser, live_server, user, language: str):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            },
            {"name": "jiceng_language", "value": language, "url": live_server.url},
        ]
    )
    return context


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_public_pages(browser, live_server, language):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies([{"name": "jiceng_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    for path in ("/", "/accounts/login/"):
        page.goto(live_server.url + path)
        assert _violations(page) == [], path
    # A sign-in error is announced next to the form, still accessible.
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong")
    page.keyboard.press("Enter")
    page.wait_for_selector(".alert-danger")
    assert _violations(page) == []
    context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_staff_pages(browser, live_server, tree, language):
    admin = tree.people[Role.DISTRICT_ADMIN]
    context = _signed_in_context(browser, live_server, admin, language)
    page = context.new_page()
    worker = tree.people[Role.GRID_WORKER]
    for path in (
        "/staff/",
        "/staff/units/",
        "/staff/units/QH-DH/",
        "/staff/units/QH-DH/edit/",
        "/staff/users/",
        "/staff/users/new/",
        f"/staff/users/{worker.pk}/",
        "/staff/audit/",
        "/accounts/profile/",
        "/accounts/password/",
    ):
        page.goto(live_server.url + path)
        assert _violations(page) == [], path
    # A form with errors keeps its labels and links the errors to the fields.
    page.goto(live_server.url + "/staff/users/new/")
    page.get_by_role("button", name="保存" if language == "zh-hans" else "Save").click()
    page.wait_for_selector(".invalid-feedback")
    assert _violations(page) == []
    assert page.locator("#id_username").get_attribute("aria-invalid") == "true"
    context.close()
