"""Browser journey: a street supervisor opens the hot issues, drills into the hottest, adopts
it as the street's issue of the month and sees it listed with its rectification progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from jiceng.cases import services
from jiceng.cases.default_categories import load
from jiceng.cases.models import Category, Channel
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.insight.hot_services import hot_issues_assign
from jiceng.insight.models_hot import IssueOfMonth
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = [
    ("柳岸路垃圾站满溢没人清运", "柳岸路88号小区垃圾站已经三天没有清运，气味很大。"),
    ("柳岸路小区垃圾站三天没清运", "垃圾站满了，臭味很大，柳岸路小区居民希望尽快清运。"),
    ("夜间施工噪音扰民", "湖滨路工地晚上十二点还在施工，噪音很大，无法休息。"),
]


def test_street_adopts_the_hottest_issue(browser, live_server, tree, artefacts):
    load(Category)
    category = Category.objects.get(code="rubbish")
    start = clock.now() - timedelta(hours=len(TEXTS) + 1)
    for n, (title, body) in enumerate(TEXTS):
        with clock.at(start + timedelta(hours=n)):
            services.case_submit(
                actor=ANONYMOUS,
                category=category,
                area=tree.community_a1 if n % 2 else tree.community_a2,
                title=title,
                description=body,
                channel=Channel.WEB,
            )
    hot_issues_assign(actor=SYSTEM)

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.STREET_SUPERVISOR]
    )
    page.goto(live_server.url + reverse("hot_issue_list"))
    rows = page.locator('[data-testid="hot-issues"] tbody tr')
    assert rows.count() == 2
    first = rows.first
    assert "垃圾站" in first.inner_text()
    first.locator("a").first.click()
    page.locator('[data-testid="member-cases"]').wait_for()
    assert page.locator('[data-testid="member-cases"] tbody tr').count() == 2
    page.locator('[data-testid="adopt-form"] textarea').fill("本月内协调环卫加密清运")
    page.locator('[data-testid="adopt-form"] button[type="submit"]').click()
    page.locator('[data-testid="adoption"]').wait_for()
    page.screenshot(path=str(artefacts / "hot-issue-adopted.png"), full_page=True)
    adoption = IssueOfMonth.objects.get()
    assert adoption.unit == tree.street_a
    page.goto(live_server.url + reverse("hot_issue_list"))
    assert adoption.issue.title in page.locator('[data-testid="adoptions"]').inner_text()
    context.close()
