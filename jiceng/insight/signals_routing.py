"""The gazetteer includes the names of communities and villages: renamed units are seen."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from jiceng.orgs.models import OrgUnit


@receiver(post_save, sender=OrgUnit, dispatch_uid="insight.gazetteer.units")
def _unit_saved(sender: type[OrgUnit], **kwargs: Any) -> None:
    from jiceng.insight.routing_services import gazetteer_cache

    gazetteer_cache.invalidate()
