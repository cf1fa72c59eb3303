from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from jiceng.core.actors import ANONYMOUS, Actor
from jiceng.orgs.selectors import acting_membership

ACTING_SESSION_KEY = "acting_membership_id"


class ActingMembershipMiddleware:
    """Sets `request.actor`: the signed-in user acting for the unit they chose (or their first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = acting_membership(user, request.session.get(ACTING_SESSION_KEY))
            request.actor = Actor(user=user, membership=membership)  # type: ignore[attr-defined]
        else:
            request.actor = ANONYMOUS  # type: ignore[attr-defined]
        return self.get_response(request)
