"""The site's one device cookie (core.devices): signed, stable within a request."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from jiceng.core import devices


def _request(cookie: str | None = None):
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES[devices.DEVICE_COOKIE] = cookie
    return request


def test_a_new_device_gets_one_id_for_the_whole_request():
    request = _request()
    first, new = devices.device_id(request)
    assert new and len(first) >= 22
    assert devices.device_id(request) == (first, True)
    assert devices.current_device_id(request) == first


def test_the_cookie_given_out_is_read_back():
    value, _new = devices.device_id(_request())
    response = HttpResponse()
    devices.remember_device(_request(), response, value)
    cookie = response.cookies[devices.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie.value != value  # signed
    again = _request(cookie.value)
    assert devices.known_device_id(again) == value
    assert devices.device_id(again) == (value, False)


def test_a_made_up_or_damaged_cookie_counts_as_none():
    made_up = "a" * 30  # the right shape, but not given out here
    assert devices.known_device_id(_request(made_up)) == ""
    assert devices.current_device_id(_request(made_up)) == ""
    replaced, new = devices.device_id(_request(made_up))
    assert new and replaced != made_up
    response = HttpResponse()
    devices.remember_device(_request(), response, "a" * 30)
    damaged = response.cookies[devices.DEVICE_COOKIE].value[:-2] + "xx"
    assert devices.known_device_id(_request(damaged)) == ""
