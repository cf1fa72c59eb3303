"""Roster and equipment pages: roles (siblings 404), masking in lists and exports, bad input on
every form, and bounded query counts on the lists."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.core import clock
from jiceng.orgs.roles import Role
from jiceng.support import staff_services
from jiceng.support.models import Equipment, StaffMember, TrainingRecord
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _fixed_time():
    with clock.at(NOW):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(tree):
    return actor_for(tree.people[Role.COMMUNITY_STAFF])


@pytest.fixture
def member(tree, staff):
    return staff_services.staff_add(
        actor=staff,
        unit=tree.community_a1,
        name="李建国",
        position="网格员",
        employment="part_time",
        phone="13800138000",
    )


@pytest.fixture
def item(tree, staff):
    return staff_services.equipment_add(
        actor=staff,
        unit=tree.community_a1,
        name="灭火器",
        kind="safety",
        quantity=12,
        condition="good",
        last_checked_on=date(2025, 6, 1),
        next_check_due=date(2026, 6, 1),
    )


def _list(name, unit):
    return f"{reverse(name)}?unit={unit.code}"


class TestRosterPages:
    def test_the_unit_sees_the_full_number(self, tree, member):
        page = _client(tree.people[Role.COMMUNITY_STAFF]).get(
            _list("staff_list", tree.community_a1), **EN
        )
        assert "13800138000" in page.content.decode()
        detail = _client(tree.people[Role.BRANCH_SECRETARY]).get(
            reverse("staff_detail", args=[member.pk])
        )
        assert "13800138000" in detail.content.decode()

    def test_those_above_see_it_masked_in_list_detail_and_export(self, tree, member):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        for url in (
            _list("staff_list", tree.community_a1),
            reverse("staff_detail", args=[member.pk]),
        ):
            content = client.get(url).content.decode()
            assert "138****8000" in content
            assert "13800138000" not in content
        export = client.get(_list("staff_export", tree.community_a1), **EN)
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        assert rows[2][:4] == ("李建国", "网格员", "Part time", "138****8000")
        assert b"13800138000" not in export.content

    def test_the_units_own_export_has_the_number(self, tree, member):
        export = _client(tree.people[Role.COMMUNITY_STAFF]).get(reverse("staff_export"))
        rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
        assert rows[2][3] == "13800138000"

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            (Role.COMMUNITY_STAFF, 200),
            (Role.BRANCH_SECRETARY, 200),
            (Role.STREET_SUPERVISOR, 200),
            (Role.DISTRICT_ADMIN, 200),
            (Role.GRID_WORKER, 403),
            (Role.DISCIPLINE_INSPECTOR, 403),
            (Role.SYSTEM_ADMIN, 403),
        ],
    )
    def test_roles(self, tree, member, item, role, status):
        client = _client(tree.people[role])
        for url in (
            _list("staff_list", tree.community_a1),
            reverse("staff_detail", args=[member.pk]),
            _list("staff_export", tree.community_a1),
            _list("equipment_list", tree.community_a1),
        ):
            assert client.get(url).status_code == status, url

    def test_siblings_get_404(self, tree, member, item):
        client = _client(make_member(tree.community_a2, Role.BRANCH_SECRETARY))
        for url in (
            _list("staff_list", tree.community_a1),
            reverse("staff_detail", args=[member.pk]),
            reverse("staff_edit", args=[member.pk]),
            _list("staff_export", tree.community_a1),
            _list("equipment_list", tree.community_a1),
            reverse("equipment_edit", args=[item.pk]),
            reverse("equipment_check", args=[item.pk]),
        ):
            assert client.get(url).status_code == 404, url
        for url, data in (
            (reverse("staff_training_add", args=[member.pk]), {"date": "2026-01-01"}),
            (reverse("staff_leave", args=[member.pk]), {"left_on": "2026-01-01", "reason": "x"}),
        ):
            assert client.post(url, data).status_code == 404
        assert StaffMember.objects.get(pk=member.pk).left_on is None

    def test_add_edit_train_and_leave(self, tree):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        response = client.post(
            reverse("staff_new"),
            {
                "name": "赵敏",
                "position": "社工",
                "employment": "full_time",
                "phone": "010-87654321",
            },
        )
        member = StaffMember.objects.get()
        assert response["Location"] == reverse("staff_detail", args=[member.pk])
        client.post(
            reverse("staff_edit", args=[member.pk]),
            {"name": "赵敏", "position": "站长", "employment": "full_time", "phone": ""},
        )
        member.refresh_from_db()
        assert (member.position, member.phone) == ("站长", "")
        client.post(
            reverse("staff_training_add", args=[member.pk]),
            {"date": "2026-05-01", "topic": "应急救护", "hours": "4"},
        )
        assert TrainingRecord.objects.get().hours == 4
        client.post(
            reverse("staff_leave", args=[member.pk]), {"left_on": "2026-06-01", "reason": "调动"}
        )
        member.refresh_from_db()
        assert member.left_on == date(2026, 6, 1)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"name": ""}, "This field is required"),
            ({"phone": "110"}, "Enter a mobile number"),
            ({"employment": "sometimes"}, "Select a valid choice"),
            ({"joined_on": "2030-01-01"}, "cannot lie in the future"),
            ({"position": "职" * 51}, "at most 50 characters"),
        ],
    )
    def test_bad_staff_input(self, tree, changes, message):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        data = {"name": "赵敏", "position": "社工", "employment": "full_time", **changes}
        response = client.post(reverse("staff_new"), data, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert StaffMember.objects.count() == 0

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"date": "2026-05-01", "topic": "学习", "hours": "0"}, "from 0.5 to 200"),
            ({"date": "not a date", "topic": "学习", "hours": "2"}, "Enter a valid date"),
            ({"date": "2026-05-01", "topic": "", "hours": "2"}, "This field is required"),
        ],
    )
    def test_bad_training_input(self, tree, member, data, message):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        url = reverse("staff_training_add", args=[member.pk])
        response = client.post(url, data, follow=True, **EN)
        assert message in response.content.decode()
        assert TrainingRecord.objects.count() == 0

    def test_bad_leave_input(self, tree, member):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        url = reverse("staff_leave", args=[member.pk])
        response = client.post(url, {"left_on": "2026-06-01", "reason": ""}, follow=True, **EN)
        assert "This field is required" in response.content.decode()
        assert StaffMember.objects.get().left_on is None

    def test_those_above_cannot_edit(self, tree, member):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        assert client.get(reverse("staff_new")).status_code == 200  # for the street's own roster
        assert client.get(reverse("staff_edit", args=[member.pk])).status_code == 404
        response = client.post(
            reverse("staff_leave", args=[member.pk]), {"left_on": "2026-06-01", "reason": "x"}
        )
        assert response.status_code == 404
        assert StaffMember.objects.get().left_on is None

    def test_list_queries_do_not_grow(self, tree, staff, django_assert_max_num_queries):
        for number in range(30):
            staff_services.staff_add(
                actor=staff,
                unit=tree.community_a1,
                name=f"工作人员{number}",
                position="社工",
                employment="full_time",
                phone="13800138000",
            )
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        with django_assert_max_num_queries(9):
            response = client.get(_list("staff_list", tree.community_a1))
        assert len(response.context["rows"]) == 25


class TestEquipmentPages:
    def test_overdue_is_flagged(self, tree, item):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        response = client.get(_list("equipment_list", tree.community_a1), **EN)
        content = response.content.decode()
        assert "1 item is past its check date." in content
        assert "Check overdue" in content
        assert "Record a check" not in content  # those above read only

    def test_add_edit_and_check(self, tree):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        data = {
            "name": "投影仪",
            "kind": "audio_visual",
            "quantity": "1",
            "condition": "good",
            "last_checked_on": "2026-01-05",
            "next_check_due": "2026-07-05",
        }
        assert client.post(reverse("equipment_new"), data).status_code == 302
        item = Equipment.objects.get()
        client.post(reverse("equipment_edit", args=[item.pk]), {**data, "quantity": "2"})
        item.refresh_from_db()
        assert item.quantity == 2
        response = client.post(
            reverse("equipment_check", args=[item.pk]),
            {"checked_on": "2026-06-10", "condition": "fair", "next_check_due": "2026-12-10"},
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.last_checked_on, item.condition) == (date(2026, 6, 10), "fair")

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"quantity": "0"}, "greater than or equal to 1"),
            ({"quantity": "lots"}, "Enter a whole number"),
            ({"kind": "spaceship"}, "Select a valid choice"),
            ({"next_check_due": "2025-01-01"}, "cannot fall before the last one"),
            ({"last_checked_on": "2027-01-01"}, "cannot lie in the future"),
        ],
    )
    def test_bad_equipment_input(self, tree, changes, message):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        data = {
            "name": "投影仪",
            "kind": "audio_visual",
            "quantity": "1",
            "condition": "good",
            "last_checked_on": "2026-01-05",
            **changes,
        }
        response = client.post(reverse("equipment_new"), data, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert Equipment.objects.count() == 0

    def test_bad_check_input(self, tree, item):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        response = client.post(
            reverse("equipment_check", args=[item.pk]),
            {"checked_on": "2025-01-01", "condition": "good"},
            **EN,
        )
        assert response.status_code == 400
        assert "A later check is on record already." in response.content.decode()
        item.refresh_from_db()
        assert item.last_checked_on == date(2025, 6, 1)

    def test_list_queries_do_not_grow(self, tree, staff, django_assert_max_num_queries):
        for number in range(30):
            staff_services.equipment_add(
                actor=staff,
                unit=tree.community_a1,
                name=f"椅子{number}",
                kind="furniture",
                quantity=1,
                condition="good",
            )
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        with django_assert_max_num_queries(8):
            response = client.get(reverse("equipment_list"))
        assert len(response.context["rows"]) == 25
