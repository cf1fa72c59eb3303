"""Template helpers for cases, written in Python because lists render them on every row."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from jiceng.cases.models import Case, Priority, Status
from jiceng.core.choices import choice_label

register = template.Library()

_STATUS_STYLE: dict[str, str] = {
    Status.CLOSED: "text-bg-success",
    Status.REJECTED: "text-bg-secondary",
    Status.MERGED: "text-bg-secondary",
    Status.RESOLVED: "text-bg-info",
}


@register.simple_tag
def case_status(case: Case) -> SafeString:
    """The status badge, plus "Overdue" and "Urgent" badges where they apply."""
    badges = [
        (_STATUS_STYLE.get(case.status, "text-bg-primary"), choice_label(Status, case.status))
    ]
    if case.is_overdue():
        badges.append(("text-bg-danger", _("Overdue")))
    if case.priority == Priority.URGENT:
        badges.append(("text-bg-warning", _("Urgent")))
    return format_html_join(" ", '<span class="badge {}">{}</span>', badges)


def _moment(moment: datetime | None) -> str:
    # One fixed, unambiguous format for both languages: Django's localised date filter costs
    # more than the rest of a list row.
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@register.simple_tag
def case_row(case: Case) -> SafeString:
    """One row of a case list (cases/_case_table.html)."""
    return format_html(
        "<tr>"
        '<td><a href="{}">{}</a><div class="small text-body-secondary"><code>{}</code> · {} · {}'
        "</div></td><td>{}</td><td>{}</td><td>{}</td>"
        '<td class="text-nowrap">{}</td>'
        "</tr>",
        reverse("case_detail", args=[case.pk]),
        case.title,
        case.tracking_code,
        case.area.name,
        _moment(case.submitted_at),
        case.category.display_name,
        case.current_unit.name,
        case_status(case),
        _moment(case.resolve_by),
    )
