"""Writes to rectification items. Supervision visits and venue spot checks open them here.

The unit reports progress (`rectification_report`); a report of 100 % moves the item to
"reported"; a supervisor above the unit verifies it (`rectification_verify`, closed) or returns it
with a reason (`rectification_return`, progress kept, the unit continues). Items past their
deadline while the unit has work to do are escalated once per deadline to the supervisors of the
unit above (`rectification_escalate`, run by the periodic job `escalate_overdue_rectifications`).
Every step is a `RectificationEvent` in the item's timeline and an audit entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.models import Notification
from jiceng.cases.services import notifications_send
from jiceng.conduct.models import (
    UNIT_STATUSES,
    RectificationEvent,
    RectificationEventKind,
    RectificationEvidence,
    RectificationItem,
    RectificationStatus,
)
from jiceng.conduct.permissions import may_report, may_supervise
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.uploads import EVIDENCE_TYPES, evidence_kind
from jiceng.orgs import lookups
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import ROLE_CAPABILITIES, Capability

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_EVIDENCE_FILES = 5
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


def is_unit_member(user: User, unit: OrgUnit) -> bool:
    return Membership.objects.active().filter(user=user, unit=unit).exists()


def _clean_note(note: str, *, field: str, required: bool, message: Any = None) -> str:
    note = (note or "").strip()
    if required and not note:
        raise DomainError(message or _("This field is required."), field=field)
    if len(note) > MAX_NOTE:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": MAX_NOTE, "count": len(note)},
            field=field,
        )
    return note


def _event(
    item: RectificationItem, *, kind: str, actor: Actor, note: str = ""
) -> RectificationEvent:
    return RectificationEvent.objects.create(
        item=item,
        kind=kind,
        created_at=clock.now(),
        actor=actor.user,
        actor_unit=actor.unit,
        progress=item.progress,
        status_after=item.status,
        note=note,
    )


def _locked(item: RectificationItem) -> RectificationItem:
    """The item as stored now, its row locked for this transaction (stale pages lose)."""
    return RectificationItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def rectification_open(
    *,
    actor: Actor,
    unit: OrgUnit,
    title: str,
    deadline: datetime,
    source_kind: str,
    source_id: int | None = None,
    description: str = "",
    owner: User | None = None,
    weight: int = 1,
) -> RectificationItem:
    """Open an item for `unit` to put right by `deadline`.

    Callers (supervision visits, spot checks) have checked that `actor` may record the finding;
    this checks the item itself.
    """
    title = title.strip()
    if not title:
        raise DomainError(_("Say what must be put right."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(
            _("Keep the title under %(limit)d characters.") % {"limit": MAX_TITLE}, field="title"
        )
    if deadline <= clock.now():
        raise DomainError(_("The deadline must lie in the future."), field="deadline")
    if not 1 <= weight <= 10:
        raise DomainError(_("The weight is a whole number from 1 to 10."), field="weight")
    if owner is not None and not is_unit_member(owner, unit):
        raise DomainError(_("The owner must be a member of the unit."), field="owner")
    item = RectificationItem.objects.create(
        unit=unit,
        unit_path=unit.path,
        title=title,
        description=description.strip(),
        source_kind=source_kind,
        source_id=source_id,
        owner=owner,
        deadline=deadline,
        weight=weight,
        opened_by=actor.user,
    )
    opened = clock.now()
    if abs(item.created_at - opened) > timedelta(seconds=1):
        # `auto_now_add` stamps the real time; an item opened at a replayed moment (`clock.at`:
        # imports, demo history) was opened then, which the page and the period roll-up read.
        RectificationItem.objects.filter(pk=item.pk).update(created_at=opened)
        item.created_at = opened
    _event(item, kind=RectificationEventKind.OPENED, actor=actor, note=item.description)
    audit_log(
        actor=actor,
        action="conduct.rectification.opened",
        target=item,
        data={
            "unit": unit.code,
            "source": [source_kind, source_id],
            "deadline": deadline.isoformat(),
            "weight": weight,
        },
    )
    return item


# --- the unit reports progress ----------------------------------------------------------------
def _checked_evidence(upload: UploadedFile) -> tuple[bytes, str]:
    too_big = DomainError(
        _("Each evidence file may be at most %(mb)d MB.")
        % {"mb": MAX_EVIDENCE_BYTES // (1024 * 1024)},
        field="evidence",
    )
    if upload.size is not None and upload.size > MAX_EVIDENCE_BYTES:
        raise too_big
    upload.seek(0)
    raw = upload.read(MAX_EVIDENCE_BYTES + 1)
    if len(raw) > MAX_EVIDENCE_BYTES:
        raise too_big
    kind = evidence_kind(raw) if raw else None
    if kind is None:
        raise DomainError(
            _("Only PDF, JPEG, PNG, Word (DOCX) and Excel (XLSX) files can be attached."),
            field="evidence",
        )
    return raw, kind


@transaction.atomic
def rectification_report(
    *,
    actor: Actor,
    item: RectificationItem,
    progress: int,
    note: str,
    evidence: Sequence[UploadedFile] = (),
) -> RectificationEvent:
    """The unit says how far it got; 100 % reports the item done (→ reported)."""
    if not may_report(actor, item):
        raise Forbidden()
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise DomainError(_("Progress is a whole number from 0 to 100."), field="progress")
    note = _clean_note(note, field="note", required=True, message=_("Say what has been done."))
    if len(evidence) > MAX_EVIDENCE_FILES:
        raise DomainError(
            _("Attach at most %(count)d files.") % {"count": MAX_EVIDENCE_FILES},
            field="evidence",
        )
    checked = [(upload, *_checked_evidence(upload)) for upload in evidence]
    item = _locked(item)
    if item.status not in UNIT_STATUSES:
        raise Conflict(_("Progress can be reported only while the item is open or returned."))
    before = item.status
    item.progress = progress
    item.status = RectificationStatus.REPORTED if progress == 100 else RectificationStatus.OPEN
    item.save(update_fields=["progress", "status", "updated_at"])
    kind = (
        RectificationEventKind.REPORTED
        if item.status == RectificationStatus.REPORTED
        else RectificationEventKind.PROGRESS
    )
    event = _event(item, kind=kind, actor=actor, note=note)
    names = []
    for upload, raw, file_kind in checked:
        original = (upload.name or file_kind).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
        stored = RectificationEvidence(
            event=event,
            original_name=original,
            content_type=EVIDENCE_TYPES[file_kind],
            size=len(raw),
        )
        # A random stored name: the original name is shown but never trusted as a path.
        stored.file.save(f"{secrets.token_hex(16)}.{file_kind}", ContentFile(raw), save=False)
        stored.save()
        names.append(original)
    audit_log(
        actor=actor,
        action="conduct.rectification.reported",
        target=item,
        data={"progress": progress, "status": [before, item.status], "evidence": names},
    )
    return event


# --- the supervisor verifies or returns -------------------------------------------------------
@transaction.atomic
def rectification_verify(
    *, actor: Actor, item: RectificationItem, note: str = ""
) -> RectificationItem:
    """Accept the unit's report: the item is verified and closed."""
    if not may_supervise(actor, item):
        raise Forbidden()
    note = _clean_note(note, field="note", required=False)
    item = _locked(item)
    if item.status != RectificationStatus.REPORTED:
        raise Conflict(_("Only an item reported done can be verified."))
    item.status = RectificationStatus.VERIFIED
    item.progress = 100
    item.closed_at = clock.now()
    item.save(update_fields=["status", "progress", "closed_at", "updated_at"])
    _event(item, kind=RectificationEventKind.VERIFIED, actor=actor, note=note)
    audit_log(actor=actor, action="conduct.rectification.verified", target=item, data={})
    return item


