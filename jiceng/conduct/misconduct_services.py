"""Writes on misconduct reports (作风问题举报): filing, the reporter's lookup, the inspectors' work.

Every step is a timeline entry (`MisconductEvent`) and an audit entry. Audit data never holds the
reporter's contact details, passphrase or receipt code, nor the report's text.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.models import Notification
from jiceng.cases.photos import checked_photo
from jiceng.cases.services import notifications_send
from jiceng.conduct.misconduct_crypto import decrypt_contact, encrypt_contact
from jiceng.conduct.misconduct_models import (
    MisconductEvent,
    MisconductEvidence,
    MisconductKind,
    MisconductOutcome,
    MisconductReport,
    MisconductStatus,
)
from jiceng.core import clock
from jiceng.core.actors import RESIDENT, Actor
from jiceng.core.audit import AuditDraft, AuditRecord, audit_log
from jiceng.core.errors import Conflict, DomainError
from jiceng.core.permissions import require
from jiceng.core.receipts import new_receipt_code, normalise_code, receipt_digest
from jiceng.orgs import lookups
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import Role

MAX_DETAILS = 4000
MAX_NOTE = 4000
MIN_PASSPHRASE = 8
MAX_PASSPHRASE = 128
MAX_EVIDENCE_FILES = 5


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    data: bytes


# --- receipt codes and passphrases ----------------------------------------------------------
@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, checked when the code is unknown so both cost the same."""
    return make_password(secrets.token_urlsafe(32))


