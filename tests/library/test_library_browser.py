"""Browser journeys over the demo library: a resident searches in Chinese and reads a partial
view on a phone; a community's staff uploads a PDF that becomes searchable once the district
administrator publishes it; a rights holder's dispute takes a document down."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.urls import reverse

from jiceng.library.demo_data import seed_library
from jiceng.library.models import Document
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.library.pdfs import chinese_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(tree, settings):
    settings.LIBRARY_PREVIEW_CHARS = 80
    seed_library(StringIO(), count=60)


def test_a_resident_searches_in_chinese_and_reads_a_partial_view(
    browser, live_server, library, artefacts
):
    context, page = open_page(browser, live_server, viewport=PHONE)
    page.goto(live_server.url + "/")
    search_url = reverse("library_search")
    page.locator(f"a[href='{search_url}']").last.click()
    page.get_by_role("searchbox").fill("服务群众")
    page.get_by_test_id("library-search-form").locator("button[type=submit]").click()
    results = page.get_by_test_id("library-results")
    assert results.locator("mark").count() > 0
    results.locator("h2 a").first.click()
    assert page.get_by_test_id("partial-notice").is_visible()
    assert page.get_by_test_id("copyright-notice").is_visible()
    body = page.get_by_test_id("document-body").inner_text()
    assert len(body.replace("\n", "")) <= 80
    page.screenshot(path=str(artefacts / "library-partial-view.png"), full_page=True)
    context.close()


def test_staff_upload_a_pdf_that_becomes_searchable(browser, live_server, tree, library, tmp_path):
    pdf = tmp_path / "elevator.pdf"
    pdf.write_bytes(chinese_pdf(["柳岸社区加装电梯议事规则", "楼栋长牵头逐户征求意见"]))
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.COMMUNITY_STAFF]
    )
    page.goto(live_server.url + reverse("library_upload"))
    form = page.get_by_test_id("library-document-form")
    form.locator("[name=title]").fill("加装电梯议事经验")
    form.locator("[name=attachments]").set_input_files(str(pdf))
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/library/\d+/$"))
    context.close()

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.DISTRICT_ADMIN]
    )
    page.goto(live_server.url + reverse("library_review_queue"))
    page.get_by_test_id("review-queue").get_by_role("link", name="加装电梯议事经验").click()
    review = page.get_by_test_id("review-form")
    review.locator("[name=approve][value='1']").check()
    review.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/library/review/$"))
    context.close()

    context, page = open_page(browser, live_server, viewport=PHONE)
    page.goto(live_server.url + reverse("library_search") + "?q=楼栋长")
    results = page.get_by_test_id("library-results")
    assert results.get_by_role("link", name="加装电梯议事经验").is_visible()
    context.close()


def test_a_dispute_takes_a_document_down(browser, live_server, tree, library):
    document = Document.objects.filter(visibility="public").order_by("pk").first()
    url = live_server.url + reverse("library_document", args=[document.pk])
    context, page = open_page(browser, live_server, viewport=PHONE)
    page.goto(url)
    page.get_by_test_id("dispute-link").click()
    form = page.get_by_test_id("dispute-form")
    form.locator("[name=claimant]").fill("某出版社")
    form.locator("[name=contact]").fill("010-12345678")
    form.locator("[name=evidence]").fill("本文首发于本社期刊，合同编号 2020-15。")
    form.locator("[name=requested_action][value=take_down]").check()
    form.locator("button[type=submit]").click()
    assert page.get_by_test_id("dispute-received").is_visible()
    context.close()

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.DISTRICT_ADMIN]
    )
    page.goto(live_server.url + reverse("library_disputes"))
    page.get_by_test_id("dispute-list").get_by_role("link").first.click()
    hide = page.get_by_test_id("hide-form")
    hide.locator("[name=reason]").fill("核实权利期间先行隐藏")
    hide.locator("button[type=submit]").click()
    decision = page.get_by_test_id("decision-form")
    decision.locator("[name=decision][value=taken_down]").check()
    decision.locator("[name=reason]").fill("权利人证据充分")
    decision.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=decision-form]", state="detached")
    document.refresh_from_db()
    assert document.taken_down
    context.close()

    context, page = open_page(browser, live_server, viewport=PHONE)
    response = page.goto(url)
    assert response is not None and response.status == 404
    context.close()
