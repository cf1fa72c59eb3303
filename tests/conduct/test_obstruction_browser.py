"""Browser: the street supervisor sees the sankey of case movements drawn by ECharts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, open_page
from tests.conduct.test_obstruction_views import bounce  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sankey_is_drawn_and_the_cases_are_linked(
    browser,
    live_server,
    tree,
    artefacts,
    bounce,  # noqa: F811
):
    [case_id] = bounce()
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.STREET_SUPERVISOR]
    )
    page.goto(
        live_server.url
        + reverse("obstruction_unit_code", args=["QH-DH"])
        + "?start=2026-03-01&end=2026-03-31"
    )
    page.locator("#obstruction-chart svg path").first.wait_for()
    assert page.locator("#obstruction-chart svg").get_by_text("柳岸社区 ›").count() == 1
    page.screenshot(path=str(artefacts / "conduct-obstruction.png"), full_page=True)
    link = page.locator(f'a[href="{reverse("case_detail", args=[case_id])}"]').first
    assert link.count() == 1
    context.close()
