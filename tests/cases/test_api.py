"""The requests' JSON API: who sees what (role × endpoint), filters, paging, problems, queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.cases.models import Case, Status
from jiceng.cases.services import case_accept
from jiceng.core.actors import SYSTEM
from jiceng.core.audit import AuditEntry
from jiceng.orgs import services as org_services
from jiceng.orgs.roles import Role

# The request is submitted in 柳岸社区: those who serve it or a unit above it see it.
SEES_THE_CASE = {
    Role.COMMUNITY_STAFF,
    Role.BRANCH_SECRETARY,
    Role.STREET_SUPERVISOR,
    Role.DISTRICT_ADMIN,
}
# A message of ours (its Chinese is merged into the catalogue from the branch's JSON file).
CURSOR_MESSAGE = "This page link is not valid any more. Start from page 1."
# Roles that do not work on requests: the HTML pages refuse them with 403.
NOT_CASE_STAFF = {Role.DISCIPLINE_INSPECTOR, Role.SYSTEM_ADMIN}


def session_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def key_client(unit) -> Client:
    _, raw = org_services.api_key_create(actor=SYSTEM, name=f"对接 {unit.code}", unit=unit)
    return Client(HTTP_X_API_KEY=raw, HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def case(submit) -> Case:
    return submit(reporter_name="王小明", reporter_phone="13800138000")


def test_every_role_sees_the_request_it_serves_and_404_otherwise(tree, case):
    for role, user in tree.people.items():
        client = session_client(user)
        response = client.get(f"/api/v1/cases/{case.pk}")
        if role in SEES_THE_CASE:
            assert response.status_code == 200, role
            body = response.json()
            assert body["tracking_code"] == case.tracking_code
            assert body["current_unit"]["code"] == case.current_unit.code
            assert [event["kind"] for event in body["events"]] == ["submitted"]
        else:
            assert response.status_code == 404, role
            assert response["Content-Type"] == "application/problem+json"
            assert response.json()["title"] == "未找到。"
        # A missing request answers exactly like a forbidden one.
        missing = client.get(f"/api/v1/cases/{case.pk + 1000}")
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_staff_see_the_reporter_as_on_the_page_and_api_keys_do_not(tree, case, submit):
    staff = session_client(tree.people[Role.COMMUNITY_STAFF]).get(f"/api/v1/cases/{case.pk}")
    assert staff.json()["reporter"] == {"name": "王小明", "phone": "13800138000"}
    anonymous_case = submit(is_anonymous=True, reporter_name="李四", reporter_phone="13900139000")
    masked = session_client(tree.people[Role.COMMUNITY_STAFF]).get(
        f"/api/v1/cases/{anonymous_case.pk}"
    )
    assert masked.json()["reporter"] == {"name": None, "phone": "13900139000"}
    assert "李四" not in masked.content.decode()

    by_key = key_client(tree.street_a).get(f"/api/v1/cases/{case.pk}")
    assert by_key.status_code == 200
    assert by_key.json()["reporter"] is None
    text = by_key.content.decode()
    assert "王小明" not in text and "13800138000" not in text
    assert key_client(tree.street_b).get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_without_a_session_or_key_every_endpoint_answers_401(case):
    for path in ("/api/v1/cases", "/api/v1/cases/worklist", f"/api/v1/cases/{case.pk}"):
        response = Client().get(path)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthenticated"


def test_lists_hold_the_subtree_and_refuse_roles_that_do_not_work_on_requests(tree, case):
    for role, user in tree.people.items():
        client = session_client(user)
        queue = client.get("/api/v1/cases")
        worklist = client.get("/api/v1/cases/worklist")
        if role in NOT_CASE_STAFF:
            assert queue.status_code == worklist.status_code == 403, role
            assert queue.json()["code"] == "forbidden"
            continue
        codes = {row["tracking_code"] for row in queue.json()["items"]}
        assert codes == ({case.tracking_code} if role in SEES_THE_CASE else set()), role
        held = {row["tracking_code"] for row in worklist.json()["items"]}
        expected = {case.tracking_code} if user_unit(tree, role) == case.current_unit else set()
        assert held == expected, role
    assert key_client(tree.street_b).get("/api/v1/cases").json()["items"] == []
    street = key_client(tree.street_a).get("/api/v1/cases").json()["items"]
    assert [row["tracking_code"] for row in street] == [case.tracking_code]


def user_unit(tree, role):
    return tree.unit_of(role)


def test_queue_filters_as_the_html_queue(tree, case, submit):
    other = submit(title="路灯不亮", address="柳岸路12号")
    client = session_client(tree.people[Role.STREET_SUPERVISOR])

    def codes(**params):
        response = client.get("/api/v1/cases", params)
        assert response.status_code == 200, response.json()
        return {row["tracking_code"] for row in response.json()["items"]}

    assert codes() == {case.tracking_code, other.tracking_code}
    assert codes(q=other.tracking_code) == {other.tracking_code}
    assert codes(q="路灯") == {other.tracking_code}
    assert codes(status="submitted") == {case.tracking_code, other.tracking_code}
    assert codes(status="closed") == set()
    assert codes(category="rubbish") == {case.tracking_code, other.tracking_code}
    assert codes(overdue="true") == set()
    Case.objects.filter(pk=case.pk).update(respond_by=timezone.now() - timedelta(hours=1))
    assert codes(overdue="true") == {case.tracking_code}
    row = client.get("/api/v1/cases", {"overdue": "true"}).json()["items"][0]
    assert row["respond_overdue"] is True and row["category"]["code"] == "rubbish"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"status": "palace"}, "status", "palace 不在可用的选项中"),
        ({"category": "nope"}, "category", "nope"),
        ({"page": "0"}, "page", "确保该值大于或等于1"),
        ({"page": "x"}, "page", "整数"),
        ({"page_size": "-1"}, "page_size", "确保该值大于或等于1"),
        ({"overdue": "maybe"}, "overdue", "“maybe”的值应该为True或False"),
        ({"submitted_from": "2026-13-40"}, "submitted_from", "日期"),
        ({"unit": "QH-SQ"}, "unit", "QH-SQ"),
        ({"q": "路" * 101}, "q", "不超过 100 字符"),
        ({"after": "not-a-cursor"}, None, CURSOR_MESSAGE),
    ],
)
def test_bad_parameters_get_a_translated_422_and_change_nothing(tree, case, params, field, message):
    client = session_client(tree.people[Role.STREET_SUPERVISOR])
    before = (Case.objects.count(), AuditEntry.objects.count(), case.status)
    response = client.get("/api/v1/cases", params)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid" and body["title"] == "部分字段无效。"
    assert body["errors"][0]["field"] == field
    assert _(message) in body["errors"][0]["message"], body
    # Chinese text, not pydantic's English
    assert not body["errors"][0]["message"].startswith(("Input", "Value", "Field"))
    case.refresh_from_db()
    assert (Case.objects.count(), AuditEntry.objects.count(), case.status) == before


def test_the_same_problem_in_english(tree, case):
    client = session_client(tree.people[Role.STREET_SUPERVISOR])
    body = client.get("/api/v1/cases", {"page": "x"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["title"] == "Some fields are not valid."
    assert body["errors"] == [{"field": "page", "message": "Enter a whole number."}]


def test_pages_are_bounded_and_follow_by_cursor(tree, submit):
    made = [submit(title=f"问题{n}") for n in range(3)]
    client = session_client(tree.people[Role.STREET_SUPERVISOR])
    capped = client.get("/api/v1/cases", {"page_size": 100000}).json()
    assert capped["page_size"] == 100 and len(capped["items"]) == 3
    first = client.get("/api/v1/cases", {"page_size": 2}).json()
    assert len(first["items"]) == 2 and first["has_next"] and first["next_after"]
    second = client.get(
        "/api/v1/cases", {"page_size": 2, "page": 2, "after": first["next_after"]}
    ).json()
    assert not second["has_next"] and second["has_previous"]
    seen = [row["tracking_code"] for row in first["items"] + second["items"]]
    assert sorted(seen) == sorted(case.tracking_code for case in made)
    worklist = client.get("/api/v1/cases/worklist", {"page_size": 100000}).json()
    assert worklist["page_size"] == 100


def _queries(client: Client, path: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(captured)


def test_list_and_detail_query_counts_do_not_grow_with_rows(tree, submit, case, actors):
    supervisor = session_client(tree.people[Role.STREET_SUPERVISOR])
    staff = session_client(tree.people[Role.COMMUNITY_STAFF])
    key = key_client(tree.street_a)
    for _n in range(2):
        submit()
    key.get("/api/v1/me")  # the key is looked up once, then kept by the process
    few = {
        "queue": _queries(supervisor, "/api/v1/cases"),
        "overdue": _queries(supervisor, "/api/v1/cases", {"overdue": "true"}),
        "worklist": _queries(staff, "/api/v1/cases/worklist"),
        "key": _queries(key, "/api/v1/cases"),
        "detail": _queries(supervisor, f"/api/v1/cases/{case.pk}"),
    }
    for _n in range(12):
        submit()
    case_accept(case=case, actor=actors[Role.COMMUNITY_STAFF], note="收到")
    Case.objects.update(respond_by=timezone.now() - timedelta(hours=1))
    many = {
        "queue": _queries(supervisor, "/api/v1/cases"),
        "overdue": _queries(supervisor, "/api/v1/cases", {"overdue": "true"}),
        "worklist": _queries(staff, "/api/v1/cases/worklist"),
        "key": _queries(key, "/api/v1/cases"),
        "detail": _queries(supervisor, f"/api/v1/cases/{case.pk}"),
    }
    assert many == few
    for client, path in ((staff, "/api/v1/cases/worklist"), (key, "/api/v1/cases")):
        assert len(client.get(path).json()["items"]) == 15, path
    assert Case.objects.filter(status=Status.SUBMITTED).count() == 14
    assert len(supervisor.get(f"/api/v1/cases/{case.pk}").json()["events"]) == 2


def test_openapi_lists_the_case_paths(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/cases", "/api/v1/cases/worklist", "/api/v1/cases/{case_id}"} <= set(paths)
