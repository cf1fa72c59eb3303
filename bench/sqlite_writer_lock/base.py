"""Experiment: Django's SQLite backend with write transactions queued on an OS file lock.

SQLite lets one writer in at a time. A connection that finds the write lock taken waits in
SQLite's busy handler, which *sleeps* 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between
retries instead of being woken when the lock is free; with several gunicorn workers most of a
POST's time goes to those sleeps. Here every `BEGIN IMMEDIATE` first takes an exclusive
`flock` on a file next to the database (waiters block in the kernel and are woken at once) and
gives it up at COMMIT or ROLLBACK, so the SQLite lock is always free when BEGIN runs.

Only `bench/intake.py --writer-lock` uses it, to measure what the change would gain.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base

# The stubs do not describe the private hooks overridden here.
_SQLiteWrapper: Any = base.DatabaseWrapper


class DatabaseWrapper(_SQLiteWrapper):
    _writer_fd: int | None = None
    _writer_locked = False

    def _lock_file(self) -> int:
        if self._writer_fd is None:
            path = f"{self.settings_dict['NAME']}.writer-lock"
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._writer_fd

    def _release_writer(self) -> None:
        if self._writer_locked:
            fcntl.flock(self._lock_file(), fcntl.LOCK_UN)
            self._writer_locked = False

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode == "IMMEDIATE" and not self._writer_locked:
            fcntl.flock(self._lock_file(), fcntl.LOCK_EX)
            self._writer_locked = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_writer()
