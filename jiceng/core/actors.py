"""Who is acting: a signed-in person in one of their memberships, or an API key of a unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jiceng.orgs.models import ApiKey, Membership, OrgUnit, User


@dataclass(frozen=True)
class Actor:
    user: User | None
    membership: Membership | None = None
    api_key: ApiKey | None = None
    # Management commands and jobs act as the system: every check passes, every row is visible.
    system: bool = False
    # A resident who proved, with a tracking code, that a case is theirs (no account).
    resident: bool = False

    @property
    def unit(self) -> OrgUnit | None:
        if self.membership is not None:
            return self.membership.unit
        if self.api_key is not None:
            return self.api_key.unit
        return None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership is not None else None

    @property
    def is_staff_member(self) -> bool:
        return self.membership is not None

    def has_capability(self, capability: str) -> bool:
        from jiceng.orgs.roles import role_has_capability

        return self.role is not None and role_has_capability(self.role, capability)

    def __str__(self) -> str:
        if self.api_key is not None:
            return f"api-key:{self.api_key.name}"
        if self.system:
            return "system"
        if self.resident:
            return "resident"
        return str(self.user) if self.user is not None else "anonymous"


ANONYMOUS = Actor(user=None)
SYSTEM = Actor(user=None, system=True)
RESIDENT = Actor(user=None, resident=True)
