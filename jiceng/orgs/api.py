from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from jiceng.core.actors import Actor
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import UnitKind
from jiceng.orgs.selectors import memberships_of, unit_children, unit_get, unit_search

router = Router(tags=["units"])


class UnitOut(Schema):
    code: str
    name: str
    kind: UnitKind
    kind_label: str = Field(..., alias="get_kind_display")
    population: int
    address: str
    depth: int
    child_count: int = Field(..., alias="numchild")
    is_active: bool


class MembershipOut(Schema):
    id: int
    role: str
    role_label: str = Field(..., alias="get_role_display")
    title: str
    unit: UnitOut


class MeOut(Schema):
    kind: str
    username: str | None = None
    display_name: str | None = None
    preferred_language: str | None = None
    api_key_name: str | None = None
    acting_membership_id: int | None = None
    acting_unit: UnitOut | None = None
    memberships: list[MembershipOut] = []


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


@router.get("/me", response=MeOut, tags=["me"], summary="Who is calling, and for which unit")
def me(request: HttpRequest) -> dict[str, Any]:
    actor = _actor(request)
    if actor.api_key is not None:
        return {"kind": "api_key", "api_key_name": actor.api_key.name, "acting_unit": actor.unit}
    user = actor.user
    assert user is not None
    return {
        "kind": "user",
        "username": user.username,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "acting_membership_id": actor.membership.pk if actor.membership else None,
        "acting_unit": actor.unit,
        "memberships": list(memberships_of(user)),
    }


@router.get("/units", response=list[UnitOut], summary="Units the caller may see")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def list_units(request: HttpRequest, q: str = "", kind: UnitKind | None = None) -> object:
    return unit_search(_actor(request), query=q[:100], kind=kind.value if kind else "")


@router.get("/units/{code}", response=UnitOut, summary="One unit")
def get_unit(request: HttpRequest, code: str) -> OrgUnit:
    return unit_get(_actor(request), code=code)


@router.get("/units/{code}/children", response=list[UnitOut], summary="A unit's children")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def list_children(request: HttpRequest, code: str) -> object:
    actor = _actor(request)
    return unit_children(actor, unit_get(actor, code=code))
