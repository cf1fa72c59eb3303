"""The JSON API at /api/v1/: one NinjaAPI, each app contributing a router."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
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


class AnonymousReader:
    """Nobody signed in and no key sent: reads what the public may read (`request.actor` is
    the anonymous actor). A key that was sent and refused still gets a 401."""

    def __call__(self, request: HttpRequest) -> Any:
        if request.headers.get(ApiKeyAuth.param_name):
            return None
        return "anonymous"


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


def _message(request: HttpRequest, error: dict[str, Any]) -> str:
    """The message of one parameter error in the request's language: pydantic's are English,
    so the common ones are said with Django's own (translated) messages. The forms the routers
    validate with give theirs translated already."""
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    location = tuple(error.get("loc", ()))
    # ninja drops the value from the error; a query parameter's is in the query string.
    value = request.GET.get(str(location[-1]), "") if location[:1] == ("query",) else ""
    if kind == "form":  # the routers' forms (core.api.form_errors): translated already
        return str(error.get("msg", ""))
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind == "greater_than_equal":
        return _("Ensure this value is greater than or equal to %(limit_value)s.") % {
            "limit_value": context.get("ge")
        }
    if kind == "less_than_equal":
        return _("Ensure this value is less than or equal to %(limit_value)s.") % {
            "limit_value": context.get("le")
        }
    if kind in ("bool_parsing", "bool_type"):
        return _("“%(value)s” value must be either True or False.") % {"value": value}
    if kind in ("enum", "literal_error"):
        return _("Select a valid choice. %(value)s is not one of the available choices.") % {
            "value": value
        }
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type"):
        return _("Enter a valid date.")
    if kind == "string_too_long":
        limit = int(context.get("max_length") or 0)
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": len(str(value))}
    # A kind not listed above (a parameter type added later): Django's general message, still in
    # the request's language, rather than pydantic's English.
    return _("Enter a valid value.")


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())[1:]) or None,
            "message": _message(request, error),
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
api.add_router("", "jiceng.cases.api.router")
# The library is also read by the public: its routes take an anonymous caller too.
api.add_router(
    "", "jiceng.library.api.router", auth=[ApiKeyAuth(), StaffSessionAuth(), AnonymousReader()]
)
