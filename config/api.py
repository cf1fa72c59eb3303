"""The JSON API at /api/v1/: one NinjaAPI, each app contributing a router."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.errors import HttpError as NinjaHttpError
from ninja.security import APIKeyHeader, SessionAuth

from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError, domain_error_response, problem_response
from jiceng.orgs.services import api_key_authenticate


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key: jc_…` acting for the key's unit."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        api_key = api_key_authenticate(key)
        if api_key is None:
            return None
        request.actor = Actor(user=None, api_key=api_key)  # type: ignore[attr-defined]
        return api_key


class StaffSessionAuth(SessionAuth):
    """The signed-in staff member's session (CSRF-checked for writes)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or getattr(request, "actor", None) is None:
            return None
        return user


api = NinjaAPI(
    title="Jiceng API",
    version="1",
    description=(
        "JSON API of Jiceng. Authenticate with a staff session or an `X-API-Key` header "
        "(`python manage.py create_api_key`). Errors are RFC 9457 problem documents."
    ),
    urls_namespace="api",
    auth=[ApiKeyAuth(), StaffSessionAuth()],
)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return domain_error_response(request, exc)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(request, status=404, title=_("Not found."), code="not_found")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        request,
        status=401,
        title=_("Sign in, or send a valid API key in the X-API-Key header."),
        code="unauthenticated",
    )


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]) or None,
            "message": error.get("msg", ""),
        }
        for error in exc.errors
    ]
    return problem_response(
        request, status=422, title=_("Some fields are not valid."), code="invalid", errors=errors
    )


@api.exception_handler(NinjaHttpError)
def _http_error(request: HttpRequest, exc: NinjaHttpError) -> HttpResponse:
    return problem_response(request, status=exc.status_code, title=str(exc), code="error")


api.add_router("", "jiceng.orgs.api.router")