# --- evidence -------------------------------------------------------------------------------
def checked_evidence(uploads: Sequence[UploadedFile]) -> list[CheckedFile]:
    """Photos (re-encoded, so no GPS or device metadata) and PDFs, recognised by content."""
    if len(uploads) > MAX_EVIDENCE_FILES:
        raise DomainError(
            _("At most %(n)d evidence files can be attached.") % {"n": MAX_EVIDENCE_FILES},
            field="evidence",
        )
    limit = settings.CASE_MAX_PHOTO_BYTES
    files: list[CheckedFile] = []
    for upload in uploads:
        upload.seek(0)
        head = upload.read(5)
        if head == b"%PDF-":
            upload.seek(0)
            raw = upload.read(limit + 1)
            if len(raw) > limit:
                raise DomainError(
                    _("Each evidence file may be at most %(mb)d MB.")
                    % {"mb": limit // (1024 * 1024)},
                    field="evidence",
                )
            files.append(CheckedFile("application/pdf", raw))
            continue
        try:
            content, photo = checked_photo(upload)
        except DomainError:
            raise DomainError(
                _("Only photos (JPEG, PNG, WebP) and PDF files can be attached."),
                field="evidence",
            ) from None
        files.append(CheckedFile(photo.content_type, content))
    return files


def _store_evidence(report: MisconductReport, files: Sequence[CheckedFile]) -> None:
    MisconductEvidence.objects.bulk_create(
        MisconductEvidence(
            report=report, content_type=f.content_type, data=f.data, size=len(f.data)
        )
        for f in files
    )


# --- routing --------------------------------------------------------------------------------
def reportable_units() -> list[OrgUnit]:
    """Active units that have a level above them (the top unit has no inspectors above it)."""
    return list(OrgUnit.objects.filter(is_active=True, depth__gt=1).order_by("path"))


def handling_unit_for(unit: OrgUnit) -> OrgUnit:
    """The nearest unit strictly above `unit` with an active discipline inspector; else the top."""
    step = OrgUnit.steplen
    paths = [unit.path[: step * level] for level in range(1, unit.depth)]
    ancestors = list(OrgUnit.objects.filter(path__in=paths).order_by("depth"))  # top down
    if not ancestors:
        raise DomainError(_("Choose the unit the report is about."), field="unit")
    inspectors = list(
        Membership.objects.active()
        .filter(unit__in=ancestors, role=Role.DISCIPLINE_INSPECTOR)
        .values_list("unit_id", "user_id")
    )
    # An inspector who also serves in the unit concerned (or below it) is its staff: a level
    # whose only inspectors are such people does not count as staffed.
    conflicted = set(
        Membership.objects.active()
        .filter(user_id__in=[user for _unit, user in inspectors], unit__path__startswith=unit.path)
        .values_list("user_id", flat=True)
    )
    staffed = {unit_id for unit_id, user_id in inspectors if user_id not in conflicted}
    for ancestor in reversed(ancestors):
        if ancestor.pk in staffed:
            return ancestor
    return ancestors[0]


# --- time -----------------------------------------------------------------------------------
def _replayed_moment() -> datetime | None:
    """The business moment when history is being replayed (`clock.at`: demo data, imports),
    else None. `created_at` columns stamp the present on insert; replayed steps keep theirs."""
    moment = clock.now()
    return moment if timezone.now() - moment > timedelta(seconds=1) else None


def _event(**fields: Any) -> MisconductEvent:
    event = MisconductEvent.objects.create(**fields)
    moment = _replayed_moment()
    if moment is not None:
        MisconductEvent.objects.filter(pk=event.pk).update(created_at=moment)
        event.created_at = moment
    return event


# --- telling the inspectors -----------------------------------------------------------------
# What the inspectors are told: the report's number, its type and the unit concerned. Nothing
# about the reporter (not whether they gave their name), nor the text: the message is e-mailed.
FILED_MESSAGE = gettext_lazy(
    "New misconduct report %(ref)s (%(kind)s) about %(unit)s. Open the misconduct reports to "
    "handle it."
)
INFO_MESSAGE = gettext_lazy(
    "The reporter added information to misconduct report %(ref)s about %(unit)s."
)


def inspectors_to_notify(report: MisconductReport) -> list[User]:
    """The active discipline inspectors of the handling unit, less anyone who also serves in
    the unit concerned or below it (a person with two posts is still the accused unit's)."""
    inspectors = lookups.active_staff(report.handling_unit, [Role.DISCIPLINE_INSPECTOR])
    if not inspectors:
        return []
    accused = set(
        Membership.objects.active()
        .filter(
            user__in=[user.pk for user in inspectors],
            unit__path__startswith=report.accused_path,
        )
        .values_list("user_id", flat=True)
    )
    return [user for user in inspectors if user.pk not in accused]


def _notify_inspectors(report: MisconductReport, verb: str, message: object) -> list[Notification]:
    """In-app and (where they have an address, after the commit) e-mail, each in their language.
    No case is attached (the accused unit could follow it): the notification opens the report's
    page, which only the inspectors who handle it may see."""
    now = clock.now()
    link = reverse("misconduct_detail", args=[report.pk])
    made = []
    for user in inspectors_to_notify(report):
        with translation.override(user.preferred_language):
            fields = {
                "ref": str(report),
                "kind": str(MisconductKind(report.kind).label),
                "unit": report.accused_unit.name,
            }
            text = (str(message) % fields)[:300]
        made.append(
            Notification(
                recipient=user, case=None, verb=verb, message=text, link=link, created_at=now
            )
        )
    return notifications_send(made)


# --- the reporter ---------------------------------------------------------------------------
ANONYMOUS_REQUEST_ID = "misconduct-reporter"


def _audit_reporter(action: str, report: MisconductReport, data: dict[str, int | str]) -> None:
    """Audit a reporter's step without the request id, which proxies log beside the address."""
    record = AuditRecord(
        actor=RESIDENT, action=action, target=report, data=data, request_id=ANONYMOUS_REQUEST_ID
    )
    AuditDraft([record]).append()


def _clean_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field)
    if len(text) > limit:
        raise DomainError(
            _("Write at most %(n)d characters.") % {"n": limit},
            field=field,
        )
    return text


