"""Every write to care lists: targets, pairings, visits, and needs turned into requests.

Each service runs in one transaction, checks the actor's permission inside, and writes an audit
entry. Audit data never holds the household's phone or ID fragment (nor name or address): only
codes, ids and the names of fields that changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from jiceng.cases.models import Case, Category, Channel
from jiceng.cases.services import case_submit
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Capability, Role, UnitKind, role_has_capability
from jiceng.support import care_schedule
from jiceng.support.models.care import (
    CARE_PHONE_PATTERN,
    CareCategory,
    CareNeed,
    CareTarget,
    CareVisit,
    VisitForm,
    VisitFrequency,
)
from jiceng.support.permissions_care import may

CARE_ZONE = ZoneInfo("Asia/Shanghai")
CARE_UNIT_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID)
MAX_NEEDS = 10
MAX_NEED_LENGTH = 500
MAX_DAYS_BACK = 366  # visits and first due dates are entered at most a year back
MAX_DAYS_AHEAD = 366


def care_today() -> date:
    """Today in China Standard Time: visits and due dates count by this calendar."""
    return clock.now().astimezone(CARE_ZONE).date()


def _text(value: str, *, field: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > limit:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": limit, "count": len(value)},
            field=field,
        )
    if "\x00" in value:
        raise DomainError(_("Remove the control characters from this text."), field=field)
    return value


def clean_phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if value and not re.fullmatch(CARE_PHONE_PATTERN, value):
        raise DomainError(
            _("Enter a mobile number (11 digits) or a landline number, such as 010-12345678."),
            field="phone",
        )
    return value


def clean_id_last4(value: str) -> str:
    """The last 4 characters of an ID card number; a full number is refused, never stored."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if len(value) > 4:
        raise DomainError(
            _("Do not enter the full ID card number: enter only its last 4 characters."),
            field="id_last4",
        )
    if len(value) != 4 or not value[:3].isdigit() or not (value[3].isdigit() or value[3] == "X"):
        raise DomainError(
            _(
                "Enter only the last 4 characters of the ID card number: "
                "4 digits, or 3 digits and X."
            ),
            field="id_last4",
        )
    if not value.isascii():
        raise DomainError(_("Use the digits 0 to 9 and the letter X."), field="id_last4")
    return value


@dataclass(frozen=True)
class CareDetails:
    """What staff enter about a household and its visit schedule."""

    category: str
    name: str
    address: str
    phone: str = ""
    id_last4: str = ""
    notes: str = ""
    frequency: str = VisitFrequency.MONTHLY
    interval_days: int | None = None
    first_due_on: date | None = None


def _checked(details: CareDetails) -> CareDetails:
    if details.category not in CareCategory.values:
        raise DomainError(_("Choose a valid category."), field="category")
    if details.frequency not in VisitFrequency.values:
        raise DomainError(_("Choose a valid visit frequency."), field="frequency")
    interval = details.interval_days
    if details.frequency == VisitFrequency.EVERY_N_DAYS:
        if interval is None or not 1 <= interval <= care_schedule.MAX_INTERVAL_DAYS:
            raise DomainError(
                _("Visit every 1 to %(max)d days.") % {"max": care_schedule.MAX_INTERVAL_DAYS},
                field="interval_days",
            )
    else:
        interval = {VisitFrequency.WEEKLY: 7, VisitFrequency.MONTHLY: 30}[
            VisitFrequency(details.frequency)
        ]
    today = care_today()
    first_due = details.first_due_on or today
    if not (
        today - timedelta(days=MAX_DAYS_BACK) <= first_due <= today + timedelta(days=MAX_DAYS_AHEAD)
    ):
        raise DomainError(
            _("The first visit must fall due within a year of today."), field="first_due_on"
        )
    return CareDetails(
        category=details.category,
        name=_text(details.name, field="name", limit=50, required=True),
        address=_text(details.address, field="address", limit=200, required=True),
        phone=clean_phone(details.phone),
        id_last4=clean_id_last4(details.id_last4),
        notes=_text(details.notes, field="notes", limit=1000, required=False),
        frequency=details.frequency,
        interval_days=interval,
        first_due_on=first_due,
    )


def responsible_choices(unit: OrgUnit) -> list[Membership]:
    """Who may be paired with a household of `unit`: active members of the unit or of its grids
    who record visits."""
    roles = support_recorder_roles()
    return list(
        Membership.objects.active()
        .filter(unit__path__startswith=unit.path, role__in=roles)
        .select_related("user", "unit")
        .order_by("unit__path", "user__display_name", "pk")
    )


def support_recorder_roles() -> list[str]:
    return [role for role in Role.values if role_has_capability(role, Capability.SUPPORT_RECORD)]


