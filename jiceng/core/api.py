"""Helpers for the JSON API's routers (config/api.py holds the NinjaAPI itself)."""

from __future__ import annotations

import html
import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from ninja.errors import ValidationError

MAX_PAGE_SIZE = 100
_MARK = re.compile(r"(</?mark>)")


def form_errors(form: forms.BaseForm) -> ValidationError:
    """The errors of a form of query parameters, as the API's 422 problem lists them.

    The HTML pages validate their filters with these forms, so the API refuses the same values
    with the same translated messages.
    """
    return ValidationError(
        [
            {
                "loc": ("query",) if field == NON_FIELD_ERRORS else ("query", field),
                "msg": str(message),
                "type": "form",
            }
            for field, messages in form.errors.items()
            for message in messages
        ]
    )


def bounded_page_size(page_size: int) -> int:
    """A page size the API serves: asked-for sizes above MAX_PAGE_SIZE get MAX_PAGE_SIZE."""
    return min(page_size, MAX_PAGE_SIZE)


def unmark(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """Plain text and the [start, end) character offsets of its highlights, from the HTML that
    `jiceng.library.search.highlight` makes (every character escaped, matches in <mark>)."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    length, start = 0, None
    for part in _MARK.split(marked):
        if part == "<mark>":
            start = length
        elif part == "</mark>":
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        elif part:
            plain = html.unescape(part)
            text.append(plain)
            length += len(plain)
    return "".join(text), spans
