"""Units and API keys as intake reads them on every request, kept per process.

Entries load on first use and are dropped in every process when a unit, key, person or
membership is saved (core.process_cache; the signals are in orgs.signals).
"""

from __future__ import annotations

from collections.abc import Sequence

from jiceng.core.process_cache import KeyedProcessCache
from jiceng.orgs.models import ApiKey, OrgUnit, User

units: KeyedProcessCache[tuple[str, object], OrgUnit | None] = KeyedProcessCache("orgs.units")
api_keys: KeyedProcessCache[str, ApiKey | None] = KeyedProcessCache("orgs.api_keys")
staff: KeyedProcessCache[tuple[int, tuple[str, ...]], list[User]] = KeyedProcessCache("orgs.staff")


def _unit(field: str, value: object) -> OrgUnit | None:
    return units.lookup((field, value), lambda: OrgUnit.objects.filter(**{field: value}).first())


def unit_by_code(code: str) -> OrgUnit | None:
    return _unit("code", code)


def unit_by_id(pk: int) -> OrgUnit | None:
    return _unit("pk", pk)


def unit_at_path(path: str) -> OrgUnit | None:
    return _unit("path", path)


def active_api_key(prefix: str) -> ApiKey | None:
    """The unrevoked key with this prefix and its unit, or None."""
    return api_keys.lookup(
        prefix,
        lambda: (
            ApiKey.objects.select_related("unit").filter(prefix=prefix, revoked_at=None).first()
        ),
    )


def active_staff(unit: OrgUnit, roles: Sequence[str]) -> list[User]:
    """The active people holding one of `roles` in `unit` (id, e-mail and language only)."""
    return staff.lookup(
        (unit.pk, tuple(sorted(roles))),
        lambda: list(
            User.objects.filter(
                is_active=True,
                memberships__unit=unit,
                memberships__is_active=True,
                memberships__role__in=roles,
            )
            .distinct()
            .only("pk", "email", "preferred_language")
        ),
    )
