"""Equipment inventory: adding, editing, recording checks, overdue checks flagged, scoping."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from jiceng.core import clock
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from jiceng.support import staff_selectors, staff_services
from jiceng.support.models import Equipment
from tests.factories import actor_for, make_member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _fixed_time():
    with clock.at(NOW), translation.override("en"):
        yield


@pytest.fixture
def staff(tree):
    return actor_for(tree.people[Role.COMMUNITY_STAFF])


def _add(actor, unit, **changes):
    data = {
        "name": "自动体外除颤器",
        "kind": "medical",
        "quantity": 1,
        "condition": "good",
        "last_checked_on": date(2026, 1, 10),
        "next_check_due": date(2026, 7, 10),
        "note": "",
        **changes,
    }
    return staff_services.equipment_add(actor=actor, unit=unit, **data)


def test_added_and_audit_logged(tree, staff):
    item = _add(staff, tree.community_a1)
    assert (item.unit_path, item.quantity, item.check_overdue(TODAY)) == (
        tree.community_a1.path,
        1,
        False,
    )
    assert AuditEntry.objects.get(action="support.equipment.added").data["kind"] == "medical"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "设" * 101}, "name"),
        ({"kind": "weapon"}, "kind"),
        ({"condition": "shiny"}, "condition"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 100_001}, "quantity"),
        ({"quantity": "3"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"last_checked_on": date(2026, 6, 16)}, "last_checked_on"),
        ({"next_check_due": date(2026, 1, 9)}, "next_check_due"),
        ({"next_check_due": date(2032, 1, 1)}, "next_check_due"),
        ({"note": "注" * 201}, "note"),
    ],
)
def test_bad_input_changes_nothing(tree, staff, changes, field):
    before = (Equipment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as error:
        _add(staff, tree.community_a1, **changes)
    assert error.value.field == field
    assert (Equipment.objects.count(), AuditEntry.objects.count()) == before


def test_overdue_checks_are_flagged_but_not_for_retired_items(tree, staff):
    due = _add(staff, tree.community_a1, name="灭火器", next_check_due=date(2026, 6, 14))
    _add(staff, tree.community_a1, name="投影仪", next_check_due=date(2026, 6, 15))
    _add(
        staff,
        tree.community_a1,
        name="旧电脑",
        condition="retired",
        next_check_due=date(2026, 1, 31),
    )
    _add(staff, tree.community_a1, name="桌椅", last_checked_on=None, next_check_due=None)
    assert due.check_overdue(TODAY) is True
    overdue = staff_selectors.equipment_list(staff, unit=tree.community_a1, overdue_only=True)
    assert [item.name for item in overdue] == ["灭火器"]
    assert staff_selectors.equipment_overdue_count(staff, unit=tree.community_a1) == 1


def test_a_check_moves_the_dates(tree, staff):
    item = _add(staff, tree.community_a1, next_check_due=date(2026, 5, 1))
    staff_services.equipment_check(
        actor=staff,
        equipment=item,
        checked_on=date(2026, 6, 12),
        condition="needs_repair",
        next_check_due=date(2026, 12, 12),
        note="电极片过期",
    )
    item.refresh_from_db()
    assert (item.last_checked_on, item.next_check_due, item.condition, item.note) == (
        date(2026, 6, 12),
        date(2026, 12, 12),
        "needs_repair",
        "电极片过期",
    )
    assert item.check_overdue(TODAY) is False
    logged = AuditEntry.objects.get(action="support.equipment.checked")
    assert logged.data["condition"] == "needs_repair"


@pytest.mark.parametrize(
    ("checked_on", "next_due", "field"),
    [
        (date(2026, 1, 1), None, "checked_on"),  # before the last check on record
        (date(2026, 6, 16), None, "checked_on"),  # in the future
        ("today", None, "checked_on"),
        (date(2026, 6, 12), date(2026, 6, 11), "next_check_due"),
    ],
)
def test_bad_checks_change_nothing(tree, staff, checked_on, next_due, field):
    item = _add(staff, tree.community_a1)
    with pytest.raises(DomainError) as error:
        staff_services.equipment_check(
            actor=staff,
            equipment=item,
            checked_on=checked_on,
            condition="good",
            next_check_due=next_due,
        )
    assert error.value.field == field
    item.refresh_from_db()
    assert item.last_checked_on == date(2026, 1, 10)


def test_retired_items_are_not_checked(tree, staff):
    item = _add(staff, tree.community_a1, condition="retired")
    with pytest.raises(Conflict):
        staff_services.equipment_check(
            actor=staff, equipment=item, checked_on=TODAY, condition="good", next_check_due=None
        )


def test_update_logs_the_changes(tree, staff):
    item = _add(staff, tree.community_a1)
    staff_services.equipment_update(
        actor=staff,
        equipment=item,
        name=item.name,
        kind=item.kind,
        quantity=2,
        condition="good",
        last_checked_on=item.last_checked_on,
        next_check_due=item.next_check_due,
    )
    changed = AuditEntry.objects.get(action="support.equipment.changed").data["changed"]
    assert changed == {"quantity": ["1", "2"]}


@pytest.mark.parametrize(
    ("role", "unit_name"),
    [
        (Role.GRID_WORKER, "community_a1"),
        (Role.COMMUNITY_STAFF, "community_a2"),
        (Role.STREET_SUPERVISOR, "community_a1"),
        (Role.DISTRICT_ADMIN, "district"),
    ],
)
def test_only_the_unit_keeps_its_inventory(tree, role, unit_name):
    with pytest.raises(Forbidden):
        _add(actor_for(tree.people[role]), getattr(tree, unit_name))
    assert Equipment.objects.count() == 0


def test_lists_are_scoped(tree, staff):
    item = _add(staff, tree.community_a1)
    sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
    assert staff_selectors.equipment_list(sibling, unit=tree.community_a1).count() == 0
    with pytest.raises(Forbidden):
        staff_services.equipment_check(
            actor=sibling, equipment=item, checked_on=TODAY, condition="good", next_check_due=None
        )
    street = actor_for(tree.people[Role.STREET_SUPERVISOR])
    assert list(staff_selectors.equipment_list(street, unit=tree.community_a1)) == [item]
