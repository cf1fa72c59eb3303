"""Writes to the fund ledger: allocations, expenditures, approvals, reversals, vouchers.

Every service is one transaction with its permission check and audit entry inside. Entries are
never edited or deleted (the model refuses it too); a mistake is undone by `fund_entry_reverse`.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.permissions import can
from jiceng.orgs.models import OrgUnit
from jiceng.support import ledger
from jiceng.support.models import (
    ExpenseCategory,
    FundEntry,
    FundKind,
    FundSource,
    FundStatus,
    FundVoucher,
)
from jiceng.support.permissions_funds import approves, manages_unit

MAX_PAYEE = 100
MAX_TEXT = 500
MAX_VOUCHER_BYTES = 10 * 1024 * 1024
MAX_VOUCHERS = 10
FIRST_YEAR = 2000
VOUCHER_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


def approval_threshold() -> Decimal:
    return Decimal(settings.FUNDS_APPROVAL_THRESHOLD)


def checked_amount(value: Any, *, field: str = "amount") -> Decimal:
    """The amount as a Decimal to the fen; DomainError naming the problem otherwise."""
    problem = ledger.amount_problem(value)
    if problem == "invalid":
        raise DomainError(_("Enter the amount in yuan, such as 1280.50."), field=field)
    if problem == "not_positive":
        raise DomainError(_("The amount must be more than zero."), field=field)
    if problem == "too_precise":
        raise DomainError(
            _("Amounts are kept to the fen: at most two decimal places."), field=field
        )
    if problem == "too_large":
        raise DomainError(
            _("An entry may be at most %(limit)s yuan; check the amount.")
            % {"limit": f"{ledger.MAX_AMOUNT:,.2f}"},
            field=field,
        )
    return Decimal(value.strip() if isinstance(value, str) else value).quantize(ledger.FEN)


def _checked_text(value: str, *, field: str, limit: int, required: bool, message: str) -> str:
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


def _checked_date(value: Any, *, field: str) -> date:
    if not isinstance(value, date):
        raise DomainError(_("Enter a date such as 2026-03-15."), field=field)
    today = timezone.localdate(clock.now())
    if value > today:
        raise DomainError(_("The date cannot lie in the future."), field=field)
    if value.year < FIRST_YEAR:
        raise DomainError(_("The ledger starts in %(year)d.") % {"year": FIRST_YEAR}, field=field)
    return value


def _require_manager(actor: Actor, unit: OrgUnit) -> None:
    if not manages_unit(actor, unit.pk):
        raise Forbidden(_("Only your own unit's ledger can be kept by you."))


def _audit(actor: Actor, verb: str, entry: FundEntry, reason: str = "", **data: Any) -> None:
    audit_log(
        actor=actor,
        action=f"support.fund.{verb}",
        target=entry,
        data={
            "unit": entry.unit.code,
            "year": entry.year,
            "kind": entry.kind,
            "amount": str(entry.amount),
            **data,
        },
        reason=reason,
    )


@transaction.atomic
def fund_allocation_record(
    *,
    actor: Actor,
    unit: OrgUnit,
    year: int,
    source: str,
    amount: Any,
    entry_date: date,
    note: str = "",
) -> FundEntry:
    """Book money allocated to `unit` for `year` from `source`."""
    _require_manager(actor, unit)
    today = timezone.localdate(clock.now())
    if (
        not isinstance(year, int)
        or isinstance(year, bool)
        or not FIRST_YEAR <= year <= today.year + 1
    ):
        raise DomainError(
            _("Choose a year from %(first)d to %(last)d.")
            % {"first": FIRST_YEAR, "last": today.year + 1},
            field="year",
        )
    if source not in FundSource.values:
        raise DomainError(_("Choose where the money comes from."), field="source")
    checked = checked_amount(amount)
    entry_date = _checked_date(entry_date, field="entry_date")
    note = _checked_text(note, field="note", limit=MAX_TEXT, required=False, message="")
    entry = FundEntry.objects.create(
        unit=unit,
        unit_path=unit.path,
        year=year,
        kind=FundKind.ALLOCATION,
        status=FundStatus.APPROVED,
        source=source,
        amount=checked,
        entry_date=entry_date,
        purpose=note,
        recorded_by=actor.user,
        recorded_at=clock.now(),
    )
    _audit(actor, "allocated", entry, source=source)
    return entry


@transaction.atomic
def fund_expense_record(
    *,
    actor: Actor,
    unit: OrgUnit,
    category: str,
    amount: Any,
    payee: str,
    spent_on: date,
    purpose: str,
    vouchers: Sequence[UploadedFile] = (),
) -> FundEntry:
    """Book an expenditure of `unit`; above the threshold it waits for approval."""
    _require_manager(actor, unit)
    if category not in ExpenseCategory.values:
        raise DomainError(_("Choose what the money was spent on."), field="category")
    checked = checked_amount(amount)
    payee = _checked_text(
        payee, field="payee", limit=MAX_PAYEE, required=True, message=_("Say who was paid.")
    )
    spent_on = _checked_date(spent_on, field="spent_on")
    purpose = _checked_text(
        purpose,
        field="purpose",
        limit=MAX_TEXT,
        required=True,
        message=_("Say what the money was for."),
    )
    if len(vouchers) > MAX_VOUCHERS:
        raise DomainError(
            _("Attach at most %(count)d vouchers.") % {"count": MAX_VOUCHERS}, field="vouchers"
        )
    checked_files = [_checked_voucher(upload) for upload in vouchers]
    pending = ledger.needs_approval(checked, approval_threshold())
    entry = FundEntry.objects.create(
        unit=unit,
        unit_path=unit.path,
        year=spent_on.year,
        kind=FundKind.EXPENSE,
        status=FundStatus.PENDING if pending else FundStatus.APPROVED,
        category=category,
        amount=checked,
        entry_date=spent_on,
        payee=payee,
        purpose=purpose,
        recorded_by=actor.user,
        recorded_at=clock.now(),
    )
    _audit(actor, "spent", entry, category=category, payee=payee, pending=pending)
    for upload, (raw, kind) in zip(vouchers, checked_files, strict=True):
        _store_voucher(actor, entry, upload, raw, kind)
    return entry


def _decide(actor: Actor, entry: FundEntry, status: str, note: str) -> FundEntry:
    if not actor.system and (
        not approves(actor) or actor.unit is None or not entry.unit_path.startswith(actor.unit.path)
    ):
        raise Forbidden()
    if actor.user is not None and entry.recorded_by_id == actor.user.pk:
        raise Forbidden(_("You recorded this expenditure; someone else must approve it."))
    if not can(actor, "approve", FundEntry, entry):
        raise Forbidden()
    if entry.kind != FundKind.EXPENSE or entry.status != FundStatus.PENDING:
        raise Conflict(_("Only an expenditure awaiting approval can be approved or rejected."))
    now = clock.now()
    changed = FundEntry.objects.filter(pk=entry.pk).decide(
        status=status, decided_by=actor.user, decided_at=now, decision_note=note
    )
    if not changed:
        raise Conflict(_("Someone else has decided this expenditure already. Reload the page."))
    decided = FundEntry.objects.select_related("unit").get(pk=entry.pk)
    _audit(actor, status, decided, reason=note)
    return decided


@transaction.atomic
def fund_expense_approve(*, actor: Actor, entry: FundEntry, note: str = "") -> FundEntry:
    """Approve a pending expenditure: from now on it counts as spent."""
    note = _checked_text(note, field="note", limit=MAX_TEXT, required=False, message="")
    return _decide(actor, entry, FundStatus.APPROVED, note)


@transaction.atomic
def fund_expense_reject(*, actor: Actor, entry: FundEntry, note: str) -> FundEntry:
    """Reject a pending expenditure: it stays on record and never counts."""
    note = _checked_text(
        note, field="note", limit=MAX_TEXT, required=True, message=_("Say why it is rejected.")
    )
    return _decide(actor, entry, FundStatus.REJECTED, note)


@transaction.atomic
def fund_entry_reverse(*, actor: Actor, entry: FundEntry, reason: str) -> FundEntry:
    """Undo a posted allocation or expenditure in full with a reversal entry of the same year."""
    if not can(actor, "reverse", FundEntry, entry):
        raise Forbidden()
    reason = _checked_text(
        reason,
        field="reason",
        limit=MAX_TEXT,
        required=True,
        message=_("Say why the entry is reversed."),
    )
    if entry.kind not in ledger.REVERSAL_OF:
        raise Conflict(_("A reversal cannot itself be reversed; record the entry anew."))
    if entry.status != FundStatus.APPROVED:
        raise Conflict(_("Only a posted entry can be reversed; a pending one is rejected instead."))
    if FundEntry.objects.filter(reverses=entry).exists():
        raise Conflict(_("This entry has been reversed already."))
    try:
        with transaction.atomic():
            reversal = FundEntry.objects.create(
                unit=entry.unit,
                unit_path=entry.unit_path,
                year=entry.year,
                kind=ledger.REVERSAL_OF[entry.kind],
                status=FundStatus.APPROVED,
                source=entry.source,
                category=entry.category,
                amount=entry.amount,
                entry_date=timezone.localdate(clock.now()),
                payee=entry.payee,
                reverses=entry,
                reason=reason,
                recorded_by=actor.user,
                recorded_at=clock.now(),
            )
    except IntegrityError:
        raise Conflict(_("This entry has been reversed already.")) from None
    _audit(actor, "reversed", reversal, reason=reason, reverses=entry.pk)
    return reversal


# --- vouchers -------------------------------------------------------------------------------
def voucher_kind(raw: bytes) -> str | None:
    """What the content is (pdf, jpg, png), whatever the file's name says; None otherwise."""
    if raw.startswith(b"%PDF-"):
        return "pdf" if b"%%EOF" in raw[-2048:] else None
    if raw.startswith(b"\xff\xd8\xff") or raw.startswith(b"\x89PNG\r\n\x1a\n"):
        try:
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format
                probe.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            return None
        return {"JPEG": "jpg", "PNG": "png"}.get(kind or "")
    return None


