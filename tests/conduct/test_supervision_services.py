"""Recording supervision visits: findings become rectification items; bad input changes nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from jiceng.conduct.models import (
    FindingPhoto,
    Inspection,
    InspectionFinding,
    RectificationEvent,
    RectificationItem,
    RectificationStatus,
)
from jiceng.conduct.supervision_services import FindingInput, finding_deadline
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from tests.conduct.conftest import png
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_each_finding_opens_an_item_for_the_unit(tree, record_visit):
    owner = tree.people[Role.COMMUNITY_STAFF]
    visit = record_visit(
        findings=[
            FindingInput(title="开放时间未公示", note="门口没有公示牌", owner=owner, weight=2),
            FindingInput(title="台账不全", deadline_days=3, photos=[png()]),
        ]
    )
    findings = list(visit.findings.order_by("position"))
    assert [f.title for f in findings] == ["开放时间未公示", "台账不全"]
    items = {item.source_id: item for item in RectificationItem.objects.all()}
    first, second = items[findings[0].pk], items[findings[1].pk]
    assert (first.source_kind, first.unit, first.owner, first.weight, first.status) == (
        "supervision",
        tree.community_a1,
        owner,
        2,
        RectificationStatus.OPEN,
    )
    assert first.description == "门口没有公示牌"
    assert first.opened_by == tree.people[Role.STREET_SUPERVISOR]
    assert first.deadline == finding_deadline(visit.visited_on, 10)
    assert second.deadline == finding_deadline(visit.visited_on, 3)
    assert second.owner is None
    photo = FindingPhoto.objects.get()
    assert (photo.finding, photo.content_type) == (findings[1], "image/png")
    assert RectificationEvent.objects.filter(kind="opened").count() == 2
    entry = AuditEntry.objects.get(action="conduct.inspection.recorded")
    assert entry.data["findings"] == 2
    assert sorted(entry.data["items"]) == sorted(item.pk for item in items.values())


def test_the_default_deadline_counts_working_days_from_the_visit(tree):
    calendar = get_calendar()
    # Friday 2026-09-25; the National Day holidays (1–8 October 2026) do not count.
    visit = date(2026, 9, 25)
    deadline = finding_deadline(visit, 10)
    expected = calendar.add_working_days(datetime.combine(visit, time(12), tzinfo=calendar.tz), 10)
    assert deadline == expected
    assert calendar.working_days_between(visit, timezone.localtime(deadline).date()) == 10


def test_a_visit_without_findings_opens_nothing(record_visit):
    visit = record_visit(findings=[])
    assert visit.findings.count() == 0
    assert not RectificationItem.objects.exists()


@pytest.mark.parametrize(
    ("role", "unit_name"),
    [
        (Role.BRANCH_SECRETARY, "community_a1"),  # no SUPERVISE capability
        (Role.COMMUNITY_STAFF, "community_a1"),
        (Role.STREET_SUPERVISOR, "street_a"),  # own unit, not below
        (Role.STREET_SUPERVISOR, "community_b1"),  # another street's village
    ],
)
def test_only_supervisors_above_the_unit_may_record(tree, actors, record_visit, role, unit_name):
    with pytest.raises(Forbidden):
        record_visit(actor=actors[role], unit=getattr(tree, unit_name))
    assert not Inspection.objects.exists()


def test_the_district_may_visit_any_unit_below(tree, actors, record_visit):
    visit = record_visit(actor=actors[Role.DISTRICT_ADMIN], unit=tree.community_b1, findings=[])
    assert visit.supervisor_unit == tree.district


NOT_AN_IMAGE = SimpleUploadedFile("x.png", b"not really a png", content_type="image/png")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"visited_on": timezone.localdate() + timedelta(days=1)}, "future"),
        ({"visited_on": timezone.localdate() - timedelta(days=400)}, "past year"),
        ({"people_met": "  "}, "required"),
        ({"checked": "x" * 2001}, "at most 2000"),
        ({"findings": [FindingInput(title=" ")]}, "Finding 1: This field is required"),
        ({"findings": [FindingInput(title="a", deadline_days=0)]}, "1 to 250"),
        ({"findings": [FindingInput(title="a", weight=11)]}, "1 to 10"),
        ({"findings": [FindingInput(title="a", photos=[NOT_AN_IMAGE])]}, "JPEG, PNG and WebP"),
        ({"findings": [FindingInput(title=str(n)) for n in range(21)]}, "at most 20"),
        (
            {
                "visited_on": timezone.localdate() - timedelta(days=60),
                "findings": [FindingInput(title="a", deadline_days=2)],
            },
            "passed already",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(record_visit, overrides, message):
    NOT_AN_IMAGE.seek(0)
    with translation.override("en"), pytest.raises(DomainError, match=message):
        record_visit(**overrides)
    assert not Inspection.objects.exists()
    assert not InspectionFinding.objects.exists()
    assert not RectificationItem.objects.exists()
    assert not FindingPhoto.objects.exists()


def test_the_owner_must_be_a_member_of_the_unit(tree, record_visit):
    outsider = make_member(tree.community_a2, Role.COMMUNITY_STAFF)
    with translation.override("en"), pytest.raises(DomainError, match="member of the unit"):
        record_visit(findings=[FindingInput(title="台账不全", owner=outsider)])
    assert not Inspection.objects.exists()


def test_a_later_finding_refused_rolls_back_the_earlier_ones(tree, record_visit):
    with pytest.raises(DomainError):
        record_visit(findings=[FindingInput(title="台账不全"), FindingInput(title="b", weight=0)])
    assert not RectificationItem.objects.exists()
    assert not Inspection.objects.exists()
