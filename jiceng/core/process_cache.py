"""Small, rarely changed tables kept in every process, rebuilt when any process changes them.

Intake reads the categories, the unit tree and the API keys on every request; asking the
database each time costs more than the rest of a request. Each `ProcessCache` holds one value
per process and a version token in the shared cache. A process asks the shared cache for the
token at most every `recheck_seconds` and rebuilds its value when the token changed, so a change
made in one process is seen by every other within that time, and at once by the process that
made it.

The token is random, not a counter, so a shared cache that loses the key can never hand a
process an old version it still holds a stale value for.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

RECHECK_SECONDS = 5.0
_registry: list[ProcessCache[object]] = []


class ProcessCache(Generic[T]):
    def __init__(
        self, name: str, build: Callable[[], T], *, recheck_seconds: float = RECHECK_SECONDS
    ) -> None:
        self.name = name
        self._build = build
        self._recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._version: str | None = None
        self._value: T | None = None
        self._value_version: str | None = None
        _registry.append(self)  # type: ignore[arg-type]

    @property
    def _key(self) -> str:
        return f"process-cache:{self.name}"

    def _shared_version(self) -> str:
        version = cache.get(self._key)
        if version is None:
            cache.add(self._key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self._key) or "uncached"
        return str(version)

    def get(self) -> T:
        now = time.monotonic()
        if now - self._checked_at > self._recheck_seconds or self._version is None:
            self._version = self._shared_version()
            self._checked_at = now
        version = self._version
        value = self._value
        if value is None or self._value_version != version:
            with self._lock:
                if self._value is None or self._value_version != version:
                    self._value = self._build()
                    self._value_version = version
                value = self._value
        assert value is not None
        return value

    def forget(self) -> None:
        """Drop this process's value; the next `get` rebuilds it."""
        with self._lock:
            self._value = None
            self._value_version = None
            self._checked_at = float("-inf")

    def announce(self) -> None:
        """Tell every process (this one at once) that the value changed."""
        cache.set(self._key, uuid.uuid4().hex, timeout=None)
        self.forget()

    def invalidate(self) -> None:
        """Call where the data changes: forgotten here at once, announced when the write commits.

        Announcing before the commit would let another process rebuild from the old rows and
        keep them; forgetting at once lets this process see its own change inside the transaction.
        """
        self.forget()
        transaction.on_commit(self.announce)


class KeyedProcessCache(ProcessCache[dict[K, V]], Generic[K, V]):
    """Entries loaded one by one on first use (a city has tens of thousands of grids; a process
    keeps only those it was asked for), at most `max_entries` of them."""

    def __init__(
        self, name: str, *, max_entries: int = 20_000, recheck_seconds: float = RECHECK_SECONDS
    ) -> None:
        super().__init__(name, dict, recheck_seconds=recheck_seconds)
        self.max_entries = max_entries

    def lookup(self, key: K, load: Callable[[], V]) -> V:
        kept = self.get()
        if key not in kept:
            if len(kept) >= self.max_entries:
                kept.clear()
            kept[key] = load()
        return kept[key]


def forget_all() -> None:
    """Every process cache of this process emptied (tests roll back what the values came from)."""
    for process_cache in _registry:
        process_cache.forget()
