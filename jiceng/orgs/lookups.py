"""Units and API keys as intake reads them on every request, kept per process.

The values fill lazily (a city has tens of thousands of grids; a process keeps only those it
was asked for) and are dropped in every process when a unit, key, person or membership is saved
(core.process_cache; the signals are in orgs.signals).
"""

from __future__ import annotations

from collections.abc import Sequence

from jiceng.core.process_cache import ProcessCache
from jiceng.orgs.models import ApiKey, OrgUnit, User

MAX_UNITS_KEPT = 20_000

units: ProcessCache[dict[tuple[str, object], OrgUnit | None]] = ProcessCache("orgs.units", dict)
api_keys: ProcessCache[dict[str, ApiKey | None]] = ProcessCache("orgs.api_keys", dict)
staff: ProcessCache[dict[tuple[int, tuple[str, ...]], list[User]]] = ProcessCache(
    "orgs.staff", dict
)


def _unit(field: str, value: object) -> OrgUnit | None:
    kept = units.get()
    key = (field, value)
    if key not in kept:
        if len(kept) >= MAX_UNITS_KEPT:
            kept.clear()
        kept[key] = OrgUnit.objects.filter(**{field: value}).first()
    return kept[key]


def unit_by_code(code: str) -> OrgUnit | None:
    return _unit("code", code)


def unit_by_id(pk: int) -> OrgUnit | None:
    return _unit("pk", pk)


def unit_at_path(path: str) -> OrgUnit | None:
    return _unit("path", path)


def active_api_key(prefix: str) -> ApiKey | None:
    """The unrevoked key with this prefix and its unit, or None."""
    kept = api_keys.get()
    if prefix not in kept:
        if len(kept) >= MAX_UNITS_KEPT:
            kept.clear()
        kept[prefix] = (
            ApiKey.objects.select_related("unit").filter(prefix=prefix, revoked_at=None).first()
        )
    return kept[prefix]


def active_staff(unit: OrgUnit, roles: Sequence[str]) -> list[User]:
    """The active people holding one of `roles` in `unit` (id, e-mail and language only)."""
    kept = staff.get()
    key = (unit.pk, tuple(sorted(roles)))
    if key not in kept:
        if len(kept) >= MAX_UNITS_KEPT:
            kept.clear()
        kept[key] = list(
            User.objects.filter(
                is_active=True,
                memberships__unit=unit,
                memberships__is_active=True,
                memberships__role__in=roles,
            )
            .distinct()
            .only("pk", "email", "preferred_language")
        )
    return kept[key]
