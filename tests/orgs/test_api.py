"""The JSON API skeleton: authentication, scoping, pagination, problems, OpenAPI, create_api_key."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from jiceng.core.actors import SYSTEM
from jiceng.orgs import services
from jiceng.orgs.models import ApiKey
from jiceng.orgs.roles import Role


@pytest.fixture
def street_key(tree) -> str:
    _, raw = services.api_key_create(actor=SYSTEM, name="街道热线对接", unit=tree.street_a)
    return raw


def test_api_key_sees_its_units_subtree(tree, street_key):
    client = Client(HTTP_X_API_KEY=street_key)
    me = client.get("/api/v1/me").json()
    assert me == {
        **me,
        "kind": "api_key",
        "api_key_name": "街道热线对接",
        "memberships": [],
    }
    assert me["acting_unit"]["code"] == "QH-DH"
    codes = {u["code"] for u in client.get("/api/v1/units").json()["items"]}
    assert codes == {"QH-DH", "QH-DH-LA", "QH-DH-GX", "QH-DH-LA-01"}
    assert client.get("/api/v1/units/QH-SQ").status_code == 404
    assert client.get("/api/v1/units/QH-DH/children").json()["count"] == 2


def test_bad_revoked_and_missing_keys_get_a_401_problem(tree, street_key):
    for headers in ({"HTTP_X_API_KEY": "jc_nope_nope"}, {"HTTP_X_API_KEY": ""}, {}):
        response = Client(**headers).get("/api/v1/units")
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "unauthenticated"
    services.api_key_revoke(
        actor=SYSTEM, api_key=ApiKey.objects.get(name="街道热线对接"), reason="停用"
    )
    assert Client(HTTP_X_API_KEY=street_key).get("/api/v1/me").status_code == 401


def test_pagination_filters_and_validation(tree, street_key):
    client = Client(HTTP_X_API_KEY=street_key)
    page = client.get("/api/v1/units", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 4 and len(page["items"]) == 2
    assert client.get("/api/v1/units", {"kind": "grid"}).json()["count"] == 1
    assert client.get("/api/v1/units", {"q": "柳岸"}).json()["count"] == 2
    for params in ({"page": 0}, {"page": "x"}, {"kind": "palace"}, {"page_size": -1}):
        response = client.get("/api/v1/units", params)
        assert response.status_code == 422, params
        body = response.json()
        assert body["code"] == "invalid" and body["errors"], body
    capped = client.get("/api/v1/units", {"page_size": 100000}).json()
    assert capped["count"] == 4


def test_problem_documents_are_translated(tree, street_key):
    client = Client(HTTP_X_API_KEY=street_key, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert client.get("/api/v1/units/NOPE").json()["title"] == "未找到。"
    assert (
        Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        .get("/api/v1/me")
        .json()["title"]
        .startswith("请登录")
    )


def test_session_user_sees_own_memberships(tree):
    client = Client()
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    me = client.get("/api/v1/me").json()
    assert me["kind"] == "user" and me["username"] == "branch_secretary"
    assert [m["role"] for m in me["memberships"]] == ["branch_secretary"]
    assert me["acting_unit"]["code"] == "QH-DH-LA"


def test_openapi_document_and_docs_are_served_without_a_cdn(db):
    client = Client()
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/api/v1/me", "/api/v1/units", "/api/v1/units/{code}"} <= set(paths)
    docs = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in docs
    assert "cdn." not in docs and "unpkg" not in docs and "jsdelivr" not in docs


def test_units_list_query_count_is_constant(tree, street_key, django_assert_max_num_queries):
    client = Client(HTTP_X_API_KEY=street_key)
    with django_assert_max_num_queries(4):
        assert client.get("/api/v1/units").status_code == 200


class TestCreateApiKeyCommand:
    def test_prints_a_working_key_on_its_last_line(self, tree):
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "create_api_key", "--name", "区12345平台", "--unit", "QH-SQ", stdout=out, stderr=err
        )
        key = out.getvalue().strip().splitlines()[-1]
        me = Client(HTTP_X_API_KEY=key).get("/api/v1/me").json()
        assert me["acting_unit"]["code"] == "QH-SQ"

    def test_defaults_to_the_root_unit(self, tree):
        out = io.StringIO()
        call_command("create_api_key", "--name", "全区", stdout=out, stderr=io.StringIO())
        key = out.getvalue().strip().splitlines()[-1]
        assert Client(HTTP_X_API_KEY=key).get("/api/v1/me").json()["acting_unit"]["code"] == "QH"

    def test_unknown_unit_and_empty_name_fail_cleanly(self, tree):
        with translation.override("en"), pytest.raises(CommandError, match="No unit has the code"):
            call_command("create_api_key", "--name", "x", "--unit", "NOPE")
        with pytest.raises(CommandError):
            call_command("create_api_key", "--name", "  ")
        assert not ApiKey.objects.exists()

    def test_no_units_yet(self, db):
        with translation.override("en"), pytest.raises(CommandError, match="There is no unit yet"):
            call_command("create_api_key", "--name", "x")
