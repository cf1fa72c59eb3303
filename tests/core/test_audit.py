"""The append-only, hash-chained audit log and `manage.py audit_verify`."""

from __future__ import annotations

import itertools
import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from jiceng.core.actors import SYSTEM
from jiceng.core.audit import (
    GENESIS_HASH,
    MASK,
    all_entries_in_order,
    audit_log,
    entries_for,
    entry_hash,
    mask_secrets,
    verify_chain,
)
from jiceng.core.models import AppendOnlyError, AuditEntry, CalendarDay
from jiceng.core.request_context import current_request_id
from jiceng.orgs.roles import Role, UnitKind
from tests.factories import actor_for, make_member, make_unit

pytestmark = pytest.mark.django_db

TABLE = AuditEntry._meta.db_table


def q(name: str) -> str:
    return connection.ops.quote_name(name)


# Raw SQL goes around the ORM's append-only guard, as someone with database access could.
# Only quoted identifiers are put into the statements; values are always parameters.


def set_column(seq: int, column: str, value) -> None:
    sql = f"UPDATE {q(TABLE)} SET {q(column)} = %s WHERE {q('seq')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [value, seq])


def delete_row(seq: int) -> None:
    sql = f"DELETE FROM {q(TABLE)} WHERE {q('seq')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [seq])


def raw_data(pk: int):
    sql = f"SELECT {q('data')} FROM {q(TABLE)} WHERE {q('id')} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()[0]


def verify() -> str:
    """audit_verify's output, in English (its messages are translated)."""
    out = StringIO()
    with translation.override("en"):
        call_command("audit_verify", stdout=out)
    return out.getvalue()


@pytest.fixture
def unit():
    return make_unit(None, UnitKind.DISTRICT, "青禾区", code="QH")


@pytest.fixture
def five(unit) -> list[AuditEntry]:
    """A log of exactly five entries: the unit's creation and four more."""
    for n in range(2, 6):
        audit_log(actor=SYSTEM, action=f"test.step.{n}", target=unit, data={"n": n})
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    return entries


def seq_of_first_break() -> int:
    report = verify_chain(all_entries_in_order())
    assert not report.ok
    return report.first_break.seq


# --- writing ----------------------------------------------------------------------------------


def test_making_a_unit_writes_the_first_entry_from_the_genesis_hash(unit):
    entry = AuditEntry.objects.get()
    assert entry.seq == 1
    assert entry.prev_hash == GENESIS_HASH == "0" * 64
    assert entry.action == "orgs.unit.created"
    assert entry.target_type == "orgs.orgunit"
    assert entry.target_id == str(unit.pk)
    assert entry.data == {"code": "QH", "kind": "district"}
    assert entry.actor_user_id is None
    assert len(entry.hash) == 64
    assert entry.hash != GENESIS_HASH


def test_many_entries_form_a_continuous_linked_sequence(unit):
    for n in range(20):
        audit_log(actor=SYSTEM, action="test.counted", target=unit, data={"n": n})
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [entry.seq for entry in entries] == list(range(1, 22))
    assert entries[0].prev_hash == GENESIS_HASH
    for previous, entry in itertools.pairwise(entries):
        assert entry.prev_hash == previous.hash
    assert len({entry.hash for entry in entries}) == 21

    report = verify_chain(all_entries_in_order(chunk_size=7))
    assert report.ok
    assert report.checked == 21
    assert report.head_hash == entries[-1].hash


def test_the_returned_entry_is_what_was_stored(unit):
    entry = audit_log(actor=SYSTEM, action="test.stored", target=unit, data={"a": 1}, reason="因为")
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.hash == entry.hash
    assert stored.data == entry.data == {"a": 1}
    assert stored.reason == "因为"
    assert stored.target_label == str(unit)
    assert stored.created_at == entry.created_at


def test_the_acting_user_and_unit_are_recorded(unit):
    user = make_member(unit, Role.DISTRICT_ADMIN)
    entry = audit_log(actor=actor_for(user), action="test.by_user", target=unit)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor_user_id == user.pk
    assert stored.actor_unit_id == unit.pk
    assert stored.actor_api_key_id is None
    assert verify_chain(all_entries_in_order()).ok


def test_the_request_id_is_recorded(unit):
    token = current_request_id.set("req-7f3a9c21")
    try:
        entry = audit_log(actor=SYSTEM, action="test.in_request", target=unit)
    finally:
        current_request_id.reset(token)
    outside = audit_log(actor=SYSTEM, action="test.outside", target=unit)
    assert AuditEntry.objects.get(pk=entry.pk).request_id == "req-7f3a9c21"
    assert AuditEntry.objects.get(pk=outside.pk).request_id == ""
    assert verify_chain(all_entries_in_order()).ok


# --- masking ----------------------------------------------------------------------------------


