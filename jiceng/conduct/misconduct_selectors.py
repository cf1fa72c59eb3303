"""Reads of misconduct reports, already restricted to what the actor may see."""

from __future__ import annotations

from django.db.models import QuerySet

from jiceng.conduct.misconduct_models import MisconductEvent, MisconductReport
from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible


def misconduct_inbox(*, actor: Actor, status: str = "") -> QuerySet[MisconductReport]:
    """Reports about units below the inspector's own, newest first."""
    reports = visible(actor, MisconductReport).select_related("accused_unit", "handling_unit")
    if status:
        reports = reports.filter(status=status)
    return reports.defer("contact_encrypted", "passphrase_hash", "details")


def misconduct_get(*, actor: Actor, pk: int, action: str = "view") -> MisconductReport:
    """One report the actor may act on; Http404 for missing and forbidden alike."""
    return access_object(
        actor,
        MisconductReport,
        action=action,
        queryset=MisconductReport.objects.select_related("accused_unit", "handling_unit"),
        pk=pk,
    )


def misconduct_timeline(
    *, report: MisconductReport, public_only: bool
) -> QuerySet[MisconductEvent]:
    events = report.events.select_related("author")
    return events.filter(public=True) if public_only else events
