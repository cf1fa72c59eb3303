"""The append-only, hash-chained audit log (DESIGN.md §3, rule 5)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from jiceng.core.actors import Actor
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


def audit_log(
    *,
    actor: Actor,
    action: str,
    target: models.Model,
    data: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Call it inside the service's transaction."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_ID])
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        seq = last["seq"] + 1 if last else 1
        prev_hash = last["hash"] if last else GENESIS_HASH
        entry = AuditEntry(
            seq=seq,
            created_at=timezone.now(),
            actor_user=actor.user if actor.user is not None and actor.user.pk else None,
            actor_unit=actor.unit,
            actor_api_key=actor.api_key,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            target_label=str(target)[:200],
            data=_json_safe(mask_secrets(dict(data or {}))),
            reason=reason,
            request_id=current_request_id.get(),
            prev_hash=prev_hash,
        )
        entry.hash = _hash_of(entry)
        entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    entry_id: int
    problem: str


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
            problem = (
                f"expected entry #{expected_seq} but found #{entry.seq}: "
                "an entry was deleted or renumbered"
            )
            return ChainReport(checked, prev_hash, ChainBreak(entry.seq, entry.pk, problem))
        if entry.prev_hash != prev_hash:
            problem = "its link to the previous entry is broken: entries were deleted or reordered"
            return ChainReport(checked, prev_hash, ChainBreak(entry.seq, entry.pk, problem))
        if _hash_of(entry) != entry.hash:
            problem = "its contents do not match its hash: the entry was edited"
            return ChainReport(checked, prev_hash, ChainBreak(entry.seq, entry.pk, problem))
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
