"""Misconduct report pages: the resident's journey, the inspector's pages, and every path by which
the accused unit might see the report or the reporter."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.conduct import misconduct_services as svc
from jiceng.conduct.misconduct_models import MisconductKind, MisconductReport, MisconductStatus
from jiceng.core.admin import admin_site
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from tests.conduct.conftest import png
from tests.factories import actor_for

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PASS = "correct horse"
DETAILS = "窗口工作人员索要好处费才给盖章"
NAME, PHONE = "李秀英", "13912345678"


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _form(tree, **overrides):
    data = {
        "kind": MisconductKind.EXTORTION,
        "unit": str(tree.community_a1.pk),
        "person": "窗口张某",
        "details": DETAILS,
        "anonymous": "1",
        "name": "",
        "phone": "",
        "passphrase": PASS,
        "passphrase_again": PASS,
    }
    data.update(overrides)
    return data


def _file_named(tree) -> MisconductReport:
    report, _ = svc.misconduct_file(
        kind=MisconductKind.EXTORTION,
        unit=tree.community_a1,
        person="窗口张某",
        details=DETAILS,
        anonymous=False,
        name=NAME,
        phone=PHONE,
        passphrase=PASS,
        evidence=[png()],
    )
    return report


def test_resident_files_reads_the_answer_and_adds_information(tree):
    resident = _client()
    form_page = resident.get(reverse("misconduct_report"), **EN)
    assert form_page.status_code == 200
    assert tree.district.name not in form_page.content.decode()  # the top unit is not offered
    answer = resident.post(reverse("misconduct_report"), _form(tree), **EN)
    assert answer.status_code == 200
    code = re.search(r'data-testid="receipt-code">([A-Z2-7-]+)<', answer.content.decode())
    assert code is not None
    report = MisconductReport.objects.get()
    assert report.anonymous and report.handling_unit == tree.street_a
    filed = AuditEntry.objects.get(action="conduct.misconduct.filed")
    assert filed.request_id == svc.ANONYMOUS_REQUEST_ID != answer["X-Request-ID"]

    inspector = _client(tree.people[Role.DISCIPLINE_INSPECTOR])
    detail = reverse("misconduct_detail", args=[report.pk])
    assert inspector.get(reverse("misconduct_inbox"), **EN).status_code == 200
    assert DETAILS in inspector.get(detail, **EN).content.decode()
    inspector.post(detail, {"action": "triage", "triage-decision": "accept"}, **EN)
    inspector.post(detail, {"action": "reply", "reply-text": "已立案调查，请耐心等待。"}, **EN)
    report.refresh_from_db()
    assert report.status == MisconductStatus.ACCEPTED

    wrong = resident.post(
        reverse("misconduct_lookup"), {"code": code.group(1), "passphrase": "not it!!"}, **EN
    )
    assert wrong.status_code == 200 and "已立案调查" not in wrong.content.decode()
    right = resident.post(
        reverse("misconduct_lookup"), {"code": code.group(1), "passphrase": PASS}, **EN
    )
    assert right.status_code == 302
    status = resident.get(reverse("misconduct_status"), **EN).content.decode()
    assert "已立案调查，请耐心等待。" in status and "Under investigation" in status
    added = resident.post(reverse("misconduct_status"), {"text": "补充：还有录音。"}, **EN)
    assert added.status_code == 302
    assert report.events.filter(kind="info", text="补充：还有录音。").exists()
    resident.post(reverse("misconduct_leave"), **EN)
    assert resident.get(reverse("misconduct_status"), **EN).status_code == 302


def test_wrong_passphrase_and_unknown_code_answer_alike(tree):
    _, code = svc.misconduct_file(
        kind=MisconductKind.OTHER,
        unit=tree.community_a1,
        details=DETAILS,
        anonymous=True,
        passphrase=PASS,
    )
    wrong = _client().post(
        reverse("misconduct_lookup"), {"code": code, "passphrase": "wrong one"}, **EN
    )
    unknown = _client().post(
        reverse("misconduct_lookup"),
        {"code": svc.new_receipt_code(), "passphrase": "wrong one"},
        **EN,
    )
    strip = re.compile(r'csrfmiddlewaretoken" value="[^"]+"|CSRFToken": "[^"]+"|value="[A-Z2-7-]+"')
    assert wrong.status_code == unknown.status_code == 200
    assert strip.sub("", wrong.content.decode()) == strip.sub("", unknown.content.decode())


def test_lookups_are_rate_limited_per_address(tree):
    client = _client()
    statuses = [
        client.post(
            reverse("misconduct_lookup"), {"code": "AAAA", "passphrase": "whatever1"}, **EN
        ).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429


def test_bad_report_input_changes_nothing(tree):
    client = _client()
    for data in (
        _form(tree, passphrase_again="different!"),
        _form(tree, anonymous="0"),  # named without name and phone
        _form(tree, details="字" * 4001),
        _form(tree, unit=str(tree.district.pk)),
        _form(tree, kind="bogus"),
    ):
        answer = client.post(reverse("misconduct_report"), data, **EN)
        assert answer.status_code == 200
        assert 'data-testid="receipt-code"' not in answer.content.decode()
    assert MisconductReport.objects.count() == 0


def test_show_contact_decrypts_on_request_and_is_audited(tree):
    report = _file_named(tree)
    inspector = _client(tree.people[Role.DISCIPLINE_INSPECTOR])
    detail = reverse("misconduct_detail", args=[report.pk])
    page = inspector.get(detail, **EN).content.decode()
    assert PHONE not in page and NAME not in page
    shown = inspector.post(detail, {"action": "show_contact"}, **EN).content.decode()
    assert PHONE in shown and NAME in shown
    entry = AuditEntry.objects.get(action="conduct.misconduct.contact_read")
    assert entry.actor_user == tree.people[Role.DISCIPLINE_INSPECTOR]


def test_inbox_query_count_does_not_grow_with_reports(tree):
    inspector = _client(tree.people[Role.DISCIPLINE_INSPECTOR])
    _file_named(tree)
    with CaptureQueriesContext(connection) as few:
        inspector.get(reverse("misconduct_inbox"), **EN)
    for _ in range(5):
        _file_named(tree)
    with CaptureQueriesContext(connection) as many:
        page = inspector.get(reverse("misconduct_inbox"), **EN)
    assert page.content.decode().count("data-report=") == 6
    assert len(many.captured_queries) == len(few.captured_queries)


ACCUSED = [Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY]
OTHERS = [Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN]


@pytest.mark.parametrize("role", ACCUSED + OTHERS)
def test_nobody_else_reaches_the_report_pages(tree, role):
    report = _file_named(tree)
    evidence = report.evidence.get()
    client = _client(tree.people[role])
    for url in (
        reverse("misconduct_inbox"),
        reverse("misconduct_detail", args=[report.pk]),
        reverse("misconduct_evidence", args=[report.pk, evidence.pk]),
    ):
        assert client.get(url, **EN).status_code == 404, url
    shown = client.post(
        reverse("misconduct_detail", args=[report.pk]), {"action": "show_contact"}, **EN
    )
    assert shown.status_code == 404
    triage = client.post(
        reverse("misconduct_detail", args=[report.pk]),
        {"action": "triage", "triage-decision": "accept"},
        **EN,
    )
    assert triage.status_code == 404
    report.refresh_from_db()
    assert report.status == MisconductStatus.NEW
    assert not AuditEntry.objects.filter(action="conduct.misconduct.contact_read").exists()


@pytest.mark.parametrize("role", ACCUSED)
def test_accused_unit_finds_nothing_in_its_own_pages(tree, role):
    report = _file_named(tree)
    client = _client(tree.people[role])
    for url in (
        reverse("case_worklist") + "?q=" + DETAILS[:4],
        reverse("case_queue"),
        reverse("notifications"),
        reverse("conduct_rectification_list"),
        reverse("audit_list"),
        "/api/v1/openapi.json",
    ):
        page = client.get(url, **EN)
        body = page.content.decode()
        for secret in (DETAILS, NAME, PHONE, "窗口张某", f"MR-{report.pk}", "misconduct"):
            assert secret not in body, (url, secret)


def test_audit_log_shows_district_admins_nothing_of_the_reporter(tree):
    report = _file_named(tree)
    inspector = actor_for(tree.people[Role.DISCIPLINE_INSPECTOR])
    svc.misconduct_triage(actor=inspector, report=report, accept=True)
    svc.misconduct_contact_show(actor=inspector, report=report)
    admin = _client(tree.people[Role.DISTRICT_ADMIN])
    body = admin.get(reverse("audit_list"), **EN).content.decode()
    for secret in (NAME, PHONE, DETAILS, PASS):
        assert secret not in body
    for entry in AuditEntry.objects.filter(action__startswith="conduct.misconduct"):
        dumped = repr(entry.data) + entry.reason + entry.target_label
        for secret in (NAME, PHONE, DETAILS, PASS, "窗口张某"):
            assert secret not in dumped


def test_reports_are_not_in_the_admin_or_the_api(tree):
    assert not admin_site.is_registered(MisconductReport)
    _file_named(tree)
    admin = _client(tree.people[Role.SYSTEM_ADMIN])
    schema = admin.get("/api/v1/openapi.json").content.decode()
    assert "isconduct" not in schema


def test_only_inspectors_get_the_inbox_link(tree):
    inspector = _client(tree.people[Role.DISCIPLINE_INSPECTOR])
    secretary = _client(tree.people[Role.BRANCH_SECRETARY])
    inbox = reverse("misconduct_inbox")
    assert inbox in inspector.get(reverse("misconduct_inbox"), **EN).content.decode()
    assert inbox not in secretary.get(reverse("case_worklist"), **EN).content.decode()
    assert reverse("misconduct_report") in _client().get(reverse("landing"), **EN).content.decode()
