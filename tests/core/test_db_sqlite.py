"""The SQLite backend queues writers on a file lock instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from django.db.utils import ConnectionHandler


@pytest.fixture
def unblocked(django_db_blocker):
    """These tests open connections of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def handler(tmp_path, unblocked):
    """Connections to a database file of its own, one per thread, as web threads have."""
    connections = ConnectionHandler(
        {
            "default": {
                "ENGINE": "jiceng.core.db.sqlite",
                "NAME": str(tmp_path / "db.sqlite3"),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            }
        }
    )
    with connections["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, who TEXT)")
    yield connections, tmp_path / "db.sqlite3.writer-lock"
    connections.close_all()


def test_a_second_writer_waits_for_the_first_to_commit_then_goes_on(handler):
    connections, lock_file = handler
    seen_on_entry: dict[str, list[str]] = {}
    first_inside = threading.Event()
    second_knocking = threading.Event()

    def write(who: str, before_begin=None, after_begin=None) -> None:
        connection = connections["default"]
        with connection.cursor() as cursor:
            if before_begin:
                before_begin()
            # As transaction.atomic() starts a transaction: BEGIN IMMEDIATE, lock file first.
            connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            cursor.execute("SELECT who FROM item ORDER BY id")
            # What a writer sees once inside tells whether it waited for the commit before it;
            # the order in which threads append to a list after commit would be a race.
            seen_on_entry[who] = [row[0] for row in cursor.fetchall()]
            if after_begin:
                after_begin()
            cursor.execute("INSERT INTO item (who) VALUES (%s)", [who])
            connection.commit()
            connection.set_autocommit(True)
        connection.close()

    def hold_until_the_second_knocks() -> None:
        first_inside.set()
        assert second_knocking.wait(timeout=10)
        time.sleep(0.2)  # let the second reach its BEGIN and block on the lock file

    first = threading.Thread(target=write, args=("first", None, hold_until_the_second_knocks))
    first.start()
    assert first_inside.wait(timeout=10)
    probe = os.open(lock_file, os.O_RDWR)
    with pytest.raises(BlockingIOError):  # the open transaction holds the lock file
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    second = threading.Thread(target=write, args=("second", second_knocking.set))
    second.start()
    first.join(timeout=20)
    second.join(timeout=20)
    assert seen_on_entry == {"first": [], "second": ["first"]}
    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # both committed: free again
    os.close(probe)
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT who FROM item ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]


def test_a_rolled_back_writer_lets_the_next_one_in(handler):
    connections, _lock_file = handler
    connection = connections["default"]
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO item (who) VALUES ('gone')")
    connection.rollback()
    connection.set_autocommit(True)
    assert connection._writer_locked is False
    done = threading.Event()

    def write() -> None:
        other = connections["default"]
        other.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        with other.cursor() as cursor:
            cursor.execute("INSERT INTO item (who) VALUES ('kept')")
        other.commit()
        other.set_autocommit(True)
        other.close()
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(timeout=5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT who FROM item")
        assert [row[0] for row in cursor.fetchall()] == ["kept"]


def test_in_memory_databases_need_no_lock(unblocked):
    connections = ConnectionHandler(
        {"default": {"ENGINE": "jiceng.core.db.sqlite", "NAME": ":memory:", "OPTIONS": {}}}
    )
    connection = connections["default"]
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.commit()
    assert connection._writer_fd is None
    connections.close_all()
