"""The life of a rectification item: the unit reports, the supervisor verifies or returns."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from jiceng.conduct.models import (
    RectificationEvent,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
)
from jiceng.conduct.rectification_services import (
    rectification_report,
    rectification_return,
    rectification_verify,
)
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from tests.conduct.conftest import pdf
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db


def _kinds(item):
    return list(item.events.values_list("kind", "progress", "status_after"))


def test_partial_progress_keeps_the_item_open(actors, item):
    event = rectification_report(
        actor=actors[Role.COMMUNITY_STAFF],
        item=item,
        progress=40,
        note="已制作公示牌",
        evidence=[pdf()],
    )
    item.refresh_from_db()
    assert (item.progress, item.status) == (40, RectificationStatus.OPEN)
    assert (event.kind, event.note, event.actor_unit) == ("progress", "已制作公示牌", item.unit)
    evidence = RectificationEvidence.objects.get()
    assert (evidence.event, evidence.original_name, evidence.content_type) == (
        event,
        "report.pdf",
        "application/pdf",
    )
    assert evidence.file.read() == pdf().read()
    assert AuditEntry.objects.get(action="conduct.rectification.reported").data["progress"] == 40


def test_the_full_cycle_report_return_report_verify(tree, actors, item):
    staff, supervisor = actors[Role.COMMUNITY_STAFF], actors[Role.STREET_SUPERVISOR]
    rectification_report(actor=staff, item=item, progress=100, note="已公示")
    item.refresh_from_db()
    assert (item.progress, item.status) == (100, RectificationStatus.REPORTED)

    rectification_return(actor=supervisor, item=item, reason="公示牌内容不全")
    item.refresh_from_db()
    assert (item.progress, item.status, item.closed_at) == (100, RectificationStatus.RETURNED, None)

    rectification_report(actor=staff, item=item, progress=90, note="补充内容中")
    item.refresh_from_db()
    assert (item.progress, item.status) == (90, RectificationStatus.OPEN)
    rectification_report(actor=staff, item=item, progress=100, note="已补全")

    rectification_verify(actor=supervisor, item=item, note="现场核实")
    item.refresh_from_db()
    assert (item.status, item.progress) == (RectificationStatus.VERIFIED, 100)
    assert item.closed_at is not None
    assert _kinds(item) == [
        ("opened", 0, "open"),
        ("reported", 100, "reported"),
        ("returned", 100, "returned"),
        ("progress", 90, "open"),
        ("reported", 100, "reported"),
        ("verified", 100, "verified"),
    ]
    returned = item.events.get(kind="returned")
    assert (returned.note, returned.actor) == (
        "公示牌内容不全",
        tree.people[Role.STREET_SUPERVISOR],
    )
    assert (
        AuditEntry.objects.get(action="conduct.rectification.returned").reason == "公示牌内容不全"
    )


def test_only_a_reported_item_can_be_verified_or_returned(actors, item):
    supervisor = actors[Role.STREET_SUPERVISOR]
    with pytest.raises(Conflict):
        rectification_verify(actor=supervisor, item=item)
    with pytest.raises(Conflict):
        rectification_return(actor=supervisor, item=item, reason="不行")
    item.refresh_from_db()
    assert item.status == RectificationStatus.OPEN


def test_a_verified_item_takes_no_more_reports(actors, item):
    rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=100, note="完成")
    rectification_verify(actor=actors[Role.STREET_SUPERVISOR], item=item)
    with pytest.raises(Conflict):
        rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=50, note="x")
    with pytest.raises(Conflict):
        rectification_verify(actor=actors[Role.STREET_SUPERVISOR], item=item)
    assert RectificationEvent.objects.count() == 3


def test_a_report_made_on_a_stale_page_sees_the_stored_state(actors, item):
    stale = RectificationItem.objects.get(pk=item.pk)
    rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=100, note="完成")
    rectification_verify(actor=actors[Role.STREET_SUPERVISOR], item=item)
    with pytest.raises(Conflict):
        rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=stale, progress=10, note="x")


@pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY])
def test_the_units_own_staff_report(actors, item, role):
    rectification_report(actor=actors[role], item=item, progress=10, note="开始")
    item.refresh_from_db()
    assert item.progress == 10


@pytest.mark.parametrize(
    "role",
    [Role.GRID_WORKER, Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN, Role.DISCIPLINE_INSPECTOR],
)
def test_others_may_not_report(actors, item, role):
    with pytest.raises(Forbidden):
        rectification_report(actor=actors[role], item=item, progress=10, note="开始")
    item.refresh_from_db()
    assert item.progress == 0


def test_a_sibling_community_may_not_report(tree, item):
    sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
    with pytest.raises(Forbidden):
        rectification_report(actor=sibling, item=item, progress=10, note="开始")


@pytest.mark.parametrize("role", [Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN])
def test_supervisors_above_verify(actors, item, role):
    rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=100, note="完成")
    rectification_verify(actor=actors[role], item=item)
    item.refresh_from_db()
    assert item.status == RectificationStatus.VERIFIED


def test_nobody_else_verifies_or_returns(tree, actors, item):
    rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=100, note="完成")
    others = [
        actors[Role.BRANCH_SECRETARY],
        actors[Role.COMMUNITY_STAFF],
        actors[Role.DISCIPLINE_INSPECTOR],
        actor_for(make_member(tree.street_b, Role.STREET_SUPERVISOR)),
    ]
    for actor in others:
        with pytest.raises(Forbidden):
            rectification_verify(actor=actor, item=item)
        with pytest.raises(Forbidden):
            rectification_return(actor=actor, item=item, reason="不行")
    item.refresh_from_db()
    assert item.status == RectificationStatus.REPORTED


WORD_NAMED_PDF = SimpleUploadedFile(
    "fake.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
)


@pytest.mark.parametrize(
    ("progress", "note", "evidence", "message"),
    [
        (101, "x", [], "0 to 100"),
        (-1, "x", [], "0 to 100"),
        (50, "   ", [], "what has been done"),
        (50, "x" * 2001, [], "at most 2000"),
        (50, "x", [WORD_NAMED_PDF], "Only PDF"),
        (50, "x", [SimpleUploadedFile("e.pdf", b"")], "Only PDF"),
        (50, "x", [pdf() for _ in range(6)], "at most 5"),
    ],
)
def test_bad_reports_change_nothing(actors, item, progress, note, evidence, message):
    WORD_NAMED_PDF.seek(0)
    with translation.override("en"), pytest.raises(DomainError, match=message):
        rectification_report(
            actor=actors[Role.COMMUNITY_STAFF],
            item=item,
            progress=progress,
            note=note,
            evidence=evidence,
        )
    item.refresh_from_db()
    assert (item.progress, item.status) == (0, RectificationStatus.OPEN)
    assert item.events.count() == 1
    assert not RectificationEvidence.objects.exists()


def test_a_return_needs_a_reason(actors, item):
    rectification_report(actor=actors[Role.COMMUNITY_STAFF], item=item, progress=100, note="完成")
    with translation.override("en"), pytest.raises(DomainError, match="why"):
        rectification_return(actor=actors[Role.STREET_SUPERVISOR], item=item, reason=" ")
    item.refresh_from_db()
    assert item.status == RectificationStatus.REPORTED
