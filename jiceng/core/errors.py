"""One domain error type, mapped once to HTML messages (middleware) and JSON problems (API)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Model
from django.http import HttpRequest, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused an action. The message is shown to the user as it is."""

    status = 400
    code = "invalid"
    default_message: Any = _("The request could not be carried out.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        field: str | None = None,
        status: int | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        if status:
            self.status = status
        self.field = field
        super().__init__(force_str(self.message))


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = _("This conflicts with the current state. Reload and try again.")


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_message = _("Too many requests. Please wait a moment and try again.")

    def __init__(self, message: Any = None, *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def problem_response(
    request: HttpRequest | None,
    *,
    status: int,
    title: Any,
    code: str,
    detail: Any = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": f"about:blank#{code}",
        "title": force_str(title),
        "status": status,
        "code": code,
    }
    if detail is not None:
        body["detail"] = force_str(detail)
    if errors:
        body["errors"] = errors
    if request is not None:
        request_id = getattr(request, "request_id", None)
        if request_id:
            body["request_id"] = request_id
    response = JsonResponse(
        body,
        status=status,
        content_type="application/problem+json",
        json_dumps_params={"ensure_ascii": False},
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_error_response(request: HttpRequest | None, error: DomainError) -> JsonResponse:
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    errors = [{"field": error.field, "message": force_str(error.message)}] if error.field else None
    return problem_response(
        request,
        status=error.status,
        title=error.message,
        code=error.code,
        errors=errors,
        headers=headers,
    )


def validate_fields(instance: Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's field validation; the first problem becomes a DomainError on its field.

    Uniqueness is left to the services, which check it with a message of their own.
    """
    try:
        instance.clean_fields(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=None if field == NON_FIELD_ERRORS else field) from None
