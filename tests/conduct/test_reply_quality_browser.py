"""Browser: staff see a resolution reply's quality badges; the resident's tracking page does not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.cases.default_categories import load
from jiceng.cases.models import Category, Channel
from jiceng.cases.services import case_accept, case_dispatch, case_resolve, case_submit
from jiceng.conduct.reply_quality_models import ReplyScore
from jiceng.core.actors import ANONYMOUS
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, open_page
from tests.factories import actor_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_see_the_badges_and_residents_do_not(browser, live_server, tree, artefacts):
    load(Category)
    secretary = actor_for(tree.people[Role.BRANCH_SECRETARY])
    case = case_submit(
        actor=ANONYMOUS,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="小区垃圾站满溢",
        description="柳岸路88号小区垃圾站三天没有清运。",
        channel=Channel.WEB,
    )
    case_accept(case=case, actor=secretary)
    case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
    case_resolve(case=case, actor=secretary, body="网友：您好！留言已收悉")
    # Committed at once in a transactional test; the background job runs in-process in tests.
    score = ReplyScore.objects.get(reply__case=case)
    assert score.perfunctory

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.BRANCH_SECRETARY]
    )
    page.goto(live_server.url + reverse("case_detail", args=[case.pk]))
    badges = page.get_by_test_id("reply-quality")
    badges.wait_for()
    assert f"{score.total:.0f}/100" in badges.inner_text()
    flag = badges.locator('[data-flag="ack_only"]')
    assert flag.count() == 1
    assert flag.get_attribute("title")  # the explanation shown on hover
    page.screenshot(path=str(artefacts / "conduct-reply-quality.png"), full_page=True)
    context.close()

    resident = browser.new_context(viewport=DESKTOP)
    tracking = resident.new_page()
    tracking.goto(live_server.url + reverse("case_track_detail", args=[case.tracking_code]))
    tracking.get_by_text("网友：您好！留言已收悉").first.wait_for()
    assert tracking.get_by_test_id("reply-quality").count() == 0
    resident.close()
