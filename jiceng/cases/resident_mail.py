"""The e-mails a resident who left an address receives about their request, one function each.

Each builds a subject and a plain-text body in the resident's language (the one they used at
intake, `Case.reporter_language`; the site's language when unknown) with the absolute link to
the tracking page, where they read everything and answer. Sending is the job of the task
`email_resident` (tasks.py), which the services schedule once their transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiceng.cases.models import Case, EventKind


class ResidentMail(models.TextChoices):
    """What happened that the resident is told about."""

    RECEIVED = "received"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    MERGED = "merged"


def language_of(case: Case) -> str:
    """The resident's language if the site speaks it, else the site's own."""
    try:
        return translation.get_supported_language_variant(case.reporter_language or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def tracking_url(code: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("case_track_detail", args=[code])


def compose(case: Case, kind: str) -> tuple[str, str]:
    """Subject and body of the `kind` message about `case`, in the resident's language."""
    with translation.override(language_of(case)):
        return COMPOSERS[ResidentMail(kind)](case)


def _date(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


def received(case: Case) -> tuple[str, str]:
    """The receipt: what the request became and where to follow it."""
    subject = _("Your request %(code)s has been received") % {"code": case.tracking_code}
    body = _(
        "Thank you. Your request has been received.\n"
        "\n"
        "Tracking code: %(code)s\n"
        "Category: %(category)s\n"
        "Handled by: %(unit)s\n"
        "To be resolved by: %(resolve_by)s\n"
        "\n"
        "Follow your request here; when it is answered, tell us there whether the problem "
        "was solved:\n"
        "%(link)s"
    ) % {
        "code": case.tracking_code,
        "category": case.category.display_name,
        "unit": case.current_unit.name,
        "resolve_by": _date(case.resolve_by),
        "link": tracking_url(case.tracking_code),
    }
    return subject, body + _footer()


def resolved(case: Case) -> tuple[str, str]:
    """The answer, and the request to say whether it solved the problem and to rate it."""
    reply = case.replies.filter(is_resolution=True).select_related("unit").latest("created_at")
    subject = _("Your request %(code)s has been answered") % {"code": case.tracking_code}
    body = _(
        "%(unit)s has resolved your request %(code)s (%(title)s) and replies:\n"
        "\n"
        "%(reply)s\n"
        "\n"
        "Was the problem solved? Please say so, and rate how your request was handled, here:\n"
        "%(link)s"
    ) % {
        "unit": reply.unit.name,
        "code": case.tracking_code,
        "title": case.title,
        "reply": reply.body,
        "link": tracking_url(case.tracking_code),
    }
    if case.feedback_due is not None:
        days = settings.CASE_FEEDBACK_WORKING_DAYS
        body += "\n\n" + ngettext(
            "Please answer by %(date)s (within %(days)d working day); "
            "after that the request is closed without your answer.",
            "Please answer by %(date)s (within %(days)d working days); "
            "after that the request is closed without your answer.",
            days,
        ) % {"date": _date(case.feedback_due), "days": days}
    return subject, body + _footer()


def rejected(case: Case) -> tuple[str, str]:
    """Not accepted, and why (the reason is also on the tracking page)."""
    event = case.events.filter(kind=EventKind.REJECTED).latest("created_at")
    subject = _("Your request %(code)s was not accepted") % {"code": case.tracking_code}
    body = _(
        "%(unit)s did not accept your request %(code)s (%(title)s).\n"
        "\n"
        "Reason: %(reason)s\n"
        "\n"
        "The details are here:\n"
        "%(link)s"
    ) % {
        "unit": case.current_unit.name,
        "code": case.tracking_code,
        "title": case.title,
        "reason": event.note,
        "link": tracking_url(case.tracking_code),
    }
    return subject, body + _footer()


def merged(case: Case) -> tuple[str, str]:
    """Handled together with another request; its tracking page is open to the resident too
    (the tracking page links it as "handled together with")."""
    survivor = case.merged_into
    assert survivor is not None
    fields = {
        "code": case.tracking_code,
        "title": case.title,
        "other": survivor.tracking_code,
        "other_link": tracking_url(survivor.tracking_code),
        "link": tracking_url(case.tracking_code),
    }
    subject = _("Your request %(code)s is handled together with %(other)s") % fields
    body = (
        _(
            "Your request %(code)s (%(title)s) concerns the same problem as request %(other)s, "
            "so the two are handled together: the answer to %(other)s is the answer to yours.\n"
            "\n"
            "Follow request %(other)s here:\n"
            "%(other_link)s\n"
            "\n"
            "Your request: %(link)s"
        )
        % fields
    )
    return subject, body + _footer()


def _footer() -> str:
    return "\n\n-- \n" + _(
        "You receive this e-mail because this address was given with the request. "
        "It was sent automatically; replies to it are not read."
    )


COMPOSERS: dict[ResidentMail, Callable[[Case], tuple[str, str]]] = {
    ResidentMail.RECEIVED: received,
    ResidentMail.RESOLVED: resolved,
    ResidentMail.REJECTED: rejected,
    ResidentMail.MERGED: merged,
}
