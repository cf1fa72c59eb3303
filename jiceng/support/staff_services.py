"""Writes to the staff roster, training records and equipment inventory of a unit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.orgs.models import OrgUnit
from jiceng.support.models import (
    Employment,
    Equipment,
    EquipmentCondition,
    EquipmentKind,
    StaffMember,
    TrainingRecord,
)
from jiceng.support.models.staffing import CONTACT_PHONE
from jiceng.support.permissions_funds import manages_unit

MAX_QUANTITY = 100_000
MIN_HOURS = Decimal("0.5")
MAX_HOURS = Decimal("200")
# A check date further ahead than this is a typing mistake.
MAX_CHECK_INTERVAL = timedelta(days=5 * 366)
EARLIEST = date(1950, 1, 1)


def _require_manager(actor: Actor, unit_id: int) -> None:
    if not manages_unit(actor, unit_id):
        raise Forbidden(_("Only your own unit's roster and equipment can be kept by you."))


def _today() -> date:
    return timezone.localdate(clock.now())


def _text(value: str, *, field: str, limit: int, required: bool, message: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(message, field=field)
    if len(text) > limit:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": limit, "count": len(text)},
            field=field,
        )
    if "\x00" in text:
        raise DomainError(_("This text contains characters that cannot be stored."), field=field)
    return text


def _past_date(value: Any, *, field: str, required: bool = True) -> date | None:
    if value is None and not required:
        return None
    if not isinstance(value, date):
        raise DomainError(_("Enter a date such as 2026-03-15."), field=field)
    if value > _today():
        raise DomainError(_("The date cannot lie in the future."), field=field)
    if value < EARLIEST:
        raise DomainError(_("Check the year of this date."), field=field)
    return value


def _phone(value: str) -> str:
    phone = (value or "").strip().replace(" ", "")
    if phone and not CONTACT_PHONE.match(phone):
        raise DomainError(
            _("Enter a mobile number such as 13800138000 or a landline such as 010-12345678."),
            field="phone",
        )
    return phone


def _staff_fields(name: str, position: str, employment: str, phone: str) -> dict[str, str]:
    if employment not in Employment.values:
        raise DomainError(_("Choose full time or part time."), field="employment")
    return {
        "name": _text(name, field="name", limit=50, required=True, message=_("Enter the name.")),
        "position": _text(
            position, field="position", limit=50, required=True, message=_("Enter the position.")
        ),
        "employment": employment,
        "phone": _phone(phone),
    }


def _staff_audit(actor: Actor, verb: str, staff: StaffMember, **data: Any) -> None:
    # The phone number stays out of the log: it is personal and the log is read widely.
    audit_log(
        actor=actor,
        action=f"support.staff.{verb}",
        target=staff,
        data={"unit": staff.unit.code, **data},
    )


@transaction.atomic
def staff_add(
    *,
    actor: Actor,
    unit: OrgUnit,
    name: str,
    position: str,
    employment: str,
    phone: str = "",
    joined_on: date | None = None,
) -> StaffMember:
    _require_manager(actor, unit.pk)
    fields = _staff_fields(name, position, employment, phone)
    joined = _past_date(joined_on, field="joined_on", required=False)
    staff = StaffMember.objects.create(unit=unit, unit_path=unit.path, joined_on=joined, **fields)
    _staff_audit(actor, "added", staff, position=staff.position, employment=employment)
    return staff


@transaction.atomic
def staff_update(
    *,
    actor: Actor,
    staff: StaffMember,
    name: str,
    position: str,
    employment: str,
    phone: str = "",
    joined_on: date | None = None,
) -> StaffMember:
    _require_manager(actor, staff.unit_id)
    if not staff.is_active:
        raise Conflict(_("This person has left; their record is kept as it was."))
    fields = _staff_fields(name, position, employment, phone)
    joined = _past_date(joined_on, field="joined_on", required=False)
    changed = sorted(
        key
        for key, value in {**fields, "joined_on": joined}.items()
        if getattr(staff, key) != value
    )
    for key, value in fields.items():
        setattr(staff, key, value)
    staff.joined_on = joined
    staff.save()
    _staff_audit(actor, "changed", staff, fields=changed)
    return staff


@transaction.atomic
def staff_leave(*, actor: Actor, staff: StaffMember, left_on: date, reason: str) -> StaffMember:
    """Take someone off the active roster; their record and trainings stay."""
    _require_manager(actor, staff.unit_id)
    if not staff.is_active:
        raise Conflict(_("This person has left already."))
    left = _past_date(left_on, field="left_on")
    assert left is not None
    if staff.joined_on is not None and left < staff.joined_on:
        raise DomainError(_("Someone cannot leave before they joined."), field="left_on")
    staff.left_reason = _text(
        reason, field="reason", limit=200, required=True, message=_("Say why they left.")
    )
    staff.left_on = left
    staff.save(update_fields=["left_on", "left_reason", "updated_at"])
    _staff_audit(actor, "left", staff, left_on=left.isoformat())
    return staff


@transaction.atomic
def staff_training_add(
    *, actor: Actor, staff: StaffMember, date: date, topic: str, hours: Any
) -> TrainingRecord:
    _require_manager(actor, staff.unit_id)
    day = _past_date(date, field="date")
    assert day is not None
    topic = _text(topic, field="topic", limit=200, required=True, message=_("Enter the topic."))
    try:
        amount = Decimal(str(hours).strip())
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite() or not MIN_HOURS <= amount <= MAX_HOURS:
        raise DomainError(_("Enter the hours from 0.5 to 200, such as 2 or 3.5."), field="hours")
    if amount != amount.quantize(Decimal("0.1")):
        raise DomainError(_("Enter the hours to one decimal place at most."), field="hours")
    record = TrainingRecord.objects.create(
        staff=staff, date=day, topic=topic, hours=amount, recorded_by=actor.user
    )
    audit_log(
        actor=actor,
        action="support.staff.trained",
        target=staff,
        data={"date": str(day), "topic": topic, "hours": str(amount)},
    )
    return record


# --- equipment ------------------------------------------------------------------------------
def _equipment_fields(
    *,
    name: str,
    kind: str,
    quantity: Any,
    condition: str,
    last_checked_on: date | None,
    next_check_due: date | None,
    note: str,
) -> dict[str, Any]:
    if kind not in EquipmentKind.values:
        raise DomainError(_("Choose the kind of equipment."), field="kind")
    if condition not in EquipmentCondition.values:
        raise DomainError(_("Choose the condition."), field="condition")
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or not 1 <= quantity <= MAX_QUANTITY
    ):
        raise DomainError(
            _("Enter a whole number from 1 to %(max)d.") % {"max": MAX_QUANTITY},
            field="quantity",
        )
    last = _past_date(last_checked_on, field="last_checked_on", required=False)
    if next_check_due is not None:
        if not isinstance(next_check_due, date):
            raise DomainError(_("Enter a date such as 2026-03-15."), field="next_check_due")
        if last is not None and next_check_due < last:
            raise DomainError(
                _("The next check cannot fall before the last one."), field="next_check_due"
            )
        if next_check_due > _today() + MAX_CHECK_INTERVAL:
            raise DomainError(_("Plan the next check within five years."), field="next_check_due")
    return {
        "name": _text(name, field="name", limit=100, required=True, message=_("Enter the name.")),
        "kind": kind,
        "quantity": quantity,
        "condition": condition,
        "last_checked_on": last,
        "next_check_due": next_check_due,
        "note": _text(note, field="note", limit=200, required=False),
    }


@transaction.atomic
def equipment_add(
    *,
    actor: Actor,
    unit: OrgUnit,
    name: str,
    kind: str,
    quantity: int,
    condition: str,
    last_checked_on: date | None = None,
    next_check_due: date | None = None,
    note: str = "",
) -> Equipment:
    _require_manager(actor, unit.pk)
    fields = _equipment_fields(
        name=name,
        kind=kind,
        quantity=quantity,
        condition=condition,
        last_checked_on=last_checked_on,
        next_check_due=next_check_due,
        note=note,
    )
    equipment = Equipment.objects.create(unit=unit, unit_path=unit.path, **fields)
    audit_log(
        actor=actor,
        action="support.equipment.added",
        target=equipment,
        data={"unit": unit.code, "kind": kind, "quantity": quantity, "condition": condition},
    )
    return equipment


@transaction.atomic
def equipment_update(
    *,
    actor: Actor,
    equipment: Equipment,
    name: str,
    kind: str,
    quantity: int,
    condition: str,
    last_checked_on: date | None = None,
    next_check_due: date | None = None,
    note: str = "",
) -> Equipment:
    _require_manager(actor, equipment.unit_id)
    fields = _equipment_fields(
        name=name,
        kind=kind,
        quantity=quantity,
        condition=condition,
        last_checked_on=last_checked_on,
        next_check_due=next_check_due,
        note=note,
    )
    before = {key: str(getattr(equipment, key)) for key in fields}
    for key, value in fields.items():
        setattr(equipment, key, value)
    equipment.save()
    audit_log(
        actor=actor,
        action="support.equipment.changed",
        target=equipment,
        data={
            "unit": equipment.unit.code,
            "changed": {
                key: [before[key], str(value)]
                for key, value in fields.items()
                if before[key] != str(value)
            },
        },
    )
    return equipment


@transaction.atomic
def equipment_check(
    *,
    actor: Actor,
    equipment: Equipment,
    checked_on: date,
    condition: str,
    next_check_due: date | None,
    note: str = "",
) -> Equipment:
    """Record a check: its date, the condition found and when the next one is due."""
    _require_manager(actor, equipment.unit_id)
    if equipment.condition == EquipmentCondition.RETIRED:
        raise Conflict(_("Retired equipment is no longer checked."))
    if (
        equipment.last_checked_on is not None
        and checked_on is not None
        and isinstance(checked_on, date)
        and checked_on < equipment.last_checked_on
    ):
        raise DomainError(_("A later check is on record already."), field="checked_on")
    fields = _equipment_fields(
        name=equipment.name,
        kind=equipment.kind,
        quantity=equipment.quantity,
        condition=condition,
        last_checked_on=_past_date(checked_on, field="checked_on"),
        next_check_due=next_check_due,
        note=note or equipment.note,
    )
    for key in ("condition", "last_checked_on", "next_check_due", "note"):
        setattr(equipment, key, fields[key])
    equipment.save()
    audit_log(
        actor=actor,
        action="support.equipment.checked",
        target=equipment,
        data={
            "checked_on": str(fields["last_checked_on"]),
            "condition": condition,
            "next_check_due": str(next_check_due) if next_check_due else None,
        },
    )
    return equipment
