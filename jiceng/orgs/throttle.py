"""Login throttling: failed sign-ins are counted per account and per address."""

from __future__ import annotations

import math

from django.conf import settings

from jiceng.core import ratelimit

SCOPE = "login-failures"


def _identities(username: str, ip: str) -> list[tuple[str, int]]:
    return [
        (f"account:{username.strip().lower()}", settings.LOGIN_FAILURE_LIMIT),
        (f"address:{ip}", settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS),
    ]


def minutes_locked(username: str, ip: str) -> int:
    """0 when the sign-in may be tried, else how many minutes until it may."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for identity, limit in _identities(username, ip):
        state = ratelimit.peek(SCOPE, identity, limit=limit, window_seconds=window)
        if state.count >= limit:
            return max(1, math.ceil(state.retry_after / 60))
    return 0


def record_failure(username: str, ip: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for identity, limit in _identities(username, ip):
        ratelimit.hit(SCOPE, identity, limit=limit, window_seconds=window)


def record_success(username: str) -> None:
    ratelimit.reset(
        SCOPE,
        f"account:{username.strip().lower()}",
        window_seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS,
    )
