"""The library's JSON API: who reads what (role × endpoint, anonymous included), partial text,
highlights as plain text, problems, paging and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiceng.core.actors import SYSTEM
from jiceng.core.audit import AuditEntry
from jiceng.library.models import Document
from jiceng.library.services import DocumentFields, UploadedAttachment, document_submit
from jiceng.orgs import services as org_services
from jiceng.orgs.roles import Role
from tests.factories import actor_for, make_member
from tests.library.factories import approve, published
from tests.library.pdfs import chinese_pdf

LONG_BODY = "开头的内容。" + "中间的很多内容。" * 200 + "最后一句只有登录后可见。"
PUBLIC_READERS = {"anonymous", "key"}


def client_for(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def library(tree):
    """One document of each kind of visibility, uploaded by 柳岸社区 (community_a1)."""
    staff = actor_for(tree.people[Role.COMMUNITY_STAFF])

    def upload(title: str, visibility: str, **extra) -> Document:
        return document_submit(
            actor=staff,
            fields=DocumentFields(title=title, body=f"{title}的正文", visibility=visibility),
            **extra,
        )

    hidden = published("被隐藏的文章", "有争议的内容")
    Document.objects.filter(pk=hidden.pk).update(hidden=True)
    return {
        "public": published("公开的文章", LONG_BODY, tags=["党建引领"]),
        "staff": approve(
            upload(
                "全体工作人员可见",
                "staff",
                attachments=[UploadedAttachment("材料.pdf", chinese_pdf(["附件文字"]))],
            )
        ),
        "unit": approve(upload("本单位可见", "unit")),
        "pending": upload("待审核的文章", "public"),
        "hidden": hidden,
    }


@pytest.fixture
def readers(tree):
    """A client per reader: every role of the tree, two sibling units' staff, a unit's API key
    and nobody at all."""
    clients = {role: client_for(user) for role, user in tree.people.items()}
    clients["sibling_community"] = client_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
    clients["other_street"] = client_for(make_member(tree.street_b, Role.STREET_SUPERVISOR))
    _, raw = org_services.api_key_create(actor=SYSTEM, name="对接", unit=tree.street_a)
    clients["key"] = Client(HTTP_X_API_KEY=raw, HTTP_ACCEPT_LANGUAGE="zh-hans")
    clients["anonymous"] = client_for()
    return clients


STAFF = set(Role.values) | {"sibling_community", "other_street"}
# Who gets 200 for each document (everybody else 404), as the library's pages decide.
SEES: dict[str, set[str]] = {
    "public": STAFF | PUBLIC_READERS,
    "staff": STAFF,
    # the uploading unit's line: below it, itself, the units above it
    "unit": set(Role.values),
    # not published yet: the uploading unit's subtree and those above it, and the administrator
    "pending": {
        Role.COMMUNITY_STAFF,
        Role.BRANCH_SECRETARY,
        Role.STREET_SUPERVISOR,
        Role.DISCIPLINE_INSPECTOR,
        Role.DISTRICT_ADMIN,
        Role.SYSTEM_ADMIN,
    },
    "hidden": {Role.DISTRICT_ADMIN},
}


def test_every_reader_gets_what_the_pages_show_and_404_otherwise(library, readers):
    for name, document in library.items():
        for reader, client in readers.items():
            response = client.get(f"/api/v1/library/documents/{document.pk}")
            html = client.get(f"/library/{document.pk}/")
            assert response.status_code == html.status_code, (name, reader)
            if reader in SEES[name]:
                assert response.status_code == 200, (name, reader)
                assert response.json()["title"] == document.title
            else:
                assert response.status_code == 404, (name, reader)
                assert response.json() == {**response.json(), "code": "not_found"}
                assert response.json()["title"] == "未找到。"
            listed = client.get("/api/v1/library/documents").json()["items"]
            assert (document.pk in {row["id"] for row in listed}) == (reader in SEES[name])
    missing = readers["anonymous"].get("/api/v1/library/documents/999999")
    assert missing.status_code == 404 and missing.json()["title"] == "未找到。"


def test_the_public_reads_the_first_part_and_staff_all_of_it(library, readers, settings):
    settings.LIBRARY_PREVIEW_CHARS = 100
    document = library["public"]
    for reader in ("anonymous", "key"):
        body = readers[reader].get(f"/api/v1/library/documents/{document.pk}").json()
        assert body["partial"] is True and body["full"] is False
        assert body["body"] == LONG_BODY[:100]
        assert body["attachments"] == [] and body["current_version"] is None
    staff = readers[Role.COMMUNITY_STAFF]
    body = staff.get(f"/api/v1/library/documents/{document.pk}").json()
    assert body["full"] is True and body["partial"] is False and body["body"] == LONG_BODY


def test_staff_see_files_and_the_current_version_without_the_bytes(library, readers):
    document = library["staff"]
    response = readers[Role.BRANCH_SECRETARY].get(f"/api/v1/library/documents/{document.pk}")
    body = response.json()
    assert [(f["filename"], f["kind"]) for f in body["attachments"]] == [("材料.pdf", "pdf")]
    assert body["attachments"][0]["size"] > 0 and "data" not in body["attachments"][0]
    assert b"%PDF" not in response.content
    assert body["version"] == 1
    assert body["current_version"]["number"] == 1
    assert body["current_version"]["status"] == "approved"
    document.refresh_from_db()
    assert document.views == 0  # reading through the API is not a view


def test_search_highlights_as_plain_text_with_offsets(library, readers):
    response = readers["anonymous"].get("/api/v1/library/documents", {"q": "开头"})
    assert response.status_code == 200
    [row] = response.json()["items"]
    assert row["id"] == library["public"].pk and row["title"] == "公开的文章"
    assert "<mark>" not in response.content.decode()
    snippet = row["snippet"]
    assert [snippet[h["start"] : h["end"]] for h in row["snippet_highlights"]] == ["开头"]
    assert row["tags"] == ["党建引领"] and row["kind"] == "article"

    titled = readers[Role.COMMUNITY_STAFF].get("/api/v1/library/documents", {"q": "可见"})
    marked = {
        row["title"]: [row["title"][h["start"] : h["end"]] for h in row["title_highlights"]]
        for row in titled.json()["items"]
    }
    assert marked == {"全体工作人员可见": ["可见"], "本单位可见": ["可见"], "公开的文章": []}


def test_search_filters_as_the_page(library, readers):
    client = readers[Role.DISTRICT_ADMIN]

    def ids(**params):
        response = client.get("/api/v1/library/documents", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["items"]}

    assert ids(tag="党建引领") == {library["public"].pk}
    assert ids(kind="policy") == set()
    assert ids(unit="QH-DH-LA") == {library[n].pk for n in ("staff", "unit", "pending")}
    assert ids(unit="QH-SQ") == set()
    assert ids(source="测试来源", q="内容") == {library["public"].pk, library["hidden"].pk}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"kind": "novel"}, "kind", "novel 不在可用的选项中"),
        ({"year": "abc"}, "year", "整数"),
        ({"year": "1800"}, "year", "确保该值大于或等于1900"),
        ({"page": "0"}, "page", "确保该值大于或等于1"),
        ({"page": "501"}, "page", "确保该值小于或等于500"),
        ({"unit": "nonsense"}, "unit", "选择一个有效的选项"),
        ({"q": "路" * 201}, "q", "不超过 200 字符"),
    ],
)
def test_bad_parameters_get_a_translated_422_and_change_nothing(
    library, readers, params, field, message
):
    before = (Document.objects.count(), AuditEntry.objects.count())
    response = readers["anonymous"].get("/api/v1/library/documents", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid" and body["title"] == "部分字段无效。"
    assert body["errors"][0]["field"] == field
    assert message in body["errors"][0]["message"], body
    assert (Document.objects.count(), AuditEntry.objects.count()) == before


def test_a_refused_key_is_401_not_the_public_view(library):
    response = Client(HTTP_X_API_KEY="jc_nope_nope").get("/api/v1/library/documents")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_pages_hold_twenty_and_go_on(db, readers):
    for n in range(23):
        published(f"第{n}篇", f"正文{n}")
    first = readers["anonymous"].get("/api/v1/library/documents").json()
    assert len(first["items"]) == 20 and first["page_size"] == 20 and first["has_next"]
    second = readers["anonymous"].get("/api/v1/library/documents", {"page": 2}).json()
    assert len(second["items"]) == 3 and not second["has_next"] and second["has_previous"]
    assert not {r["id"] for r in first["items"]} & {r["id"] for r in second["items"]}


def _queries(client: Client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(captured)


def test_query_counts_do_not_grow_with_rows(library, readers):
    anonymous, staff, key = readers["anonymous"], readers[Role.COMMUNITY_STAFF], readers["key"]
    key.get("/api/v1/me")  # the key is looked up once, then kept by the process
    cases = [
        (anonymous, "/api/v1/library/documents", {}),
        (anonymous, "/api/v1/library/documents", {"q": "文章"}),
        (staff, "/api/v1/library/documents", {"q": "文章"}),
        (key, "/api/v1/library/documents", {}),
        (staff, f"/api/v1/library/documents/{library['staff'].pk}", {}),
    ]
    few = [_queries(*case) for case in cases]
    for n in range(15):
        published(f"另一篇文章{n}", f"文章正文{n}")
    many = [_queries(*case) for case in cases]
    assert many == few
    assert len(anonymous.get("/api/v1/library/documents", {"q": "文章"}).json()["items"]) == 16


def test_openapi_lists_the_library_paths(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/library/documents", "/api/v1/library/documents/{document_id}"):
        # a key, a session, or nothing at all
        assert paths[path]["get"]["security"] == [
            {"ApiKeyAuth": []},
            {"StaffSessionAuth": []},
            {},
        ]
