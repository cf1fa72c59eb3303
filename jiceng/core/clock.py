"""The time business actions happen at.

Normally the present. Importing historic hotline records and building demo history replay
actions at past moments: `at(moment)` sets the time for the code inside it, so every service
stamps events and deadlines as they happened. The audit log keeps the real time of writing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import datetime

from django.utils import timezone

_moment: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("moment", default=None)


def now() -> datetime:
    return _moment.get() or timezone.now()


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _moment.set(moment)
    try:
        yield
    finally:
        _moment.reset(token)
