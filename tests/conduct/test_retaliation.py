"""Retaliation guard: every path by which the accused unit's staff, or their superiors who are
not discipline inspectors, might see a misconduct report or its reporter.

One report about 柳岸社区, named (so contact details exist), with evidence, handled through every
step by the street's inspector, with the reporter adding information. Then, as each other role:
every page of the site that takes no argument (crawled from the URL configuration, exports and
searches included), the pages that take one (with the report's, the case's and the units' ids),
the JSON API and Open311 with a session and with an API key of the accused unit, the Django
admin, the notifications and the audit log. None may show the report's text, the reporter's
name, phone, receipt code or passphrase, the person named, the inspectors' notes or answers; the
accused unit's staff may not even learn the report's number.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from jiceng.conduct import misconduct_services as svc
from jiceng.conduct.misconduct_models import MisconductKind, MisconductReport
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role
from jiceng.orgs.services import api_key_create
from tests.conduct.conftest import png
from tests.conduct.factories import submit_case
from tests.factories import actor_for

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

NAME, PHONE = "欧阳素琴", "13688889999"
DETAILS = "办理低保复核时窗口人员暗示要送两条烟才能通过"
PERSON = "民政窗口孙某"
PASS = "retaliation-guard-7"
NOTE = "调查记录：已调取窗口监控"
ACTION = "诫勉谈话并通报批评"
ANSWER = "经核查情况属实，已严肃处理"
INFO = "补充：送烟的要求是在下午三点左右提出的"
SECRETS = (NAME, PHONE, DETAILS, PERSON, PASS, NOTE, ACTION, ANSWER, INFO)

ACCUSED = [Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY]
SUPERIORS = [Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN]

# Pages a crawl must not GET: they change the session, or are the resident's own.
SKIP = {
    "logout",
    "set_language",
    "switch_acting",
    "misconduct_leave",
}


@pytest.fixture
def report(tree):
    """Filed through the public form (so the request passes every middleware), handled through
    every step, with information added by the reporter."""
    submit_case(tree.community_a1, at=clock.now() - timedelta(days=3), title="楼道堆放杂物")
    resident = Client()
    answer = resident.post(
        reverse("misconduct_report"),
        {
            "kind": MisconductKind.EXTORTION,
            "unit": str(tree.community_a1.pk),
            "person": PERSON,
            "details": DETAILS,
            "anonymous": "0",
            "name": NAME,
            "phone": PHONE,
            "passphrase": PASS,
            "passphrase_again": PASS,
            "evidence": png(),
        },
        **EN,
    )
    code = re.search(r'data-testid="receipt-code">([A-Z2-7-]+)<', answer.content.decode())
    assert code is not None
    filed = MisconductReport.objects.get()
    inspector = actor_for(tree.people[Role.DISCIPLINE_INSPECTOR])
    svc.misconduct_triage(actor=inspector, report=filed, accept=True)
    svc.misconduct_note(actor=inspector, report=filed, text=NOTE)
    svc.misconduct_reply(actor=inspector, report=filed, text=ANSWER)
    svc.misconduct_contact_show(actor=inspector, report=filed)
    svc.misconduct_add_info(report=filed, text=INFO)
    filed.refresh_from_db()
    svc.misconduct_conclude(
        actor=inspector, report=filed, outcome="substantiated", action_taken=ACTION
    )
    filed.code = code.group(1)  # type: ignore[attr-defined]
    return filed


def _secrets(report, role) -> tuple[str, ...]:
    code = report.code
    found = (*SECRETS, code, svc.normalise_code(code))
    if role in ACCUSED:
        found += (f"MR-{report.pk}",)
    return found


def _text(response) -> str:
    """What a response shows: HTML, JSON, CSV (streamed or not) or the cells of a workbook."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # XLSX
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return content.decode("utf-8", errors="replace")


