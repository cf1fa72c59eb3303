"""Writes of core records: the deployment's calendar corrections."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import DomainError
from jiceng.core.models import CalendarDay
from jiceng.core.permissions import require


@transaction.atomic
def calendar_day_set(
    *, actor: Actor, date: datetime.date, kind: str, name: str = ""
) -> CalendarDay:
    """Declare `date` a day off or a working day, overriding the official schedule."""
    require(actor, "add", CalendarDay)
    if kind not in CalendarDay.Kind.values:
        raise DomainError(_("Choose whether the day is a day off or a working day."), field="kind")
    day, created = CalendarDay.objects.update_or_create(
        date=date, defaults={"kind": kind, "name": name.strip()[:100]}
    )
    audit_log(
        actor=actor,
        action="core.calendar_day.set",
        target=day,
        data={"date": date.isoformat(), "kind": kind, "name": day.name, "created": created},
    )
    return day


@transaction.atomic
def calendar_day_remove(*, actor: Actor, calendar_day: CalendarDay) -> None:
    require(actor, "delete", CalendarDay, calendar_day)
    audit_log(
        actor=actor,
        action="core.calendar_day.removed",
        target=calendar_day,
        data={"date": calendar_day.date.isoformat(), "kind": calendar_day.kind},
    )
    calendar_day.delete()