def test_secrets_are_masked_at_any_depth(unit):
    data = {
        "password": "hunter2",
        "new_Password": "hunter3",
        "name": "张三",
        "count": 3,
        "monkey": "banana",  # contains "key" but is no secret
        "profile": {
            "api_key": "ak-123",
            "ApiKey": "ak-456",
            "phone": "13800000000",
            "sessions": [
                {"access_token": "tok-1", "device": "手机"},
                {"passphrase": "open sesame", "device": "电脑"},
            ],
        },
        "secret": {"nested": "a whole masked object"},
        "tags": ["token", "password"],  # values, not keys: untouched
    }
    entry = audit_log(actor=SYSTEM, action="test.masked", target=unit, data=data)
    expected = {
        "password": MASK,
        "new_Password": MASK,
        "name": "张三",
        "count": 3,
        "monkey": "banana",
        "profile": {
            "api_key": MASK,
            "ApiKey": MASK,
            "phone": "13800000000",
            "sessions": [
                {"access_token": MASK, "device": "手机"},
                {"passphrase": MASK, "device": "电脑"},
            ],
        },
        "secret": MASK,
        "tags": ["token", "password"],
    }
    assert MASK == "***"
    assert entry.data == expected
    assert AuditEntry.objects.get(pk=entry.pk).data == expected
    # The caller's data is not modified.
    assert data["password"] == "hunter2"
    assert data["profile"]["sessions"][0]["access_token"] == "tok-1"
    # Nothing secret reached the table, even as raw text.
    raw = raw_data(entry.pk)
    raw_text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    for secret in ("hunter2", "hunter3", "ak-123", "ak-456", "tok-1", "open sesame", "whole"):
        assert secret not in raw_text


def test_mask_secrets_handles_tuples_and_scalars():
    assert mask_secrets(({"token": "x"}, 1)) == [{"token": MASK}, 1]
    assert mask_secrets("password") == "password"
    assert mask_secrets(None) is None
    assert mask_secrets({1: {"Authorization": "Bearer x"}}) == {"1": {"Authorization": MASK}}


# --- round trips ------------------------------------------------------------------------------


def test_non_ascii_and_nested_data_round_trips_and_verifies(unit):
    data = {
        "标题": "路灯不亮",
        "地址": {"街道": "东湖街道", "门牌": ["3栋", "2单元", 501]},
        "items": [1, "二", {"深": ["层", None, True, False, 1.5, -7]}, []],
        "空": {},
        "emoji": "👍",
        "quote": 'say "hi"\n\ttab \\ backslash',
    }
    entry = audit_log(actor=SYSTEM, action="test.unicode", target=unit, data=data)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.data == data
    assert stored.target_label == "青禾区"
    report = verify_chain(all_entries_in_order())
    assert report.ok, report.first_break
    assert report.checked == 2
    assert "intact" in verify()


def test_values_json_cannot_hold_are_stored_as_text_and_verify(unit):
    entry = audit_log(
        actor=SYSTEM,
        action="test.dates",
        target=unit,
        data={"due": date(2026, 2, 24), "ids": (3, 4)},
    )
    assert entry.data == {"due": "2026-02-24", "ids": [3, 4]}
    assert AuditEntry.objects.get(pk=entry.pk).data == {"due": "2026-02-24", "ids": [3, 4]}
    assert verify_chain(all_entries_in_order()).ok


@pytest.mark.parametrize("value", [-0.0, 1e16, 1e20, [{"score": -0.0}]])
def test_floats_round_trip_and_verify(unit, value):
    audit_log(actor=SYSTEM, action="test.float", target=unit, data={"value": value})
    report = verify_chain(all_entries_in_order())
    assert report.ok, report.first_break


# --- entries_for ------------------------------------------------------------------------------


def test_entries_for_returns_only_that_targets_history_in_order(unit):
    other = make_unit(None, UnitKind.DISTRICT, "石泉区", code="SQ")
    audit_log(actor=SYSTEM, action="test.first", target=unit)
    audit_log(actor=SYSTEM, action="test.other", target=other)
    audit_log(actor=SYSTEM, action="test.second", target=unit)
    # Another model with the same primary key is another target.
    same_pk = CalendarDay(pk=unit.pk, date=date(2027, 2, 8), kind=CalendarDay.Kind.HOLIDAY)
    audit_log(actor=SYSTEM, action="test.same_pk", target=same_pk)

    history = list(entries_for(unit))
    assert [entry.action for entry in history] == [
        "orgs.unit.created",
        "test.first",
        "test.second",
    ]
    assert [entry.seq for entry in history] == sorted(entry.seq for entry in history)
    assert [entry.action for entry in entries_for(other)] == ["orgs.unit.created", "test.other"]
    assert [entry.action for entry in entries_for(same_pk)] == ["test.same_pk"]


# --- append-only ------------------------------------------------------------------------------


