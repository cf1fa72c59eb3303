"""The append-only, hash-chained audit log (DESIGN.md §3, rule 5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from jiceng.core.actors import Actor
from jiceng.core.db.prepared_insert import PreparedInsert
from jiceng.core.models import AuditEntry
from jiceng.core.request_context import current_request_id

GENESIS_HASH = "0" * 64
MASK = "***"
_SECRET_KEY_PARTS = (
    "password",
    "secret",
    "token",
    "api_key",
    "apikey",
    "passphrase",
    "authorization",
    "key_hash",
)
# Serialises appends on PostgreSQL; on SQLite every write transaction already holds the lock.
_ADVISORY_LOCK_ID = 0x4A494345  # "JICE"


def mask_secrets(value: Any) -> Any:
    """Replace the values of secret-looking keys, at any depth, by a mask."""
    if isinstance(value, Mapping):
        return {
            str(key): (
                MASK
                if any(part in str(key).lower() for part in _SECRET_KEY_PARTS)
                else mask_secrets(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    return value


def _stable_numbers(value: Any) -> Any:
    """What PostgreSQL's jsonb gives back: no negative zero, big whole floats as integers."""
    if isinstance(value, float):
        if value == 0:
            return 0.0
        if abs(value) >= 1e16 and value.is_integer():
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: _stable_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stable_numbers(item) for item in value]
    return value


def _json_safe(value: Any) -> Any:
    """The data as every database gives it back, so the stored entry hashes the same when read."""
    return _stable_numbers(
        json.loads(json.dumps(value, ensure_ascii=False, default=str, allow_nan=False))
    )


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    created_at: datetime,
    actor_user_id: int | None,
    actor_unit_id: int | None,
    actor_api_key_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    target_label: str,
    data: Any,
    reason: str,
    request_id: str,
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        [
            seq,
            _timestamp(created_at),
            actor_user_id,
            actor_unit_id,
            actor_api_key_id,
            action,
            target_type,
            target_id,
            target_label,
            data,
            reason,
            request_id,
            prev_hash,
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hash_of(entry: AuditEntry) -> str:
    return entry_hash(
        seq=entry.seq,
        created_at=entry.created_at,
        actor_user_id=entry.actor_user_id,
        actor_unit_id=entry.actor_unit_id,
        actor_api_key_id=entry.actor_api_key_id,
        action=entry.action,
        target_type=entry.target_type,
        target_id=entry.target_id,
        target_label=entry.target_label,
        data=entry.data,
        reason=entry.reason,
        request_id=entry.request_id,
        prev_hash=entry.prev_hash,
    )


@dataclass(frozen=True)
class AuditRecord:
    """One entry to append; `request_id` is the request that made it (the current one if empty)."""

    actor: Actor
    action: str
    target: models.Model
    data: Mapping[str, Any] | None = None
    reason: str = ""
    request_id: str = ""


def audit_log(
    *,
    actor: Actor,
    action: str,
    target: models.Model,
    data: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the service's transaction."""
    record = AuditRecord(actor=actor, action=action, target=target, data=data, reason=reason)
    return AuditDraft([record]).append()[0]


def _chain_head() -> tuple[int, str]:
    """The last entry's sequence number and hash (0 and the genesis hash before the first)."""
    # One plain statement: it runs while the write lock is held, where the ORM's cost counts.
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, GENESIS_HASH)


class AuditDraft:
    """Entries made ready before the transaction that appends them.

    Only their place in the chain (sequence number, previous hash, own hash) and the ids of
    targets stored in the same transaction are filled in when `append` runs: intake appends many
    entries while it holds the database's write lock, and keeps that short.
    """

    def __init__(self, records: Sequence[AuditRecord]) -> None:
        now = timezone.now()
        self.targets = [record.target for record in records]
        self.entries = [
            AuditEntry(
                seq=0,
                created_at=now,
                actor_user=(
                    record.actor.user
                    if record.actor.user is not None and record.actor.user.pk
                    else None
                ),
                actor_unit=record.actor.unit,
                actor_api_key=record.actor.api_key,
                action=record.action,
                target_type=record.target._meta.label_lower,
                target_id=str(record.target.pk),
                target_label=str(record.target)[:200],
                data=_json_safe(mask_secrets(dict(record.data or {}))),
                reason=record.reason,
                request_id=record.request_id or current_request_id.get(),
            )
            for record in records
        ]
        self.insert = PreparedInsert(self.entries)

    @classmethod
    def combine(cls, drafts: Sequence[AuditDraft]) -> AuditDraft:
        """One draft of the entries of several, in order."""
        combined = cls([])
        combined.targets = [target for draft in drafts for target in draft.targets]
        combined.entries = [entry for draft in drafts for entry in draft.entries]
        combined.insert = PreparedInsert.combine([draft.insert for draft in drafts])
        return combined

    def append(self) -> list[AuditEntry]:
        """Chain the entries after the last one and store them. Runs in the caller's transaction."""
        with transaction.atomic(savepoint=False):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_ID])
            seq, prev_hash = _chain_head()
            self.insert.set("target_id", [str(target.pk) for target in self.targets])
            seqs, prevs, hashes = [], [], []
            for entry in self.entries:
                seq += 1
                entry.seq, entry.prev_hash = seq, prev_hash
                prev_hash = _hash_of(entry)
                seqs.append(seq)
                prevs.append(entry.prev_hash)
                hashes.append(prev_hash)
            self.insert.set("seq", seqs)
            self.insert.set("prev_hash", prevs)
            self.insert.set("hash", hashes)
            return self.insert.execute()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    entry_id: int
    # What is wrong, in English with named placeholders filled from `values`: marked for
    # translation, so that audit_verify can say it in the operator's language.
    reason: str
    values: Mapping[str, int] = field(default_factory=dict)

    @property
    def problem(self) -> str:
        """The problem in English, as the nightly job logs it."""
        return self.reason % self.values


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(entries: Iterable[AuditEntry]) -> ChainReport:
    """Walk entries in sequence order and report the first link that does not hold."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for entry in entries:
        if entry.seq != expected_seq:
            reason = gettext_noop(
                "expected entry #%(expected)d but found #%(found)d: "
                "an entry was deleted or renumbered"
            )
            values = {"expected": expected_seq, "found": entry.seq}
            return ChainReport(checked, prev_hash, ChainBreak(entry.seq, entry.pk, reason, values))
        if entry.prev_hash != prev_hash:
            reason = gettext_noop(
                "its link to the previous entry is broken: entries were deleted or reordered"
            )
            return ChainReport(checked, prev_hash, ChainBreak(entry.seq, entry.pk, reason))
        if _hash_of(entry) != entry.hash:
            reason = gettext_noop("its contents do not match its hash: the entry was edited")
            return ChainReport(checked, prev_hash, ChainBreak(entry.seq, entry.pk, reason))
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    return ChainReport(checked, prev_hash, None)


def all_entries_in_order(chunk_size: int = 2000) -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size)


def entries_for(target: models.Model) -> models.QuerySet[AuditEntry]:
    """The history of one object, oldest first."""
    return AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).order_by("seq")
