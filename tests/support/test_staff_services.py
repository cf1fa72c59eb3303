"""Staff roster services and selectors: adding, editing, leaving, training, staff per 1,000
residents, and phone numbers masked for those outside the unit."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.utils import translation

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.core.privacy import mask_phone
from jiceng.orgs import services as org_services
from jiceng.orgs.roles import Role
from jiceng.support import staff_selectors, staff_services
from jiceng.support.models import StaffMember, TrainingRecord
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _fixed_time():
    with clock.at(NOW), translation.override("en"):
        yield


@pytest.fixture
def staff(tree):
    return actor_for(tree.people[Role.COMMUNITY_STAFF])


def _add(actor, unit, **changes):
    data = {
        "name": "王秀英",
        "position": "社区专职工作者",
        "employment": "full_time",
        "phone": "13912345678",
        "joined_on": date(2021, 3, 1),
        **changes,
    }
    return staff_services.staff_add(actor=actor, unit=unit, **data)


def _state():
    return (StaffMember.objects.count(), TrainingRecord.objects.count(), AuditEntry.objects.count())


class TestRoster:
    def test_add_and_audit_without_the_phone(self, tree, staff):
        member = _add(staff, tree.community_a1)
        assert (member.unit, member.unit_path, member.phone, member.is_active) == (
            tree.community_a1,
            tree.community_a1.path,
            "13912345678",
            True,
        )
        entry = AuditEntry.objects.get(action="support.staff.added")
        assert "13912345678" not in str(entry.data)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"name": " "}, "name"),
            ({"name": "名" * 51}, "name"),
            ({"position": ""}, "position"),
            ({"employment": "volunteer"}, "employment"),
            ({"phone": "12345"}, "phone"),
            ({"phone": "1391234567a"}, "phone"),
            ({"joined_on": date(2026, 7, 1)}, "joined_on"),
            ({"joined_on": date(1900, 1, 1)}, "joined_on"),
        ],
    )
    def test_bad_input_changes_nothing(self, tree, staff, changes, field):
        before = _state()
        with pytest.raises(DomainError) as error:
            _add(staff, tree.community_a1, **changes)
        assert error.value.field == field
        assert _state() == before

    @pytest.mark.parametrize(
        "phone", ["", "010-12345678", "02112345678", "87654321", "139 1234 5678"]
    )
    def test_landlines_and_no_phone_are_fine(self, tree, staff, phone):
        assert _add(staff, tree.community_a1, phone=phone).phone == phone.replace(" ", "")

    @pytest.mark.parametrize(
        ("role", "unit_name"),
        [
            (Role.GRID_WORKER, "grid_a1"),
            (Role.COMMUNITY_STAFF, "community_a2"),
            (Role.STREET_SUPERVISOR, "community_a1"),
            (Role.DISTRICT_ADMIN, "district"),
            (Role.DISCIPLINE_INSPECTOR, "street_a"),
        ],
    )
    def test_only_the_unit_keeps_its_roster(self, tree, role, unit_name):
        with pytest.raises(Forbidden):
            _add(actor_for(tree.people[role]), getattr(tree, unit_name))
        assert StaffMember.objects.count() == 0

    def test_update_records_what_changed(self, tree, staff):
        member = _add(staff, tree.community_a1)
        staff_services.staff_update(
            actor=staff,
            staff=member,
            name="王秀英",
            position="党群服务中心主任",
            employment="full_time",
            phone="13912345678",
            joined_on=date(2021, 3, 1),
        )
        member.refresh_from_db()
        assert member.position == "党群服务中心主任"
        assert AuditEntry.objects.get(action="support.staff.changed").data["fields"] == ["position"]

    def test_leaving_keeps_the_record(self, tree, staff):
        member = _add(staff, tree.community_a1)
        staff_services.staff_training_add(
            actor=staff, staff=member, date=date(2026, 3, 2), topic="接诉即办培训", hours="3"
        )
        with pytest.raises(DomainError) as error:
            staff_services.staff_leave(
                actor=staff, staff=member, left_on=date(2026, 6, 1), reason=""
            )
        assert error.value.field == "reason"
        with pytest.raises(DomainError, match="before they joined"):
            staff_services.staff_leave(
                actor=staff, staff=member, left_on=date(2020, 1, 1), reason="调动"
            )
        staff_services.staff_leave(
            actor=staff, staff=member, left_on=date(2026, 6, 1), reason="调往街道"
        )
        member.refresh_from_db()
        assert (member.left_on, member.left_reason, member.trainings.count()) == (
            date(2026, 6, 1),
            "调往街道",
            1,
        )
        with pytest.raises(Conflict):
            staff_services.staff_leave(
                actor=staff, staff=member, left_on=date(2026, 6, 2), reason="再走"
            )
        with pytest.raises(Conflict):
            staff_services.staff_update(
                actor=staff, staff=member, name="x", position="y", employment="part_time"
            )
        assert list(staff_selectors.staff_list(staff, unit=tree.community_a1)) == []
        assert list(
            staff_selectors.staff_list(staff, unit=tree.community_a1, include_left=True)
        ) == [member]


class TestTraining:
    def test_hours_add_up_on_the_list(self, tree, staff):
        member = _add(staff, tree.community_a1)
        for day, hours in ((date(2026, 3, 2), "3"), (date(2026, 4, 9), "1.5")):
            staff_services.staff_training_add(
                actor=staff, staff=member, date=day, topic="矛盾纠纷调解", hours=hours
            )
        listed = staff_selectors.staff_list(staff, unit=tree.community_a1).get()
        assert (listed.training_hours, listed.training_count) == (Decimal("4.5"), 2)
        assert AuditEntry.objects.filter(action="support.staff.trained").count() == 2

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"hours": "0"}, "hours"),
            ({"hours": "0.4"}, "hours"),
            ({"hours": "201"}, "hours"),
            ({"hours": "1.25"}, "hours"),
            ({"hours": "abc"}, "hours"),
            ({"hours": "NaN"}, "hours"),
            ({"topic": ""}, "topic"),
            ({"topic": "课" * 201}, "topic"),
            ({"date": date(2026, 6, 16)}, "date"),
        ],
    )
    def test_bad_training_changes_nothing(self, tree, staff, changes, field):
        member = _add(staff, tree.community_a1)
        before = _state()
        data = {"date": date(2026, 3, 2), "topic": "培训", "hours": "2", **changes}
        with pytest.raises(DomainError) as error:
            staff_services.staff_training_add(actor=staff, staff=member, **data)
        assert error.value.field == field
        assert _state() == before


class TestRatioAndMasking:
    def test_staff_per_thousand_residents_over_the_subtree(self, tree, staff):
        unit = tree.community_a1
        org_services.unit_update(
            actor=SYSTEM,
            unit=unit,
            name=unit.name,
            population=4000,
            address=unit.address,
            phone=unit.phone,
            is_active=True,
        )
        tree.community_a1.refresh_from_db()
        _add(staff, tree.community_a1, name="甲")
        _add(staff, tree.community_a1, name="乙", employment="part_time")
        gone = _add(staff, tree.community_a1, name="丙")
        staff_services.staff_leave(actor=staff, staff=gone, left_on=date(2026, 5, 1), reason="退休")
        grid = actor_for(make_member(tree.grid_a1, Role.BRANCH_SECRETARY))
        _add(grid, tree.grid_a1, name="丁")
        ratio = staff_selectors.staff_ratio(tree.community_a1)
        assert (ratio.staff, ratio.full_time, ratio.population, ratio.per_thousand) == (
            3,
            2,
            4000,
            Decimal("0.75"),
        )
        assert staff_selectors.staff_ratio(tree.community_a2).per_thousand is None

    def test_the_ratio_is_scoped_when_an_actor_asks(self, tree, staff):
        sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
        with pytest.raises(Http404):
            staff_selectors.staff_ratio(tree.community_a1, actor=sibling)

    @pytest.mark.parametrize(
        ("phone", "masked"),
        [
            ("13912345678", "139****5678"),
            ("010-12345678", "010****5678"),
            ("87654321", "****4321"),
            ("123", "***"),
        ],
    )
    def test_mask(self, phone, masked):
        assert mask_phone(phone) == masked

    def test_the_unit_sees_the_number_those_above_see_it_masked(self, tree, staff):
        member = _add(staff, tree.community_a1)
        assert staff_selectors.shown_phone(staff, member) == "13912345678"
        secretary = actor_for(tree.people[Role.BRANCH_SECRETARY])
        assert staff_selectors.shown_phone(secretary, member) == "13912345678"
        for role in (Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN):
            assert (
                staff_selectors.shown_phone(actor_for(tree.people[role]), member) == "139****5678"
            )

    def test_lists_are_scoped(self, tree, staff):
        _add(staff, tree.community_a1)
        sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
        assert staff_selectors.staff_list(sibling, unit=tree.community_a1).count() == 0
        grid = actor_for(tree.people[Role.GRID_WORKER])
        assert staff_selectors.staff_list(grid, unit=tree.community_a1).count() == 0
        street = actor_for(tree.people[Role.STREET_SUPERVISOR])
        assert staff_selectors.staff_list(street, unit=tree.community_a1).count() == 1
