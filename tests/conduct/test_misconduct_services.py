"""Misconduct reports: filing, routing, lookup, the inspectors' steps and the contact guard."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from jiceng.conduct import misconduct_services as svc
from jiceng.conduct.misconduct_models import (
    MisconductEvent,
    MisconductEvidence,
    MisconductKind,
    MisconductOutcome,
    MisconductReport,
    MisconductStatus,
)
from jiceng.conduct.misconduct_selectors import misconduct_get, misconduct_inbox
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role, UnitKind
from tests.conduct.conftest import pdf, png
from tests.factories import actor_for, make_member, make_unit

PASS = "correct horse"


def file(tree, **overrides):
    fields = {
        "kind": MisconductKind.EXTORTION,
        "unit": tree.community_a1,
        "details": "办证时工作人员暗示要好处费。",
        "anonymous": True,
        "passphrase": PASS,
    }
    fields.update(overrides)
    return svc.misconduct_file(**fields)


@pytest.fixture
def inspector(tree):
    return actor_for(tree.people[Role.DISCIPLINE_INSPECTOR])


def test_anonymous_report_is_routed_to_the_street_and_stores_no_identity(tree):
    report, code = file(tree, evidence=[png(), pdf()])
    assert report.handling_unit == tree.street_a
    assert report.accused_path == tree.community_a1.path
    assert report.contact_encrypted is None
    assert report.passphrase_hash != PASS and report.passphrase_hash.startswith("md5$") is True
    assert code.replace("-", "") not in report.receipt_digest
    assert len(code.replace("-", "")) == 26  # 130 bits of base32
    assert sorted(MisconductEvidence.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/png",
    ]
    entry = AuditEntry.objects.get(action="conduct.misconduct.filed")
    assert entry.actor_unit_id is None and entry.actor_user_id is None
    assert PASS not in json.dumps(entry.data) and code not in json.dumps(entry.data)


def test_receipt_codes_differ(tree):
    codes = {file(tree)[1] for _ in range(5)}
    assert len(codes) == 5


def test_named_contact_is_encrypted_at_rest(tree, inspector):
    report, _ = file(tree, anonymous=False, name="王小明", phone="13800001111")
    raw = bytes(MisconductReport.objects.get(pk=report.pk).contact_encrypted)
    assert b"13800001111" not in raw and "王小明".encode() not in raw
    contact = svc.misconduct_contact_show(actor=inspector, report=report)
    assert contact == {"name": "王小明", "phone": "13800001111"}
    entry = AuditEntry.objects.get(action="conduct.misconduct.contact_read")
    dumped = json.dumps(entry.data, ensure_ascii=False) + entry.reason + entry.target_label
    assert "13800001111" not in dumped and "王小明" not in dumped


def test_routing_falls_back_to_the_district_without_street_inspectors(tree):
    report, _ = file(tree, unit=tree.community_b1)
    assert report.handling_unit == tree.district  # 石泉镇 has no inspector
    report, _ = file(tree, unit=tree.grid_a1)
    assert report.handling_unit == tree.street_a
    report, _ = file(tree, unit=tree.street_a)
    assert report.handling_unit == tree.district


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"kind": "bogus"}, "kind"),
        ({"details": "   "}, "details"),
        ({"details": "字" * 4001}, "details"),
        ({"passphrase": "short"}, "passphrase"),
        ({"anonymous": False, "name": "王", "phone": "abc"}, "phone"),
        ({"anonymous": False, "name": "", "phone": "13800001111"}, "name"),
        ({"evidence": [SimpleUploadedFile("x.pdf", b"MZ\x90\x00evil")]}, "evidence"),
        ({"evidence": [png() for _ in range(6)]}, "evidence"),
    ],
)
def test_bad_input_changes_nothing(tree, overrides, field):
    with pytest.raises(DomainError) as error:
        file(tree, **overrides)
    assert error.value.field == field
    assert MisconductReport.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="conduct.misconduct").count() == 0


def test_top_unit_and_inactive_units_cannot_be_reported(tree):
    with pytest.raises(DomainError):
        file(tree, unit=tree.district)
    tree.community_a2.is_active = False
    tree.community_a2.save()
    with pytest.raises(DomainError):
        file(tree, unit=tree.community_a2)
    assert tree.district not in svc.reportable_units()
    assert tree.community_a2 not in svc.reportable_units()


def test_lookup_needs_code_and_passphrase_and_treats_failures_alike(tree, monkeypatch):
    report, code = file(tree)
    assert svc.misconduct_lookup(code=code, passphrase=PASS) == report
    assert svc.misconduct_lookup(code=code.lower().replace("-", " "), passphrase=PASS) == report
    checked: list[str] = []
    real = svc.check_password

    def counting(password, encoded):
        checked.append(encoded)
        return real(password, encoded)

    monkeypatch.setattr(svc, "check_password", counting)
    wrong = svc.misconduct_lookup(code=code, passphrase="wrong passphrase")
    unknown = svc.misconduct_lookup(code=svc.new_receipt_code(), passphrase=PASS)
    empty = svc.misconduct_lookup(code="", passphrase="")
    assert wrong is None and unknown is None and empty is None
    # every failure checks one slow hash: the report's, or a dummy when the code is unknown
    assert len(checked) == 3
    assert checked[0] == report.passphrase_hash and checked[1] != report.passphrase_hash


def test_inspector_workflow_builds_the_timeline(tree, inspector):
    report, code = file(tree)
    svc.misconduct_triage(actor=inspector, report=report, accept=True)
    with pytest.raises(Conflict):
        svc.misconduct_triage(actor=inspector, report=report, accept=True)
    svc.misconduct_note(actor=inspector, report=report, text="约谈窗口人员。")
    svc.misconduct_conclude(
        actor=inspector,
        report=report,
        outcome=MisconductOutcome.PARTLY,
        action_taken="对相关人员批评教育。",
    )
    svc.misconduct_reply(actor=inspector, report=report, text="经核查，情况部分属实，已处理。")
    report.refresh_from_db()
    assert report.status == MisconductStatus.CONCLUDED
    assert report.outcome == MisconductOutcome.PARTLY
    kinds = list(report.events.values_list("kind", "public"))
    assert kinds == [
        ("filed", True),
        ("accepted", True),
        ("note", False),
        ("outcome", False),
        ("reply", True),
    ]
    found = svc.misconduct_lookup(code=code, passphrase=PASS)
    assert found is not None
    svc.misconduct_add_info(report=found, text="补充：时间是周二上午。", evidence=[png()])
    assert report.events.last().kind == MisconductEvent.Kind.INFO
    actions = set(
        AuditEntry.objects.filter(action__startswith="conduct.misconduct").values_list(
            "action", flat=True
        )
    )
    assert actions >= {
        "conduct.misconduct.filed",
        "conduct.misconduct.accepted",
        "conduct.misconduct.noted",
        "conduct.misconduct.concluded",
        "conduct.misconduct.replied",
        "conduct.misconduct.info_added",
    }


def test_not_in_scope_needs_a_reason(tree, inspector):
    report, _ = file(tree)
    with pytest.raises(DomainError):
        svc.misconduct_triage(actor=inspector, report=report, accept=False, reason="")
    report.refresh_from_db()
    assert report.status == MisconductStatus.NEW
    svc.misconduct_triage(actor=inspector, report=report, accept=False, reason="属于信访事项。")
    report.refresh_from_db()
    assert report.status == MisconductStatus.NOT_IN_SCOPE


@pytest.mark.parametrize(
    "role",
    [
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.BRANCH_SECRETARY,
        Role.STREET_SUPERVISOR,
        Role.DISTRICT_ADMIN,
        Role.SYSTEM_ADMIN,
    ],
)
def test_nobody_but_inspectors_sees_or_acts(tree, role):
    report, _ = file(tree, anonymous=False, name="王小明", phone="13800001111")
    actor = actor_for(tree.people[role])
    assert not misconduct_inbox(actor=actor).exists()
    with pytest.raises(Http404):
        misconduct_get(actor=actor, pk=report.pk)
    for call in (
        lambda: svc.misconduct_contact_show(actor=actor, report=report),
        lambda: svc.misconduct_triage(actor=actor, report=report, accept=True),
        lambda: svc.misconduct_reply(actor=actor, report=report, text="x"),
    ):
        with pytest.raises(Forbidden):
            call()
    assert not AuditEntry.objects.filter(action="conduct.misconduct.contact_read").exists()


def test_inspectors_see_only_reports_below_their_own_level(tree, inspector):
    about_community, _ = file(tree)
    about_street, _ = file(tree, unit=tree.street_a)
    about_other_street, _ = file(tree, unit=tree.community_b1)
    assert list(misconduct_inbox(actor=inspector)) == [about_community]
    with pytest.raises(Http404):
        misconduct_get(actor=inspector, pk=about_street.pk)  # their own unit: never
    with pytest.raises(Http404):
        misconduct_get(actor=inspector, pk=about_other_street.pk)  # a sibling's subtree
    district_inspector = actor_for(make_member(tree.district, Role.DISCIPLINE_INSPECTOR))
    assert set(misconduct_inbox(actor=district_inspector)) == {
        about_community,
        about_street,
        about_other_street,
    }


def test_an_inspector_at_a_lower_street_cannot_see_reports_about_that_street(tree):
    street_c = make_unit(tree.district, UnitKind.STREET, "新城街道", code="QH-XC")
    inspector_c = actor_for(make_member(street_c, Role.DISCIPLINE_INSPECTOR))
    report, _ = file(tree, unit=street_c)
    assert report.handling_unit == tree.district
    assert not misconduct_inbox(actor=inspector_c).exists()