def misconduct_file(
    *,
    kind: str,
    unit: OrgUnit,
    person: str = "",
    details: str,
    anonymous: bool,
    name: str = "",
    phone: str = "",
    passphrase: str,
    evidence: Sequence[UploadedFile] = (),
) -> tuple[MisconductReport, str]:
    """File a report as a resident; returns it and the receipt code (shown once, never stored)."""
    if kind not in MisconductKind.values:
        raise DomainError(_("Choose the type of misconduct."), field="kind")
    if not unit.is_active or unit.depth <= 1:
        raise DomainError(_("Choose the unit the report is about."), field="unit")
    person = _clean_text(person, field="person", limit=100, required=False)
    details = _clean_text(details, field="details", limit=MAX_DETAILS)
    if not (MIN_PASSPHRASE <= len(passphrase or "") <= MAX_PASSPHRASE):
        raise DomainError(
            _("The passphrase needs %(min)d to %(max)d characters.")
            % {"min": MIN_PASSPHRASE, "max": MAX_PASSPHRASE},
            field="passphrase",
        )
    contact = None
    if not anonymous:
        name = _clean_text(name, field="name", limit=50)
        phone = _clean_text(phone, field="phone", limit=20)
        if (
            not all(ch.isdigit() or ch in "+- " for ch in phone)
            or sum(ch.isdigit() for ch in phone) < 5
        ):
            raise DomainError(_("Enter a valid telephone number."), field="phone")
        contact = encrypt_contact(name=name, phone=phone)
    files = checked_evidence(evidence)
    handler = handling_unit_for(unit)
    code = new_receipt_code()
    with transaction.atomic():
        report = MisconductReport.objects.create(
            receipt_digest=receipt_digest(code),
            kind=kind,
            accused_unit=unit,
            accused_path=unit.path,
            handling_unit=handler,
            accused_person=person,
            details=details,
            anonymous=anonymous,
            contact_encrypted=contact,
            passphrase_hash=make_password(passphrase),
        )
        moment = _replayed_moment()
        if moment is not None:
            MisconductReport.objects.filter(pk=report.pk).update(
                created_at=moment, updated_at=moment
            )
            report.created_at = report.updated_at = moment
        _store_evidence(report, files)
        _event(report=report, kind=MisconductEvent.Kind.FILED, public=True)
        _audit_reporter("conduct.misconduct.filed", report, {"kind": kind, "evidence": len(files)})
        _notify_inspectors(report, "misconduct_filed", FILED_MESSAGE)
    return report, code


def misconduct_lookup(*, code: str, passphrase: str) -> MisconductReport | None:
    """The report for this code and passphrase, else None: the same answer and the same cost
    whether the code is unknown or the passphrase wrong. Callers rate-limit by address."""
    passphrase = (passphrase or "")[:MAX_PASSPHRASE]
    report = (
        MisconductReport.objects.filter(receipt_digest=receipt_digest(code or "")).first()
        if normalise_code(code or "")
        else None
    )
    if report is None or not report.passphrase_hash:
        check_password(passphrase, _dummy_hash())
        return None
    if not check_password(passphrase, report.passphrase_hash):
        return None
    return report


def misconduct_add_info(
    *, report: MisconductReport, text: str, evidence: Sequence[UploadedFile] = ()
) -> MisconductEvent:
    """The reporter (proved by `misconduct_lookup`) adds information or evidence."""
    text = _clean_text(text, field="text", limit=MAX_NOTE, required=not evidence)
    files = checked_evidence(evidence)
    with transaction.atomic():
        locked = MisconductReport.objects.select_for_update().get(pk=report.pk)
        if locked.evidence.count() + len(files) > MAX_EVIDENCE_FILES * 3:
            raise DomainError(_("No more evidence files can be attached."), field="evidence")
        _store_evidence(locked, files)
        event = _event(report=locked, kind=MisconductEvent.Kind.INFO, text=text, public=True)
        _audit_reporter("conduct.misconduct.info_added", locked, {"evidence": len(files)})
        _notify_inspectors(locked, "misconduct_info", INFO_MESSAGE)
    return event


# --- the inspectors -------------------------------------------------------------------------
def _locked(report: MisconductReport) -> MisconductReport:
    return MisconductReport.objects.select_for_update().get(pk=report.pk)