@transaction.atomic
def rectification_return(
    *, actor: Actor, item: RectificationItem, reason: str
) -> RectificationItem:
    """Send a reported item back: the unit keeps its progress and continues."""
    if not may_supervise(actor, item):
        raise Forbidden()
    reason = _clean_note(
        reason, field="reason", required=True, message=_("Say why the item goes back.")
    )
    item = _locked(item)
    if item.status != RectificationStatus.REPORTED:
        raise Conflict(_("Only an item reported done can be returned."))
    item.status = RectificationStatus.RETURNED
    item.save(update_fields=["status", "updated_at"])
    _event(item, kind=RectificationEventKind.RETURNED, actor=actor, note=reason)
    audit_log(
        actor=actor,
        action="conduct.rectification.returned",
        target=item,
        data={"progress": item.progress},
        reason=reason[:500],
    )
    return item


# --- escalation -------------------------------------------------------------------------------
ESCALATION_MESSAGE = gettext_lazy(
    'Rectification item "%(title)s" of %(unit)s is past its deadline (%(deadline)s).'
)


def _supervisor_roles() -> list[str]:
    return [role for role, caps in ROLE_CAPABILITIES.items() if Capability.SUPERVISE in caps]


def _superior(unit: OrgUnit) -> OrgUnit | None:
    """The nearest unit above `unit` with supervisors: the parent for a community (its street),
    the street for a grid (a community has no SUPERVISE holders); None above the district."""
    roles = _supervisor_roles()
    path = unit.path[: -OrgUnit.steplen]
    while path:
        above = lookups.unit_at_path(path)
        if above is not None and lookups.active_staff(above, roles):
            return above
        path = path[: -OrgUnit.steplen]
    return None


