"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms

from jiceng.core.errors import DomainError

T = TypeVar("T")


def call_service(form: forms.BaseForm, service: Callable[[], T]) -> T | None:
    """Run a service for a valid form; put a refused rule's message on the field it names.

    Returns the service's result, or None when it raised a DomainError (now on the form).
    Errors that are not about a field of this form propagate to the error middleware.
    """
    try:
        return service()
    except DomainError as error:
        if error.status not in (400, 409):
            raise
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))
        return None
