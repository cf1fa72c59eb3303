"""Caches of the cases app that follow the rows they were made from."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiceng.cases import lookups
from jiceng.cases.models import Category


@receiver(post_save, sender=Category)
@receiver(post_delete, sender=Category)
def _category_changed(**kwargs: Any) -> None:
    lookups.categories.invalidate()
    from jiceng.cases.forms_transfer import filter_categories

    filter_categories.invalidate()