def _notify_supervisors(item: RectificationItem, superior: OrgUnit) -> list[Notification]:
    """Reuses the cases' notifications (no case attached): each recipient in their language."""
    deadline = timezone.localtime(item.deadline).strftime("%Y-%m-%d")
    fields = {"title": item.title, "unit": item.unit.name, "deadline": deadline}
    now = clock.now()
    made = []
    for user in lookups.active_staff(superior, _supervisor_roles()):
        with translation.override(user.preferred_language):
            text = (str(ESCALATION_MESSAGE) % fields)[:300]
        made.append(
            Notification(
                recipient=user,
                case=None,
                verb="rectification_overdue",
                message=text,
                created_at=now,
            )
        )
    return notifications_send(made)


@transaction.atomic
def rectification_escalate(
    *, actor: Actor, item: RectificationItem, now: datetime | None = None
) -> bool:
    """Escalate an overdue item once per deadline; False when not overdue or done before.

    The guard is one conditional UPDATE, so two jobs running at once escalate it once.
    """
    if not actor.system:
        raise Forbidden()
    moment = now or clock.now()
    claimed = (
        RectificationItem.objects.filter(pk=item.pk, status__in=UNIT_STATUSES, deadline__lt=moment)
        .filter(Q(escalated_at=None) | Q(escalated_at__lt=F("deadline")))
        .update(escalated_at=moment)
    )
    if not claimed:
        return False
    item.refresh_from_db()
    superior = _superior(item.unit)
    with translation.override(settings.LANGUAGE_CODE):
        note = (
            _("Past the deadline; the supervisors of %(unit)s were told.") % {"unit": superior.name}
            if superior is not None
            else _("Past the deadline.")
        )
    _event(item, kind=RectificationEventKind.ESCALATED, actor=actor, note=note)
    if superior is not None:
        _notify_supervisors(item, superior)
    audit_log(
        actor=actor,
        action="conduct.rectification.escalated",
        target=item,
        data={
            "deadline": item.deadline.isoformat(),
            "to": superior.code if superior is not None else None,
        },
    )
    return True


def escalate_overdue_rectifications(
    *, actor: Actor, now: datetime | None = None, limit: int = 1000
) -> int:
    """Escalate every overdue item not escalated for its deadline yet; safe to run often."""
    moment = now or clock.now()
    due = (
        RectificationItem.objects.filter(status__in=UNIT_STATUSES, deadline__lt=moment)
        .filter(Q(escalated_at=None) | Q(escalated_at__lt=F("deadline")))
        .select_related("unit")
        .order_by("deadline", "pk")[:limit]
    )
    return sum(rectification_escalate(actor=actor, item=item, now=moment) for item in due)