def _checked_voucher(upload: UploadedFile) -> tuple[bytes, str]:
    too_big = DomainError(
        _("Each voucher may be at most %(mb)d MB.") % {"mb": MAX_VOUCHER_BYTES // (1024 * 1024)},
        field="vouchers",
    )
    if upload.size is not None and upload.size > MAX_VOUCHER_BYTES:
        raise too_big
    upload.seek(0)
    raw = upload.read(MAX_VOUCHER_BYTES + 1)
    if len(raw) > MAX_VOUCHER_BYTES:
        raise too_big
    if not raw:
        raise DomainError(_("This file is empty."), field="vouchers")
    kind = voucher_kind(raw)
    if kind is None:
        raise DomainError(
            _("Only PDF, JPEG and PNG files can be filed as vouchers; this file is not one."),
            field="vouchers",
        )
    return raw, kind


def _store_voucher(
    actor: Actor, entry: FundEntry, upload: UploadedFile, raw: bytes, kind: str
) -> FundVoucher:
    original = (upload.name or kind).rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200] or kind
    voucher = FundVoucher(
        entry=entry,
        original_name=original,
        content_type=VOUCHER_TYPES[kind],
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        uploaded_by=actor.user,
        uploaded_at=clock.now(),
    )
    # A random stored name: the original name is shown but never trusted as a path.
    voucher.file.save(f"{secrets.token_hex(16)}.{kind}", ContentFile(raw), save=False)
    voucher.save()
    audit_log(
        actor=actor,
        action="support.fund.voucher_added",
        target=entry,
        data={"name": original, "type": kind, "size": len(raw), "sha256": voucher.sha256},
    )
    return voucher


@transaction.atomic
def fund_voucher_add(*, actor: Actor, entry: FundEntry, upload: UploadedFile) -> FundVoucher:
    """File a voucher with an expenditure of the actor's unit."""
    _require_manager(actor, entry.unit)
    if entry.kind != FundKind.EXPENSE:
        raise Conflict(_("Vouchers are filed with expenditures."))
    if entry.vouchers.count() >= MAX_VOUCHERS:
        raise DomainError(
            _("Attach at most %(count)d vouchers.") % {"count": MAX_VOUCHERS}, field="file"
        )
    raw, kind = _checked_voucher(upload)
    return _store_voucher(actor, entry, upload, raw, kind)
