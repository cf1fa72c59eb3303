"""Fixed-window rate limits for anonymous endpoints, Open311 and login throttling.

The counters live in a store shared by every process of the deployment (`RATELIMIT_STORE`):
- `cache`: Django's cache (Redis when `REDIS_URL` is set; local memory in tests);
- `sqlite`: a small SQLite file of its own (`RATELIMIT_SQLITE_PATH`), the default with the
  embedded database: one atomic statement per event, and no write to the main database, whose
  single write lock belongs to the requests themselves. Counters are not worth a disk flush, so
  the file is written without one; a power cut at worst forgets the current window.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from jiceng.core.errors import RateLimited

F = TypeVar("F", bound=Callable[..., HttpResponse])


@dataclass(frozen=True)
class Window:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind a trusted proxy, the address the proxy saw."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, identity: str, window_seconds: int, now: float) -> tuple[str, int]:
    bucket = int(now // window_seconds)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    retry_after = int((bucket + 1) * window_seconds - now) + 1
    return f"rl:{scope}:{digest}:{bucket}", retry_after


class CounterStore(Protocol):
    def incr(self, key: str, ttl: int) -> int: ...
    def get(self, key: str) -> int: ...
    def delete(self, key: str) -> None: ...


class CacheStore:
    """Counters in Django's cache."""

    def incr(self, key: str, ttl: int) -> int:
        # incr first: after the first event of a window the key exists, and on the database
        # cache `add` of an existing key is a failed insert in a transaction of its own.
        try:
            return cache.incr(key)
        except ValueError:
            if cache.add(key, 1, timeout=ttl):
                return 1
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=ttl)
                return 1

    def get(self, key: str) -> int:
        return int(cache.get(key, 0))

    def delete(self, key: str) -> None:
        cache.delete(key)


class SqliteStore:
    """Counters in a SQLite file shared by the processes of one host.

    Writers take turns on an OS file lock first: SQLite's own busy handler would make a writer
    that finds the file locked sleep for milliseconds instead of being woken at once.
    """

    PURGE_ONE_IN = 512

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    def _db(self) -> tuple[sqlite3.Connection, int]:
        if getattr(self._local, "pid", None) != os.getpid():
            # One descriptor per thread: flock excludes descriptors, not processes.
            lock = os.open(f"{self.path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            # Under the lock: switching a new file to WAL while another connection does the same
            # fails at once with "database is locked", whatever the busy timeout.
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=OFF")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS counter"
                    " (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL)"
                    " WITHOUT ROWID"
                )
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
            self._local.db, self._local.lock, self._local.pid = db, lock, os.getpid()
        return self._local.db, self._local.lock

    def _write(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        db, lock = self._db()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def incr(self, key: str, ttl: int) -> int:
        now = time.time()
        if random.randrange(self.PURGE_ONE_IN) == 0:  # noqa: S311  (not a secret)
            self._write("DELETE FROM counter WHERE expires <= ?", (now,))
        ((count,),) = self._write(
            "INSERT INTO counter (key, count, expires) VALUES (?, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET"
            " count = CASE WHEN expires <= ? THEN 1 ELSE count + 1 END,"
            " expires = CASE WHEN expires <= ? THEN excluded.expires ELSE expires END"
            " RETURNING count",
            (key, now + ttl, now, now),
        )
        return int(count)  # type: ignore[call-overload]

    def get(self, key: str) -> int:
        db, _lock = self._db()
        query = "SELECT count FROM counter WHERE key = ? AND expires > ?"
        row = db.execute(query, (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def delete(self, key: str) -> None:
        self._write("DELETE FROM counter WHERE key = ?", (key,))


@functools.cache
def _store(kind: str, path: str) -> CounterStore:
    if kind == "sqlite":
        return SqliteStore(path)
    return CacheStore()


def store() -> CounterStore:
    """The store settings choose (looked up on each call, so tests can switch it)."""
    return _store(settings.RATELIMIT_STORE, str(settings.RATELIMIT_SQLITE_PATH))


def hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> Window:
    """Count one event for `identity` in `scope` and report the window's state."""
    key, retry_after = _key(scope, identity, window_seconds, time.time())
    count = store().incr(key, window_seconds + 1)
    return Window(count=count, limit=limit, retry_after=retry_after)


def peek(scope: str, identity: str, *, limit: int, window_seconds: int) -> Window:
    """The window's state without counting an event."""
    key, retry_after = _key(scope, identity, window_seconds, time.time())
    return Window(count=store().get(key), limit=limit, retry_after=retry_after)


def reset(scope: str, identity: str, *, window_seconds: int) -> None:
    key, _ = _key(scope, identity, window_seconds, time.time())
    store().delete(key)


def check(scope: str, identity: str, *, limit: int, window_seconds: int) -> None:
    """Count one event; raise RateLimited when the limit is passed."""
    if not settings.RATELIMIT_ENABLED:
        return
    window = hit(scope, identity, limit=limit, window_seconds=window_seconds)
    if window.exceeded:
        raise RateLimited(retry_after=window.retry_after)


def rate_limit(
    scope: str,
    *,
    limit: int,
    window_seconds: int,
    methods: tuple[str, ...] = ("POST",),
    identity: Callable[[HttpRequest], str] = client_ip,
) -> Callable[[F], F]:
    """View decorator: at most `limit` requests per window from one client (by address)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                check(scope, identity(request), limit=limit, window_seconds=window_seconds)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