def misconduct_triage(
    *, actor: Actor, report: MisconductReport, accept: bool, reason: str = ""
) -> MisconductReport:
    """Accept for investigation, or close as not in scope with a reason (shown to the reporter)."""
    require(actor, "triage", MisconductReport, report)
    reason = _clean_text(reason, field="reason", limit=MAX_NOTE, required=not accept)
    with transaction.atomic():
        report = _locked(report)
        if report.status != MisconductStatus.NEW:
            raise Conflict(_("This report has already been triaged."))
        report.status = MisconductStatus.ACCEPTED if accept else MisconductStatus.NOT_IN_SCOPE
        report.save(update_fields=["status", "updated_at"])
        _event(
            report=report,
            kind=MisconductEvent.Kind.ACCEPTED if accept else MisconductEvent.Kind.NOT_IN_SCOPE,
            text=reason,
            public=True,
            author=actor.user,
        )
        audit_log(
            actor=actor,
            action="conduct.misconduct.accepted" if accept else "conduct.misconduct.rejected",
            target=report,
        )
    return report


def misconduct_note(*, actor: Actor, report: MisconductReport, text: str) -> MisconductEvent:
    """An investigation note: inspectors only, never shown to the reporter."""
    require(actor, "note", MisconductReport, report)
    text = _clean_text(text, field="text", limit=MAX_NOTE)
    with transaction.atomic():
        report = _locked(report)
        if report.status != MisconductStatus.ACCEPTED:
            raise Conflict(_("Notes can be added while the report is under investigation."))
        event = _event(report=report, kind=MisconductEvent.Kind.NOTE, text=text, author=actor.user)
        audit_log(actor=actor, action="conduct.misconduct.noted", target=report)
    return event


def misconduct_conclude(
    *, actor: Actor, report: MisconductReport, outcome: str, action_taken: str
) -> MisconductReport:
    """Record the outcome of the investigation and the action taken."""
    require(actor, "conclude", MisconductReport, report)
    if outcome not in MisconductOutcome.values:
        raise DomainError(_("Choose the outcome."), field="outcome")
    action_taken = _clean_text(action_taken, field="action_taken", limit=MAX_NOTE)
    with transaction.atomic():
        report = _locked(report)
        if report.status != MisconductStatus.ACCEPTED:
            raise Conflict(_("Only a report under investigation can be concluded."))
        report.status = MisconductStatus.CONCLUDED
        report.outcome = outcome
        report.action_taken = action_taken
        report.save(update_fields=["status", "outcome", "action_taken", "updated_at"])
        _event(
            report=report,
            kind=MisconductEvent.Kind.OUTCOME,
            text=action_taken,
            author=actor.user,
        )
        audit_log(
            actor=actor,
            action="conduct.misconduct.concluded",
            target=report,
            data={"outcome": outcome},
        )
    return report


def misconduct_reply(*, actor: Actor, report: MisconductReport, text: str) -> MisconductEvent:
    """A reply the reporter reads with the receipt code and passphrase."""
    require(actor, "reply", MisconductReport, report)
    text = _clean_text(text, field="text", limit=MAX_NOTE)
    with transaction.atomic():
        report = _locked(report)
        event = _event(
            report=report,
            kind=MisconductEvent.Kind.REPLY,
            text=text,
            public=True,
            author=actor.user,
        )
        audit_log(actor=actor, action="conduct.misconduct.replied", target=report)
    return event


def misconduct_contact_show(*, actor: Actor, report: MisconductReport) -> dict[str, str]:
    """Decrypt a named reporter's contact details; every read is audit-logged (without them)."""
    require(actor, "show_contact", MisconductReport, report)
    if report.anonymous or not report.contact_encrypted:
        raise DomainError(_("This report was made anonymously."))
    with transaction.atomic():
        audit_log(actor=actor, action="conduct.misconduct.contact_read", target=report)
    return decrypt_contact(bytes(report.contact_encrypted))
