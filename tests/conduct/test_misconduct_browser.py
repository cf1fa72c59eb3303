"""Browser journey, in Chinese and in English: a resident files an anonymous misconduct report
about a community on a phone, the street's discipline inspector is told, finds it on the conduct
dashboard and in the inbox, accepts and answers it, the resident reads the answer with the
receipt code and passphrase, and the community's staff see nothing of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.conduct.misconduct_models import MisconductReport, MisconductStatus
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASS = "柳岸举报2026"
DETAILS = "办理居住证明时，窗口人员要求先交200元“加急费”才给盖章。"
ANSWER = "经街道纪工委核查，情况属实，已责令退还并对当事人诫勉谈话。"


# What each page shows in each language (strings of the catalogue, not of this test's making).
TEXT = {
    "zh-hans": {
        "form": "举报作风问题",
        "receipt": "举报已收到",
        "inbox": "作风问题举报",
        "kind": "吃拿卡要",
        "status": "您的举报",
        "under_way": "核查中",
        "accepted": "已受理核查",
        "reply": "答复举报人",
    },
    "en": {
        "form": "Report misconduct",
        "receipt": "Report received",
        "inbox": "Misconduct reports",
        "kind": "Extortion or bribe-taking",
        "status": "Your report",
        "under_way": "Under investigation",
        "accepted": "Accepted for investigation",
        "reply": "Reply to the reporter",
    },
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_anonymous_report_answered_and_read_in_the_browser(
    browser, live_server, tree, artefacts, language
):
    text = TEXT[language]
    inspector = tree.people[Role.DISCIPLINE_INSPECTOR]
    secretary = tree.people[Role.BRANCH_SECRETARY]
    for person in (inspector, secretary):
        person.preferred_language = language
        person.save()

    context, page = open_page(browser, live_server, viewport=PHONE, language=language)
    page.goto(live_server.url + reverse("misconduct_report"))
    page.get_by_role("heading", name=text["form"]).wait_for(state="visible")
    page.locator('select[name="kind"]').select_option("extortion")
    page.locator('select[name="unit"]').select_option(str(tree.community_a1.pk))
    page.locator('textarea[name="details"]').fill(DETAILS)
    page.locator('input[name="passphrase"]').fill(PASS)
    page.locator('input[name="passphrase_again"]').fill(PASS)
    page.screenshot(path=str(artefacts / f"misconduct-form-{language}.png"), full_page=True)
    page.locator('[data-testid="misconduct-form"] button[type="submit"]').click()
    page.get_by_role("heading", name=text["receipt"]).wait_for(state="visible")
    code = page.locator('[data-testid="receipt-code"]').inner_text().strip()
    page.screenshot(path=str(artefacts / f"misconduct-receipt-{language}.png"), full_page=True)
    context.close()
    report = MisconductReport.objects.get()
    assert report.anonymous and report.handling_unit == tree.street_a

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=inspector, language=language
    )
    # Told in the app, with nothing of the report's text.
    page.goto(live_server.url + reverse("notifications"))
    page.get_by_text(f"MR-{report.pk}", exact=False).first.wait_for(state="visible")
    assert DETAILS not in page.content()
    # The dashboard counts it and opens the inbox behind the figure.
    page.goto(live_server.url + reverse("conduct_dashboard"))
    figure = page.locator('[data-testid="row-QH-DH-LA"] [data-testid="misconduct"] a')
    assert figure.inner_text().strip() == "1"
    page.screenshot(path=str(artefacts / f"conduct-dashboard-{language}.png"), full_page=True)
    figure.click()
    page.get_by_role("heading", name=text["inbox"]).wait_for(state="visible")
    row = page.locator(f'tr[data-report="{report.pk}"]')
    assert text["kind"] in row.inner_text()
    row.locator("a").click()
    page.get_by_text(DETAILS).wait_for()
    page.locator('[data-testid="form-triage"] input[value="accept"]').check()
    page.locator('[data-testid="form-triage"] button[type="submit"]').click()
    page.locator('[data-testid="form-reply"] textarea').fill(ANSWER)
    page.locator('[data-testid="form-reply"] button[type="submit"]').click()
    page.locator('[data-testid="event-reply"]').wait_for()
    assert text["accepted"] in page.locator('[data-testid="event-accepted"]').inner_text()
    context.close()
    report.refresh_from_db()
    assert report.status == MisconductStatus.ACCEPTED

    context, page = open_page(browser, live_server, viewport=PHONE, language=language)
    page.goto(live_server.url + reverse("misconduct_lookup"))
    page.locator('input[name="code"]').fill(code)
    page.locator('input[name="passphrase"]').fill(PASS)
    page.locator('[data-testid="misconduct-lookup"] button[type="submit"]').click()
    page.get_by_text(ANSWER).wait_for()
    page.get_by_role("heading", name=text["status"]).wait_for(state="visible")
    assert (
        page.locator('[data-testid="misconduct-status"]').inner_text().strip() == text["under_way"]
    )
    assert text["reply"] in page.locator('[data-testid="event-reply"]').inner_text()
    page.screenshot(path=str(artefacts / f"misconduct-answer-{language}.png"), full_page=True)
    context.close()

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=secretary, language=language
    )
    page.goto(live_server.url + reverse("staff_home"))
    assert page.locator(f'a[href="{reverse("misconduct_inbox")}"]').count() == 0
    for url in (
        reverse("misconduct_inbox"),
        reverse("misconduct_detail", args=[report.pk]),
        reverse("case_worklist"),
        reverse("notifications"),
        reverse("conduct_dashboard"),
    ):
        page.goto(live_server.url + url)
        body = page.content()
        assert DETAILS not in body and ANSWER not in body and f"MR-{report.pk}" not in body
    page.goto(live_server.url + reverse("conduct_dashboard"))
    page.locator('[data-testid="misconduct-not-here"]').wait_for(state="visible")
    context.close()
