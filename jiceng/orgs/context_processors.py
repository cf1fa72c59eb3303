from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jiceng.core.actors import ANONYMOUS
from jiceng.orgs.selectors import memberships_of


def acting(request: HttpRequest) -> dict[str, Any]:
    """The actor and, lazily, the memberships the user may switch between."""
    actor = getattr(request, "actor", ANONYMOUS)

    def switchable() -> list[Any]:
        if actor.user is None:
            return []
        return list(memberships_of(actor.user))

    def unread_notifications() -> int:
        from jiceng.cases.selectors import unread_count

        return unread_count(actor)

    return {
        "actor": actor,
        "switchable_memberships": switchable,
        "unread_notifications": unread_notifications,
    }
