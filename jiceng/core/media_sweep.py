"""Uploaded files that no record points to, found and removed.

A service saves an upload to storage inside its transaction; when the transaction rolls back (a
validation error after the save, a crash) the row is gone but the file stays. Such files may be
residents' photos or evidence, so they should not linger: a nightly sweep removes files that no
FileField refers to, once they are older than a grace period (a file younger than that may belong
to a transaction still open).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.utils import timezone

BATCH = 500
GRACE = timedelta(hours=24)


def file_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that stores a file name, across all installed apps."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


def stored_names(storage: Storage, directory: str = "") -> Iterator[str]:
    """Every file name under `directory`, depth first, as FileFields store them."""
    subdirectories, files = storage.listdir(directory)
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for sub in sorted(subdirectories):
        yield from stored_names(storage, f"{directory}/{sub}" if directory else sub)


def referenced(names: list[str], fields: Iterable[tuple[type[models.Model], str]]) -> set[str]:
    """The subset of `names` that some record points to."""
    found: set[str] = set()
    for model, field in fields:
        remaining = [name for name in names if name not in found]
        if not remaining:
            break
        found.update(
            model._default_manager.filter(**{f"{field}__in": remaining}).values_list(
                field, flat=True
            )
        )
    return found


@dataclass(frozen=True)
class SweepReport:
    examined: int
    orphans: list[str]
    removed: bool


def media_sweep(
    *, storage: Storage | None = None, now: datetime | None = None, remove: bool = True
) -> SweepReport:
    """Find (and unless `remove` is false, delete) files older than GRACE that nothing refers to."""
    storage = storage or default_storage
    cutoff = (now or timezone.now()) - GRACE
    fields = file_fields()
    examined = 0
    orphans: list[str] = []
    batch: list[str] = []

    def settle(batch: list[str]) -> None:
        known = referenced(batch, fields)
        for name in batch:
            if name not in known and storage.get_modified_time(name) < cutoff:
                orphans.append(name)

    if not storage.exists(""):
        return SweepReport(examined=0, orphans=[], removed=remove)
    for name in stored_names(storage):
        examined += 1
        batch.append(name)
        if len(batch) == BATCH:
            settle(batch)
            batch = []
    if batch:
        settle(batch)
    if remove:
        for name in orphans:
            storage.delete(name)
    return SweepReport(examined=examined, orphans=orphans, removed=remove)
