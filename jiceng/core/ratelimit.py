"""Fixed-window rate limits on the shared cache, for anonymous endpoints and login throttling."""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

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


def hit(scope: str, identity: str, *, limit: int, window_seconds: int) -> Window:
    """Count one event for `identity` in `scope` and report the window's state."""
    key, retry_after = _key(scope, identity, window_seconds, time.time())
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window_seconds + 1)
            count = 1
    return Window(count=count, limit=limit, retry_after=retry_after)


def peek(scope: str, identity: str, *, limit: int, window_seconds: int) -> Window:
    """The window's state without counting an event."""
    key, retry_after = _key(scope, identity, window_seconds, time.time())
    return Window(count=int(cache.get(key, 0)), limit=limit, retry_after=retry_after)


def reset(scope: str, identity: str, *, window_seconds: int) -> None:
    key, _ = _key(scope, identity, window_seconds, time.time())
    cache.delete(key)


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
