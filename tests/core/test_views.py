"""Public pages, health check, error mapping, request ids, languages and the admin gate."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from jiceng.core.models import CalendarDay
from jiceng.orgs.roles import Role

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def test_landing_page_tells_residents_what_they_can_do(db):
    zh = Client().get("/", **ZH).content.decode()
    assert "提出诉求" in zh and "放心举报作风问题" in zh and 'lang="zh-Hans"' in zh
    en = Client().get("/", **EN).content.decode()
    assert "Bring a request" in en and 'lang="en"' in en


def test_chinese_is_the_default_language(db):
    assert "提出诉求" in Client().get("/").content.decode()


def test_language_switcher_sets_the_cookie(db, settings):
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Bring a request" in client.get("/").content.decode()


def test_healthz_answers_ok_when_the_database_answers(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == connection.vendor


def test_healthz_answers_503_when_the_database_fails(db, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database is gone")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_every_response_carries_a_request_id(db):
    response = Client().get("/")
    assert len(response["X-Request-ID"]) == 32
    kept = Client().get("/", HTTP_X_REQUEST_ID="lb-0123456789")
    assert kept["X-Request-ID"] == "lb-0123456789"
    forged = Client().get("/", HTTP_X_REQUEST_ID="<script>")
    assert forged["X-Request-ID"] != "<script>"


def test_unknown_pages_are_404_in_html_and_in_json(db):
    html = Client().get("/nowhere/", **ZH)
    assert html.status_code == 404 and "未找到" in html.content.decode()
    api = Client().get("/api/v1/nowhere")
    assert api.status_code == 404


@pytest.mark.urls("tests.core.error_urls")
class TestDomainErrorMapping:
    def test_a_form_post_returns_to_the_form_with_the_message(self, db):
        client = Client()
        response = client.post("/refuse/", HTTP_REFERER="http://testserver/staff/units/", **ZH)
        assert response.status_code == 303
        assert response["Location"] == "http://testserver/staff/units/"
        page = client.get("/", **ZH).content.decode()
        assert "规则不允许" in page

    def test_a_foreign_referer_is_not_followed(self, db):
        response = Client().post("/refuse/", HTTP_REFERER="https://evil.example/", **EN)
        assert response.status_code == 400
        assert "规则不允许" in response.content.decode()

    def test_json_clients_get_a_problem_document(self, db):
        response = Client().post("/api/refuse/")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "invalid" and body["errors"] == [
            {"field": "name", "message": "规则不允许"}
        ]
        assert body["request_id"] == response["X-Request-ID"]

    def test_status_codes_and_retry_after(self, db):
        conflict = Client().get("/conflict/", **EN)
        assert conflict.status_code == 409
        assert "Reload and try again" in conflict.content.decode()
        slow = Client().get("/slow/", **ZH)
        assert slow.status_code == 429 and slow["Retry-After"] == "42"
        assert "请求过于频繁" in slow.content.decode()


class TestAdminSite:
    def test_only_system_admins_enter(self, tree):
        for role in Role.values:
            client = Client()
            client.force_login(tree.people[role])
            response = client.get("/django-admin/")
            if role == Role.SYSTEM_ADMIN:
                assert response.status_code == 200
            else:
                assert client.get("/django-admin/", follow=True).status_code == 403

    def test_anonymous_visitors_use_the_one_sign_in_page(self, db):
        response = Client().get("/django-admin/", follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("login"))
        assert response.status_code == 200

    def test_records_with_history_are_read_only(self, tree):
        client = Client()
        client.force_login(tree.people[Role.SYSTEM_ADMIN])
        assert client.get("/django-admin/orgs/orgunit/").status_code == 200
        assert client.get("/django-admin/orgs/orgunit/add/").status_code == 403
        assert client.get("/django-admin/core/auditentry/").status_code == 200
        unit = tree.street_a
        response = client.post(f"/django-admin/orgs/orgunit/{unit.pk}/delete/", {"post": "yes"})
        assert response.status_code == 403

    def test_calendar_corrections_go_through_the_service(self, tree):
        from jiceng.core.models import AuditEntry

        client = Client()
        client.force_login(tree.people[Role.SYSTEM_ADMIN])
        response = client.post(
            "/django-admin/core/calendarday/add/",
            {"date": "2027-02-08", "kind": "holiday", "name": "春节"},
        )
        assert response.status_code == 302
        assert CalendarDay.objects.get().name == "春节"
        entry = AuditEntry.objects.get(action="core.calendar_day.set")
        assert entry.actor_user == tree.people[Role.SYSTEM_ADMIN]

    def test_api_keys_are_made_in_the_admin_and_shown_once(self, tree):
        from jiceng.orgs.models import ApiKey

        client = Client()
        client.force_login(tree.people[Role.SYSTEM_ADMIN])
        response = client.post(
            "/django-admin/orgs/apikey/add/",
            {"name": "市热线", "unit": tree.street_b.pk},
            follow=True,
            **EN,
        )
        key = ApiKey.objects.get()
        text = response.content.decode()
        assert f"jc_{key.prefix}_" in text
        assert key.key_hash not in text