def test_the_orm_refuses_updates_and_deletes(five):
    entry = AuditEntry.objects.get(seq=3)
    entry.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.save(update_fields=["action"])
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=3).update(action="test.rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=3).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 5
    assert AuditEntry.objects.get(seq=3).action == "test.step.3"
    assert verify_chain(all_entries_in_order()).ok


# --- verification -----------------------------------------------------------------------------


def test_audit_verify_reports_an_intact_chain(five):
    output = verify()
    assert "intact" in output
    assert "5 entries" in output
    assert five[-1].hash in output


def test_audit_verify_on_an_empty_log():
    output = verify()
    assert "intact" in output
    assert "0 entries" in output
    assert GENESIS_HASH in output


def assert_command_names(seq: int, intact: int | None = None) -> None:
    """audit_verify fails naming entry #seq and how many entries before it are intact."""
    intact = seq - 1 if intact is None else intact
    with pytest.raises(CommandError) as raised:
        verify()
    message = str(raised.value)
    assert f"broken at entry #{seq} " in message
    if intact == 1:
        assert "1 entry before it is intact" in message
    else:
        assert f"{intact} entries before it are intact" in message


def test_an_edited_data_field_is_detected(five):
    set_column(3, "data", '{"n": 99}')
    assert AuditEntry.objects.get(seq=3).data == {"n": 99}
    report = verify_chain(all_entries_in_order())
    assert report.first_break.seq == 3
    assert report.first_break.entry_id == five[2].pk
    assert "edited" in report.first_break.problem
    assert report.checked == 2
    assert report.head_hash == five[1].hash
    assert_command_names(3)


def test_an_edited_action_is_detected(five):
    set_column(4, "action", "x.y")
    report = verify_chain(all_entries_in_order())
    assert report.first_break.seq == 4
    assert "edited" in report.first_break.problem
    assert_command_names(4)


def test_an_edited_last_entry_is_detected(five):
    set_column(5, "reason", "后补")
    assert seq_of_first_break() == 5
    assert_command_names(5)


def test_a_deleted_entry_in_the_middle_is_detected(five):
    delete_row(3)
    report = verify_chain(all_entries_in_order())
    assert report.first_break.seq == 4
    assert report.first_break.entry_id == five[3].pk
    assert "expected entry #3 but found #4" in report.first_break.problem
    assert report.checked == 2
    assert_command_names(4, intact=2)


def test_a_deleted_first_entry_is_detected(five):
    delete_row(1)
    assert seq_of_first_break() == 2


def test_a_deleted_entry_renumbered_to_close_the_gap_is_detected(five):
    delete_row(3)
    for seq in (4, 5):
        set_column(seq, "seq", seq - 1)
    report = verify_chain(all_entries_in_order())
    # Entry #4 now sits at #3: its seq is part of its hash, and its link points at the lost #3.
    assert report.first_break.seq == 3
    assert report.first_break.entry_id == five[3].pk
    assert_command_names(3)


def test_reordered_entries_are_detected(five):
    parked = 10**12  # seq is unique and not negative: park one row out of the way
    set_column(2, "seq", parked)
    set_column(3, "seq", 2)
    set_column(parked, "seq", 3)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [entry.pk for entry in entries] == [
        five[0].pk,
        five[2].pk,
        five[1].pk,
        five[3].pk,
        five[4].pk,
    ]
    report = verify_chain(all_entries_in_order())
    assert report.first_break.seq == 2
    assert report.first_break.entry_id == five[2].pk
    assert "link" in report.first_break.problem
    assert report.checked == 1
    assert_command_names(2)


def test_an_edited_prev_hash_is_detected(five):
    set_column(3, "prev_hash", "f" * 64)
    report = verify_chain(all_entries_in_order())
    assert report.first_break.seq == 3
    assert "link" in report.first_break.problem
    assert_command_names(3)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(five):
    """Rewriting an entry and its own hash is still caught: the next entry points at the old one."""
    set_column(3, "action", "x.y")
    tampered = AuditEntry.objects.get(seq=3)
    forged = entry_hash(
        seq=tampered.seq,
        created_at=tampered.created_at,
        actor_user_id=tampered.actor_user_id,
        actor_unit_id=tampered.actor_unit_id,
        actor_api_key_id=tampered.actor_api_key_id,
        action=tampered.action,
        target_type=tampered.target_type,
        target_id=tampered.target_id,
        target_label=tampered.target_label,
        data=tampered.data,
        reason=tampered.reason,
        request_id=tampered.request_id,
        prev_hash=tampered.prev_hash,
    )
    assert forged != five[2].hash
    set_column(3, "hash", forged)
    report = verify_chain(all_entries_in_order())
    assert report.first_break.seq == 4
    assert "link" in report.first_break.problem
    assert report.checked == 3
    assert_command_names(4)


def test_the_hash_covers_every_field(five):
    entry = five[2]
    fields = {
        "seq": entry.seq,
        "created_at": entry.created_at,
        "actor_user_id": entry.actor_user_id,
        "actor_unit_id": entry.actor_unit_id,
        "actor_api_key_id": entry.actor_api_key_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
        "data": entry.data,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }
    assert entry_hash(**fields) == entry.hash
    changed = {
        "seq": 4,
        "created_at": entry.created_at.replace(
            microsecond=(entry.created_at.microsecond + 1) % 10**6
        ),
        "actor_user_id": 1,
        "actor_unit_id": 1,
        "actor_api_key_id": 1,
        "action": "x",
        "target_type": "x",
        "target_id": "x",
        "target_label": "x",
        "data": {"n": 4},
        "reason": "x",
        "request_id": "x",
        "prev_hash": "f" * 64,
    }
    for name, value in changed.items():
        assert entry_hash(**{**fields, name: value}) != entry.hash, name
