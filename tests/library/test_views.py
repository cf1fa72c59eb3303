"""The library's pages: who gets what (role × page), partial reading, bad input, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.library.models import Dispute, Document
from jiceng.library.services import DocumentFields, UploadedAttachment, document_submit
from jiceng.orgs.roles import Role
from tests.factories import actor_for
from tests.library.factories import published
from tests.library.pdfs import chinese_pdf

LONG_BODY = "开头的内容。" + "中间的很多内容。" * 200 + "最后一句只有登录后可见。"


def client_for(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def document(db):
    return published("公开的文章", LONG_BODY, tags=["党建引领"])


def test_the_public_reads_a_partial_view_with_the_copyright_notice(document, settings):
    settings.LIBRARY_PREVIEW_CHARS = 100
    response = client_for().get(reverse("library_document", args=[document.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "开头的内容" in text and "最后一句只有登录后可见" not in text
    assert 'data-testid="partial-notice"' in text
    assert 'data-testid="copyright-notice"' in text
    document.refresh_from_db()
    assert document.views == 1


def test_staff_read_everything_and_download(tree, document):
    staff = tree.people[Role.COMMUNITY_STAFF]
    submitted = document_submit(
        actor=actor_for(staff),
        fields=DocumentFields(title="带附件", body="正文"),
        attachments=[UploadedAttachment("a.pdf", chinese_pdf(["附件文字"]))],
    )
    client = client_for(staff)
    text = client.get(reverse("library_document", args=[document.pk])).content.decode()
    assert "最后一句只有登录后可见" in text
    attachment = submitted.attachments.get()
    response = client.get(reverse("library_download", args=[submitted.pk, attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert bytes(response.content).startswith(b"%PDF-")
    submitted.refresh_from_db()
    assert submitted.downloads == 1
    # residents cannot download, even knowing the numbers
    assert (
        client_for()
        .get(reverse("library_download", args=[submitted.pk, attachment.pk]))
        .status_code
        == 404
    )


def test_search_page_highlights_and_filters(document):
    response = client_for().get(reverse("library_search"), {"q": "开头", "tag": "党建引领"})
    assert "<mark>开头</mark>" in response.content.decode()
    response = client_for().get(reverse("library_search"), {"q": "开头", "tag": "别的"})
    assert 'data-testid="no-results"' in response.content.decode()


@pytest.mark.parametrize(
    "params", [{"year": "abc"}, {"kind": "novel"}, {"q": "x" * 500}, {"page": "-3"}, {"q": '"'}]
)
def test_bad_search_input_answers_without_errors(document, params):
    assert client_for().get(reverse("library_search"), params).status_code == 200


def test_the_search_page_costs_few_queries(db, django_assert_max_num_queries):
    for number in range(30):
        published(f"文章{number}", f"社区服务的经验第{number}篇")
    client = client_for()
    with django_assert_max_num_queries(8):
        response = client.get(reverse("library_search"), {"q": "社区服务"})
    assert response.content.decode().count('class="mb-3 border-bottom') == 20


PAGES = [
    ("library_search", [], {None: 200, Role.COMMUNITY_STAFF: 200, Role.DISTRICT_ADMIN: 200}),
    ("library_upload", [], {None: 302, Role.COMMUNITY_STAFF: 200, Role.DISTRICT_ADMIN: 200}),
    (
        "library_review_queue",
        [],
        {
            None: 302,
            Role.COMMUNITY_STAFF: 403,
            Role.STREET_SUPERVISOR: 403,
            Role.DISTRICT_ADMIN: 200,
        },
    ),
    (
        "library_disputes",
        [],
        {
            None: 302,
            Role.COMMUNITY_STAFF: 403,
            Role.DISCIPLINE_INSPECTOR: 403,
            Role.DISTRICT_ADMIN: 200,
        },
    ),
]


@pytest.mark.parametrize(("name", "args", "expected"), PAGES)
def test_role_by_page(tree, name, args, expected):
    for role, status in expected.items():
        client = client_for(None if role is None else tree.people[role])
        assert client.get(reverse(name, args=args)).status_code == status, (name, role)


def test_upload_form_refuses_a_disguised_file_with_a_translated_error(tree):
    client = client_for(tree.people[Role.COMMUNITY_STAFF])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("library_upload"),
        {
            "title": "伪装的文件",
            "kind": "article",
            "visibility": "public",
            "attachments": SimpleUploadedFile("fake.pdf", b"\x89PNG\r\n\x1a\n\x00\x00"),
        },
    )
    assert response.status_code == 200
    assert "不是 PDF" in response.content.decode() or "is not a PDF" in response.content.decode()
    assert not Document.objects.filter(title="伪装的文件").exists()


def test_a_dispute_is_filed_by_anyone_and_decided_by_an_administrator(tree, document):
    response = client_for().post(
        reverse("library_dispute", args=[document.pk]),
        {
            "claimant": "某出版社",
            "contact": "010-1234",
            "evidence": "首发于本社期刊，合同编号 2020-15。",
            "requested_action": "take_down",
        },
    )
    assert (
        response.status_code == 200
        and 'data-testid="dispute-received"' in response.content.decode()
    )
    dispute = Dispute.objects.get()
    admin = client_for(tree.people[Role.DISTRICT_ADMIN])
    url = reverse("library_dispute_detail", args=[dispute.pk])
    assert admin.post(url, {"step": "hide", "reason": "核实中"}).status_code == 302
    assert client_for().get(reverse("library_document", args=[document.pk])).status_code == 404
    admin.post(url, {"step": "decide", "decision": "taken_down", "reason": "证据充分"})
    document.refresh_from_db()
    assert document.taken_down
    assert admin.get(reverse("library_document", args=[document.pk])).status_code == 200
    staff = client_for(tree.people[Role.COMMUNITY_STAFF])
    assert staff.get(reverse("library_document", args=[document.pk])).status_code == 404
    assert staff.get(url).status_code == 403


def test_missing_and_forbidden_documents_are_both_404(tree, document):
    Document.objects.filter(pk=document.pk).update(visibility="staff")
    assert client_for().get(reverse("library_document", args=[document.pk])).status_code == 404
    assert client_for().get(reverse("library_document", args=[99999])).status_code == 404


def test_a_case_cites_a_library_document(tree, document):
    from jiceng.cases.models import Category, Channel
    from jiceng.cases.services import case_submit
    from jiceng.core.actors import ANONYMOUS

    case = case_submit(
        actor=ANONYMOUS,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="小区垃圾站满溢",
        description="柳岸路88号小区垃圾站已经三天没有清运。",
        channel=Channel.WEB,
    )
    client = client_for(tree.people[Role.BRANCH_SECRETARY])
    response = client.post(
        reverse("library_case_cite", args=[case.pk]), {"document": document.pk, "note": "参考"}
    )
    assert response.status_code == 302
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-library-citations"' in page and "公开的文章" in page
    from tests.factories import make_member

    sibling = client_for(make_member(tree.community_b1, Role.BRANCH_SECRETARY))
    assert (
        sibling.post(reverse("library_case_cite", args=[case.pk]), {"document": document.pk})
    ).status_code == 404
    outsider = client_for()
    assert (
        outsider.post(
            reverse("library_case_cite", args=[case.pk]), {"document": document.pk}
        ).status_code
        == 302
    )  # to sign-in


def test_the_search_page_filters_by_unit_code(tree, document):
    response = client_for().get(reverse("library_search"), {"q": "开头", "unit": "QH-SQ"})
    assert 'data-testid="no-results"' in response.content.decode()
    response = client_for().get(reverse("library_search"), {"q": "开头", "unit": "nonsense"})
    assert response.status_code == 200


def test_search_pages_link_forward_and_back_keeping_the_query(db, monkeypatch):
    from jiceng.library import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for number in range(5):
        published(f"社区议事会纪要{number}", "居民议事会商量加装电梯。")
    url = reverse("library_search")
    first = Client().get(url, {"q": "议事会"}).content.decode()
    assert 'rel="next"' in first and "page=2" in first and "q=%E8%AE%AE%E4%BA%8B%E4%BC%9A" in first
    assert 'rel="prev"' not in first
    last = Client().get(url, {"q": "议事会", "page": "3"}).content.decode()
    assert 'rel="prev"' in last and "page=2" in last and 'rel="next"' not in last
    assert Client().get(url, {"q": "议事会", "page": "x"}).status_code == 200
