"""Reading the site's device cookie in tests, as the site reads it (core.devices)."""

from __future__ import annotations

from django.test import RequestFactory

from jiceng.core.devices import DEVICE_COOKIE, known_device_id


def device_of(cookie: str) -> str:
    """The device id a device cookie stands for ("" for a made-up or damaged one)."""
    request = RequestFactory().get("/")
    request.COOKIES[DEVICE_COOKIE] = cookie
    return known_device_id(request)
