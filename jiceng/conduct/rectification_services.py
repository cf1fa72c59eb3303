"""Writes to rectification items. Supervision visits and venue spot checks open them here."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.conduct.models import RectificationItem
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import DomainError
from jiceng.orgs.models import OrgUnit, User

MAX_TITLE = 200


@transaction.atomic
def rectification_open(
    *,
    actor: Actor,
    unit: OrgUnit,
    title: str,
    deadline: datetime,
    source_kind: str,
    source_id: int | None = None,
    description: str = "",
    owner: User | None = None,
    weight: int = 1,
) -> RectificationItem:
    """Open an item for `unit` to put right by `deadline`.

    Callers (supervision visits, spot checks) have checked that `actor` may record the finding;
    this checks the item itself.
    """
    title = title.strip()
    if not title:
        raise DomainError(_("Say what must be put right."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(
            _("Keep the title under %(limit)d characters.") % {"limit": MAX_TITLE}, field="title"
        )
    if deadline <= clock.now():
        raise DomainError(_("The deadline must lie in the future."), field="deadline")
    if not 1 <= weight <= 10:
        raise DomainError(_("The weight is a whole number from 1 to 10."), field="weight")
    item = RectificationItem.objects.create(
        unit=unit,
        unit_path=unit.path,
        title=title,
        description=description.strip(),
        source_kind=source_kind,
        source_id=source_id,
        owner=owner,
        deadline=deadline,
        weight=weight,
        opened_by=actor.user,
    )
    audit_log(
        actor=actor,
        action="conduct.rectification.opened",
        target=item,
        data={
            "unit": unit.code,
            "source": [source_kind, source_id],
            "deadline": deadline.isoformat(),
            "weight": weight,
        },
    )
    return item