def _check_responsible(unit: OrgUnit, responsible: Sequence[Membership]) -> list[Membership]:
    allowed = {m.pk for m in responsible_choices(unit)}
    chosen = list({m.pk: m for m in responsible}.values())
    if any(m.pk not in allowed for m in chosen):
        raise DomainError(
            _("Pair the household with active staff of its unit or of the unit's grids."),
            field="responsible",
        )
    return chosen


def _schedule(target: CareTarget) -> care_schedule.Schedule:
    return care_schedule.Schedule(
        frequency=target.frequency,
        first_due=target.first_due_on,
        interval_days=target.interval_days,
    )


def _refresh_due(target: CareTarget) -> None:
    target.next_due_on = care_schedule.next_due(_schedule(target), target.last_visit_on)


def _apply(target: CareTarget, details: CareDetails) -> list[str]:
    """Copy the details onto the target; the names of the fields that changed."""
    changed = []
    for field in (
        "category",
        "name",
        "address",
        "phone",
        "id_last4",
        "notes",
        "frequency",
        "interval_days",
        "first_due_on",
    ):
        value = getattr(details, field)
        if getattr(target, field, None) != value:
            setattr(target, field, value)
            changed.append(field)
    return changed


@transaction.atomic
def care_target_create(
    *,
    actor: Actor,
    unit: OrgUnit,
    details: CareDetails,
    responsible: Sequence[Membership] = (),
) -> CareTarget:
    """Put a household on `unit`'s care list, paired with `responsible`."""
    if not may(actor, "manage") or not (
        actor.system or (actor.unit is not None and actor.unit.contains(unit))
    ):
        raise Forbidden()
    if unit.kind not in CARE_UNIT_KINDS or not unit.is_active:
        raise DomainError(
            _("Choose an active community, village or grid for the household."), field="unit"
        )
    details = _checked(details)
    members = _check_responsible(unit, responsible)
    target = CareTarget(unit=unit, unit_path=unit.path, created_by=actor.user)
    _apply(target, details)
    _refresh_due(target)
    target.save()
    target.responsible.set(members)
    audit_log(
        actor=actor,
        action="support.care.created",
        target=target,
        data={
            "unit": unit.code,
            "category": target.category,
            "frequency": target.frequency,
            "interval_days": target.interval_days,
            "responsible": sorted(m.pk for m in members),
        },
    )
    return target


@transaction.atomic
def care_target_update(
    *,
    actor: Actor,
    target: CareTarget,
    details: CareDetails,
    responsible: Sequence[Membership],
) -> CareTarget:
    """Change a household's details, schedule or pairing; the next due date follows."""
    if not may(actor, "manage", target):
        raise Forbidden()
    target = CareTarget.objects.select_for_update().select_related("unit").get(pk=target.pk)
    if not target.is_active:
        raise Conflict(_("This household is no longer on the care list."))
    details = _checked(details)
    members = _check_responsible(target.unit, responsible)
    changed = _apply(target, details)
    before = set(target.responsible.values_list("pk", flat=True))
    after = {m.pk for m in members}
    _refresh_due(target)
    target.save()
    if before != after:
        target.responsible.set(members)
        changed.append("responsible")
    audit_log(
        actor=actor,
        action="support.care.updated",
        target=target,
        data={
            "changed": changed,
            "responsible": sorted(after),
            "next_due_on": target.next_due_on.isoformat(),
        },
    )
    return target


@transaction.atomic
def care_target_close(*, actor: Actor, target: CareTarget, reason: str) -> CareTarget:
    """Take a household off the care list (moved away, no longer in need …); kept for history."""
    if not may(actor, "manage", target):
        raise Forbidden()
    reason = _text(reason, field="reason", limit=200, required=True)
    target = CareTarget.objects.select_for_update().get(pk=target.pk)
    if not target.is_active:
        raise Conflict(_("This household is no longer on the care list."))
    target.is_active = False
    target.closed_on = care_today()
    target.close_reason = reason
    target.save(update_fields=["is_active", "closed_on", "close_reason", "updated_at"])
    audit_log(actor=actor, action="support.care.closed", target=target, reason=reason)
    return target