def _plain_urls() -> list[tuple[str, str]]:
    """Every GET-able page without arguments, from the URL configuration."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if "<" in route or "(" in route or "^" in route or pattern.name in SKIP:
                    continue
                found.append((pattern.name or route, "/" + route))

    walk(get_resolver().url_patterns, "")
    return found


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ECHO = re.compile(r'value="[^"]*"|href="[^"]*"')


def _check(
    client: Client, url: str, secrets: tuple[str, ...], *, echo: bool = False, **headers
) -> int:
    """GET `url`; no 500, and none of `secrets` shown. With `echo`, what the page only echoes
    of the query (the search box's value, links that keep the query) is left out."""
    response = client.get(url, **EN, **headers)
    assert response.status_code < 500, url
    shown = _text(response)
    if echo:
        shown = ECHO.sub("", shown)
    for secret in secrets:
        assert secret not in shown, (url, secret)
    return response.status_code


@pytest.mark.parametrize("role", ACCUSED + SUPERIORS)
def test_no_page_without_arguments_shows_the_report(tree, report, role):
    client = _client(tree.people[role])
    secrets = _secrets(report, role)
    urls = _plain_urls()
    assert len(urls) > 50  # the crawl really walks the site
    for _name, url in urls:
        _check(client, url, secrets)


@pytest.mark.parametrize("role", ACCUSED + SUPERIORS)
def test_pages_with_arguments_searches_and_exports_show_nothing(tree, report, role):
    client = _client(tree.people[role])
    secrets = _secrets(report, role)
    evidence = report.evidence.first()
    case = tree.community_a1
    urls = [
        reverse("misconduct_detail", args=[report.pk]),
        reverse("misconduct_evidence", args=[report.pk, evidence.pk]),
        reverse("misconduct_inbox") + f"?unit={case.code}",
        reverse("unit_detail", args=["QH-DH-LA"]),
        reverse("unit_children", args=["QH-DH"]),
        reverse("conduct_dashboard_unit", args=["QH-DH"]),
        reverse("conduct_dashboard_unit", args=["QH-DH-LA"]),
        reverse("conduct_perfunctory", args=["QH-DH-LA"]),
        reverse("obstruction_unit_code", args=["QH-DH"]),
        reverse("user_detail", args=[tree.people[Role.DISCIPLINE_INSPECTOR].pk]),
        reverse("case_export") + "?format=csv",
        reverse("case_export") + "?format=xlsx",
        reverse("care_export") + "?format=csv",
        reverse("audit_list") + "?q=misconduct",
        reverse("misconduct_status"),
    ]
    for url in urls:
        _check(client, url, secrets)
    for text in (DETAILS[:6], NAME, PHONE, PERSON, f"MR-{report.pk}"):
        for page in ("case_queue", "case_worklist", "audit_list", "user_list"):
            _check(client, reverse(page) + f"?q={text}", secrets, echo=True)
    # The report's own pages do not exist for them.
    for url in urls[:3]:
        assert client.get(url, **EN).status_code in (404, 302), url


@pytest.mark.parametrize("role", ACCUSED + SUPERIORS)
def test_the_api_shows_nothing(tree, report, role):
    client = _client(tree.people[role])
    secrets = _secrets(report, role)
    for url in (
        "/api/v1/openapi.json",
        "/api/v1/me",
        "/api/v1/units",
        "/api/v1/units/QH-DH-LA",
        "/api/v1/units/QH-DH/children",
    ):
        _check(client, url, secrets)
    schema = client.get("/api/v1/openapi.json").content.decode()
    assert "isconduct" not in schema


def test_an_api_key_of_the_accused_unit_finds_nothing(tree, report):
    _key, raw = api_key_create(actor=SYSTEM, name="柳岸社区系统", unit=tree.community_a1)
    client = Client()
    secrets = _secrets(report, Role.BRANCH_SECRETARY)
    for url in ("/api/v1/me", "/api/v1/units", "/api/v1/units/QH-DH-LA"):
        assert _check(client, url, secrets, HTTP_X_API_KEY=raw) == 200
    for url in (
        f"/open311/v2/requests.json?api_key={raw}",
        f"/open311/v2/requests.xml?api_key={raw}",
        "/open311/v2/services.json",
        f"/open311/v2/requests/{report.pk}.json?api_key={raw}",
    ):
        _check(client, url, secrets)


@pytest.mark.parametrize("role", [*ACCUSED, Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN])
def test_the_django_admin_is_closed_to_them(tree, report, role):
    client = _client(tree.people[role])
    for url in ("/django-admin/", "/django-admin/core/auditentry/", "/django-admin/orgs/user/"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert DETAILS not in _text(response)


def test_the_django_admin_shows_system_administrators_no_report(tree, report):
    from jiceng.core.models import AuditEntry

    client = _client(tree.people[Role.SYSTEM_ADMIN])
    secrets = _secrets(report, Role.SYSTEM_ADMIN)
    filed = AuditEntry.objects.get(action="conduct.misconduct.filed")
    read = AuditEntry.objects.get(action="conduct.misconduct.contact_read")
    for url in (
        "/django-admin/",
        "/django-admin/core/auditentry/",
        f"/django-admin/core/auditentry/{filed.pk}/change/",
        f"/django-admin/core/auditentry/{read.pk}/change/",
        "/django-admin/orgs/user/",
    ):
        assert _check(client, url, secrets) == 200, url
    for query in (NAME, PHONE, DETAILS[:6]):
        for url in ("/django-admin/core/auditentry/", "/django-admin/orgs/user/"):
            assert _check(client, f"{url}?q={query}", secrets, echo=True) == 200
    # No model of the reports is in the admin at all.
    index = client.get("/django-admin/").content.decode()
    assert "isconduct" not in index.lower()
    assert client.get("/django-admin/conduct/misconductreport/").status_code == 404


def test_audit_entries_carry_nothing_of_the_reporter(tree, report):
    from jiceng.core.models import AuditEntry

    entries = AuditEntry.objects.filter(action__startswith="conduct.misconduct")
    assert entries.count() >= 7
    for entry in entries:
        dumped = f"{entry.data!r} {entry.reason} {entry.target_label} {entry.request_id}"
        for secret in _secrets(report, Role.SYSTEM_ADMIN):
            assert secret not in dumped
        # Filing and additions carry no actor unit: no unit's audit page lists them.
        if entry.action in ("conduct.misconduct.filed", "conduct.misconduct.info_added"):
            assert entry.actor_unit_id is None and entry.actor_user_id is None


@pytest.mark.parametrize("role", ACCUSED + SUPERIORS)
def test_notifications_and_their_emails_go_to_the_inspector_only(tree, report, role):
    from jiceng.cases.models import Notification

    user = tree.people[role]
    assert not Notification.objects.filter(recipient=user, verb__startswith="misconduct").exists()
    _check(_client(user), reverse("notifications"), _secrets(report, Role.GRID_WORKER))


def test_the_inspector_does_see_it_so_the_checks_above_can_fail(tree, report):
    """The same pages, as the street's inspector, do show the report: the guard is real."""
    client = _client(tree.people[Role.DISCIPLINE_INSPECTOR])
    detail = client.get(reverse("misconduct_detail", args=[report.pk]), **EN).content.decode()
    assert DETAILS in detail and NOTE in detail and INFO in detail
    notifications = client.get(reverse("notifications"), **EN).content.decode()
    assert f"MR-{report.pk}" in notifications
