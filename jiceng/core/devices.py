"""The device cookie: a random id a browser keeps for a long time, one for the whole site.

Open survey links and venue check-ins count residents' answers per device with it, and signing
in records it, so an open link can recognise the phones a unit's own staff work on. The cookie
is signed, so a device id is one this site gave out (a script cannot make up a new id for every
post without fetching a page first); only keyed hashes of it are stored.
"""

from __future__ import annotations

import re
import secrets

from django.http import HttpRequest, HttpResponse

DEVICE_COOKIE = "jc_device"
DEVICE_COOKIE_SALT = "jiceng.core.device"
DEVICE_COOKIE_SECONDS = 400 * 24 * 3600
_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")
# The id chosen during this request, once chosen: a new one is the same for every reader.
_CHOSEN = "_jiceng_device_id"


def known_device_id(request: HttpRequest) -> str:
    """The id from the device's cookie, or "" when it sent none, or a forged or damaged one."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default="", salt=DEVICE_COOKIE_SALT)
    return value if value and _DEVICE_ID.fullmatch(value) else ""


def device_id(request: HttpRequest) -> tuple[str, bool]:
    """The device's id from its cookie, or a new one (and whether it is new: then the response
    must `remember_device`). Within one request every call gives the same id."""
    chosen: tuple[str, bool] | None = getattr(request, _CHOSEN, None)
    if chosen is None:
        known = known_device_id(request)
        chosen = (known, False) if known else (secrets.token_urlsafe(16), True)
        setattr(request, _CHOSEN, chosen)
    return chosen


def current_device_id(request: HttpRequest) -> str:
    """The id of this request's device if it sent one or a view chose one already, else ""."""
    chosen: tuple[str, bool] | None = getattr(request, _CHOSEN, None)
    return chosen[0] if chosen is not None else known_device_id(request)


def remember_device(request: HttpRequest, response: HttpResponse, value: str) -> None:
    response.set_signed_cookie(
        DEVICE_COOKIE,
        value,
        salt=DEVICE_COOKIE_SALT,
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
