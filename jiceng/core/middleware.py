from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from jiceng.core.errors import DomainError, domain_error_response
from jiceng.core.request_context import current_request_id

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id (or keeps a well-formed incoming X-Request-ID)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/open311/")) or (
        "application/json" in request.headers.get("Accept", "")
        and "text/html" not in request.headers.get("Accept", "")
    )


class DomainErrorMiddleware:
    """Maps a DomainError raised by a view to a message (HTML) or a problem document (JSON)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if wants_json(request):
            return domain_error_response(request, exception)
        referer = request.headers.get("Referer", "")
        if (
            request.method == "POST"
            and exception.status not in (404,)
            and not getattr(request, "htmx", False)
            and referer
            and url_has_allowed_host_and_scheme(
                referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            )
        ):
            messages.error(request, exception.message)
            return HttpResponseRedirect(referer, status=303)
        response = render(
            request,
            "core/error.html",
            {"status": exception.status, "message": exception.message},
            status=exception.status,
        )
        if exception.status == 429:
            response["Retry-After"] = str(getattr(exception, "retry_after", 60))
        return response
