"""Django's SQLite backend with write transactions queued on an OS file lock.

SQLite lets one writer in at a time. A connection that finds the write lock taken waits in
SQLite's busy handler, which *sleeps* 1, 2, 5, 10, 15, 20, 25, … ms between retries instead of
being woken when the lock is free; with several web processes and threads the tail latency of
every write goes to those sleeps (docs/PERFORMANCE.md). Here every `BEGIN IMMEDIATE` first takes
an exclusive `flock` on a file next to the database (waiters block in the kernel and are woken
at once, in turn) and gives it up at COMMIT or ROLLBACK, so SQLite's own lock is free when BEGIN
runs. In-memory databases (the tests) have a single process and need no lock.
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

    def _lock_file(self) -> int | None:
        if self._writer_fd is None and not self.is_in_memory_db():
            path = f"{self.settings_dict['NAME']}.writer-lock"
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._writer_fd

    def _release_writer(self) -> None:
        if self._writer_locked and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writer_locked = False

    def _start_transaction_under_autocommit(self) -> None:
        if self.transaction_mode == "IMMEDIATE" and not self._writer_locked:
            fd = self._lock_file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
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
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
