"""Browser journey: a resident files an anonymous misconduct report about a community on a phone,
the street's discipline inspector accepts and answers it, the resident reads the answer with the
receipt code and passphrase, and the community's secretary sees nothing of it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from jiceng.conduct.misconduct_models import MisconductReport, MisconductStatus
from jiceng.orgs.roles import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASS = "柳岸举报2026"
DETAILS = "办理居住证明时，窗口人员要求先交200元“加急费”才给盖章。"
ANSWER = "经街道纪工委核查，情况属实，已责令退还并对当事人诫勉谈话。"


def _page(browser, live_server, viewport, user=None):
    context = browser.new_context(viewport=viewport)
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}]
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


def test_anonymous_report_answered_and_read_in_the_browser(browser, live_server, tree, artefacts):
    context, page = _page(browser, live_server, PHONE)
    page.goto(live_server.url + reverse("misconduct_report"))
    page.locator('select[name="kind"]').select_option("extortion")
    page.locator('select[name="unit"]').select_option(str(tree.community_a1.pk))
    page.locator('textarea[name="details"]').fill(DETAILS)
    page.locator('input[name="passphrase"]').fill(PASS)
    page.locator('input[name="passphrase_again"]').fill(PASS)
    page.screenshot(path=str(artefacts / "misconduct-form.png"), full_page=True)
    page.locator('[data-testid="misconduct-form"] button[type="submit"]').click()
    code = page.locator('[data-testid="receipt-code"]').inner_text().strip()
    page.screenshot(path=str(artefacts / "misconduct-receipt.png"), full_page=True)
    context.close()
    report = MisconductReport.objects.get()
    assert report.anonymous and report.handling_unit == tree.street_a

    context, page = _page(browser, live_server, DESKTOP, tree.people[Role.DISCIPLINE_INSPECTOR])
    page.goto(live_server.url + reverse("misconduct_inbox"))
    page.locator(f'tr[data-report="{report.pk}"] a').click()
    page.get_by_text(DETAILS).wait_for()
    page.locator('[data-testid="form-triage"] input[value="accept"]').check()
    page.locator('[data-testid="form-triage"] button[type="submit"]').click()
    page.locator('[data-testid="form-reply"] textarea').fill(ANSWER)
    page.locator('[data-testid="form-reply"] button[type="submit"]').click()
    page.locator('[data-testid="event-reply"]').wait_for()
    context.close()
    report.refresh_from_db()
    assert report.status == MisconductStatus.ACCEPTED

    context, page = _page(browser, live_server, PHONE)
    page.goto(live_server.url + reverse("misconduct_lookup"))
    page.locator('input[name="code"]').fill(code)
    page.locator('input[name="passphrase"]').fill(PASS)
    page.locator('[data-testid="misconduct-lookup"] button[type="submit"]').click()
    page.get_by_text(ANSWER).wait_for()
    page.screenshot(path=str(artefacts / "misconduct-answer.png"), full_page=True)
    context.close()

    context, page = _page(browser, live_server, DESKTOP, tree.people[Role.BRANCH_SECRETARY])
    for url in (
        reverse("misconduct_inbox"),
        reverse("misconduct_detail", args=[report.pk]),
        reverse("case_worklist"),
    ):
        page.goto(live_server.url + url)
        body = page.content()
        assert DETAILS not in body and ANSWER not in body
    context.close()
