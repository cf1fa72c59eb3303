"""The device cookie: a random id a browser keeps for a long time.

Open survey links count answers per device with it, and signing in records it, so an open link
can recognise the phones a unit's own staff work on. Only keyed hashes of it are stored.
"""

from __future__ import annotations

import re
import secrets

from django.http import HttpRequest, HttpResponse

DEVICE_COOKIE = "jc_device"
DEVICE_COOKIE_SECONDS = 400 * 24 * 3600
_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")


def device_id(request: HttpRequest) -> tuple[str, bool]:
    """The device's random id from its cookie, or a new one (and whether it is new)."""
    current = request.COOKIES.get(DEVICE_COOKIE, "")
    if _DEVICE_ID.fullmatch(current):
        return current, False
    return secrets.token_urlsafe(16), True


def remember_device(request: HttpRequest, response: HttpResponse, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
