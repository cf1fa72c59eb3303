from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiceng.orgs import lookups
from jiceng.orgs.models import ApiKey, Membership, OrgUnit, User


@receiver(post_save, sender=OrgUnit)
@receiver(post_delete, sender=OrgUnit)
def _unit_changed(**kwargs: Any) -> None:
    lookups.units.invalidate()


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def _api_key_changed(**kwargs: Any) -> None:
    lookups.api_keys.invalidate()


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def _staff_changed(**kwargs: Any) -> None:
    lookups.staff.invalidate()
