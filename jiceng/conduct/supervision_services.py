"""Writes to supervision visits (督导): a supervisor records a visit to a unit below them, and
each finding becomes a rectification item for that unit (source "supervision", the finding's id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.cases.photos import checked_photo
from jiceng.conduct.models import FindingPhoto, Inspection, InspectionFinding
from jiceng.conduct.permissions import may_inspect
from jiceng.conduct.rectification_services import is_unit_member, rectification_open
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import DomainError, Forbidden
from jiceng.orgs.models import OrgUnit, User

SOURCE_KIND = "supervision"
DEFAULT_DEADLINE_DAYS = 10  # working days from the visit
MAX_DEADLINE_DAYS = 250
MAX_FINDINGS = 20
MAX_PEOPLE_MET = 300
MAX_CHECKED = 2000
MAX_NOTE = 2000
MAX_VISIT_AGE_DAYS = 366


@dataclass(frozen=True)
class FindingInput:
    """One finding as the supervisor wrote it down."""

    title: str
    note: str = ""
    owner: User | None = None
    deadline_days: int = DEFAULT_DEADLINE_DAYS
    weight: int = 1
    photos: Sequence[UploadedFile] = field(default_factory=tuple)


def finding_deadline(visited_on: date, working_days: int) -> datetime:
    """Close of business of the `working_days`-th working day after the visit's date."""
    calendar = get_calendar()
    start = datetime.combine(visited_on, time(12), tzinfo=calendar.tz)
    return calendar.add_working_days(start, working_days)


def _text(value: str, *, field: str, limit: int, required: bool, index: int | None = None) -> str:
    value = (value or "").strip()
    where = _("Finding %(number)d: ") % {"number": index + 1} if index is not None else ""
    if required and not value:
        raise DomainError(where + _("This field is required."), field=field)
    if len(value) > limit:
        raise DomainError(
            where
            + _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": limit, "count": len(value)},
            field=field,
        )
    return value


@transaction.atomic
def inspection_record(
    *,
    actor: Actor,
    unit: OrgUnit,
    visited_on: date,
    people_met: str,
    checked: str,
    findings: Sequence[FindingInput] = (),
) -> Inspection:
    """Record a visit and open one rectification item per finding; all or nothing."""
    if not may_inspect(actor, unit):
        raise Forbidden()
    today = timezone.localdate(clock.now())
    if visited_on > today:
        raise DomainError(_("The visit cannot lie in the future."), field="visited_on")
    if visited_on < today - timedelta(days=MAX_VISIT_AGE_DAYS):
        raise DomainError(_("Record visits of the past year only."), field="visited_on")
    people_met = _text(people_met, field="people_met", limit=MAX_PEOPLE_MET, required=True)
    checked = _text(checked, field="checked", limit=MAX_CHECKED, required=True)
    if len(findings) > MAX_FINDINGS:
        raise DomainError(
            _("Record at most %(count)d findings per visit.") % {"count": MAX_FINDINGS},
            field="findings",
        )
    prepared = []
    for index, finding in enumerate(findings):
        title = _text(finding.title, field="title", limit=200, required=True, index=index)
        note = _text(finding.note, field="note", limit=MAX_NOTE, required=False, index=index)
        if not 1 <= finding.deadline_days <= MAX_DEADLINE_DAYS:
            raise DomainError(
                _("Finding %(number)d: give from 1 to %(max)d working days.")
                % {"number": index + 1, "max": MAX_DEADLINE_DAYS},
                field="deadline_days",
            )
        if not 1 <= finding.weight <= 10:
            raise DomainError(
                _("Finding %(number)d: the weight is a whole number from 1 to 10.")
                % {"number": index + 1},
                field="weight",
            )
        deadline = finding_deadline(visited_on, finding.deadline_days)
        if deadline <= clock.now():
            raise DomainError(
                _("Finding %(number)d: this deadline has passed already; give more days.")
                % {"number": index + 1},
                field="deadline_days",
            )
        if finding.owner is not None and not is_unit_member(finding.owner, unit):
            raise DomainError(
                _("Finding %(number)d: the owner must be a member of the unit.")
                % {"number": index + 1},
                field="owner",
            )
        if len(finding.photos) > settings.CASE_MAX_PHOTOS:
            raise DomainError(
                _("Attach at most %(count)d photos.") % {"count": settings.CASE_MAX_PHOTOS},
                field="photos",
            )
        photos = [checked_photo(photo) for photo in finding.photos]
        prepared.append((finding, title, note, deadline, photos))

    inspection = Inspection.objects.create(
        unit=unit,
        unit_path=unit.path,
        visited_on=visited_on,
        people_met=people_met,
        checked=checked,
        supervisor=actor.user,
        supervisor_unit=actor.unit,
    )
    items = []
    for position, (finding, title, note, deadline, photos) in enumerate(prepared):
        row = InspectionFinding.objects.create(
            inspection=inspection, position=position, title=title, note=note
        )
        for content, photo in photos:
            stored = FindingPhoto(
                finding=row,
                content_type=photo.content_type,
                size=photo.size,
                sha256=photo.sha256,
                width=photo.width,
                height=photo.height,
            )
            stored.file.save(f"{photo.sha256}.{stored.extension}", ContentFile(content), save=False)
            stored.save()
        item = rectification_open(
            actor=actor,
            unit=unit,
            title=title,
            deadline=deadline,
            source_kind=SOURCE_KIND,
            source_id=row.pk,
            description=note,
            owner=finding.owner,
            weight=finding.weight,
        )
        items.append(item.pk)
    audit_log(
        actor=actor,
        action="conduct.inspection.recorded",
        target=inspection,
        data={
            "unit": unit.code,
            "visited_on": visited_on.isoformat(),
            "findings": len(prepared),
            "items": items,
        },
    )
    return inspection
