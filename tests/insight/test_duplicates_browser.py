"""Browser journey: a resident typing sees "已有人反映" and backs the open request instead."""

from __future__ import annotations

import pytest

from jiceng.cases import services
from jiceng.cases.models import Case, Category, Channel
from jiceng.core.actors import ANONYMOUS
from jiceng.insight.models_routing import CaseSupport
from tests.browser import PHONE, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_sees_the_same_problem_and_says_me_too(browser, live_server, tree, artefacts):
    existing = services.case_submit(
        actor=ANONYMOUS,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="柳岸花园垃圾站满溢",
        description="柳岸花园3幢旁边的垃圾站已经三天没有清运，气味很大，苍蝇很多。",
        channel=Channel.WEB,
    )
    context, page = open_page(browser, live_server, viewport=PHONE, language="en")
    page.goto(f"{live_server.url}/report/")
    page.select_option("#id_area", label="桂香社区")  # same street as 柳岸社区
    page.fill("#id_title", "垃圾站满了没人清运")
    page.locator("#id_description").press_sequentially("柳岸花园垃圾站三天没有清运，气味很大")
    suggestion = page.get_by_test_id("suggestion")
    suggestion.first.wait_for()
    # In Chinese this heading reads 已有人反映 (the translation is in the catalogue).
    assert "Others have already reported this" in page.get_by_test_id("suggestions").inner_text()
    assert existing.title in suggestion.first.inner_text()
    assert existing.tracking_code not in page.content()
    page.screenshot(path=artefacts / "duplicates-suggested.png", full_page=True)
    suggestion.first.get_by_test_id("me-too").click()
    page.get_by_test_id("support-done").wait_for()
    page.screenshot(path=artefacts / "duplicates-me-too.png", full_page=True)
    assert CaseSupport.objects.filter(case=existing).count() == 1
    assert Case.objects.count() == 1  # nothing filed twice
    context.close()