@transaction.atomic
def care_visit_record(
    *,
    actor: Actor,
    target: CareTarget,
    visited_on: date,
    form: str,
    findings: str,
    needs: Sequence[str] = (),
    visitor: Membership | None = None,
) -> CareVisit:
    """Record a visit to a household, and the needs raised during it (one per entry)."""
    if not may(actor, "visit", target):
        raise Forbidden()
    target = CareTarget.objects.select_for_update().get(pk=target.pk)
    if not target.is_active:
        raise Conflict(_("This household is no longer on the care list."))
    today = care_today()
    if visited_on > today:
        raise DomainError(_("The visit cannot lie in the future."), field="visited_on")
    if visited_on < today - timedelta(days=MAX_DAYS_BACK):
        raise DomainError(_("Record visits of the past year only."), field="visited_on")
    if form not in VisitForm.values:
        raise DomainError(_("Choose how the visit took place."), field="form")
    findings = _text(findings, field="findings", limit=2000, required=True)
    cleaned = [_text(need, field="needs", limit=MAX_NEED_LENGTH, required=False) for need in needs]
    cleaned = [need for need in cleaned if need]
    if len(cleaned) > MAX_NEEDS:
        raise DomainError(
            _("Record at most %(count)d needs per visit.") % {"count": MAX_NEEDS}, field="needs"
        )
    if visitor is None:
        if actor.user is None:
            raise DomainError(_("Say who made the visit."), field="visitor")
        visited_by = actor.user
    else:
        paired = target.responsible.filter(pk=visitor.pk).exists()
        own = actor.membership is not None and visitor.pk == actor.membership.pk
        if not (paired or own):
            raise DomainError(
                _("The visitor must be you or a member paired with the household."),
                field="visitor",
            )
        visited_by = visitor.user
    visit = CareVisit.objects.create(
        target=target,
        visited_on=visited_on,
        visited_by=visited_by,
        recorded_by=actor.user,
        form=form,
        findings=findings,
    )
    CareNeed.objects.bulk_create([CareNeed(visit=visit, text=need) for need in cleaned])
    if target.last_visit_on is None or visited_on > target.last_visit_on:
        target.last_visit_on = visited_on
        _refresh_due(target)
        target.save(update_fields=["last_visit_on", "next_due_on", "updated_at"])
    audit_log(
        actor=actor,
        action="support.care.visited",
        target=visit,
        data={
            "care_target": target.pk,
            "visited_on": visited_on.isoformat(),
            "form": form,
            "needs": len(cleaned),
            "next_due_on": target.next_due_on.isoformat(),
        },
    )
    return visit


# A case category to suggest for each kind of household (codes of the default taxonomy).
SUGGESTED_CASE_CATEGORY = {
    CareCategory.ELDERLY_ALONE: "home-care",
    CareCategory.DISABLED: "disability-help",
    CareCategory.LOW_INCOME: "allowance",
    CareCategory.HEALTH_OBSERVATION: "health-records",
    CareCategory.LEFT_BEHIND_CHILD: "childcare",
    CareCategory.OTHER: "other-matters",
}
CASE_CHANNEL = {VisitForm.HOME: Channel.WALK_IN, VisitForm.PHONE: Channel.PHONE}


def _case_area(actor: Actor, target: CareTarget) -> OrgUnit:
    """Where the request is: the household's unit, or the actor's grid inside it."""
    unit = target.unit
    if actor.system or actor.unit is None or actor.unit.contains(unit):
        return unit
    if unit.contains(actor.unit) and actor.unit.kind in CARE_UNIT_KINDS:
        return actor.unit
    raise DomainError(_("Ask the household's unit to turn this need into a request."))


@transaction.atomic
def care_need_raise_case(*, actor: Actor, need: CareNeed, category: Category) -> Case:
    """Turn a need raised during a visit into a request, through the cases app's intake.

    The request links back to the need (`need.case`). It says that it came from a care visit
    and carries the need, but not the household's name, address, phone or ID fragment: those
    stay on the care list, which the unit's staff can open from the link.
    """
    if not may(actor, "raise_case", need.visit.target):
        raise Forbidden()
    need = (
        CareNeed.objects.select_for_update().select_related("visit__target__unit").get(pk=need.pk)
    )
    if need.case_id is not None:
        raise Conflict(_("This need has been turned into a request already."))
    visit = need.visit
    target = visit.target
    area = _case_area(actor, target)
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the deployment's language
        title = _("Care visit: %(need)s") % {"need": need.text}
        if len(title) > 100:
            title = title[:99] + "…"
        description = _(
            "Raised during a care visit on %(date)s (care list entry %(target)d, visit "
            "%(visit)d). The household's contact details are on the care list.\n\n%(need)s"
        ) % {
            "date": visit.visited_on.isoformat(),
            "target": target.pk,
            "visit": visit.pk,
            "need": need.text,
        }
    case = case_submit(
        actor=actor,
        category=category,
        area=area,
        title=title,
        description=description,
        channel=CASE_CHANNEL.get(VisitForm(visit.form), Channel.WALK_IN),
    )
    need.case = case
    need.case_raised_by = actor.user
    need.save(update_fields=["case", "case_raised_by"])
    audit_log(
        actor=actor,
        action="support.care.case_raised",
        target=need,
        data={
            "care_target": target.pk,
            "visit": visit.pk,
            "case": case.pk,
            "tracking_code": case.tracking_code,
        },
    )
    return case
