"""Every role × page and API endpoint: a role sees its unit's subtree and nothing beside it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability, Role, role_has_capability

ALL_ROLES = list(Role.values)
BROWSERS = [role for role in ALL_ROLES if role_has_capability(role, Capability.BROWSE_UNITS)]
MANAGERS = [role for role in ALL_ROLES if role_has_capability(role, Capability.MANAGE_USERS)]
# Roles the `tree` fixture places below the district, so that some units lie outside their view.
BELOW_TOP = [role for role in ALL_ROLES if role not in (Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN)]


def _client_for(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


def _subtree_codes(unit: OrgUnit) -> set[str]:
    return set(OrgUnit.objects.filter(path__startswith=unit.path).values_list("code", flat=True))


def _outside_unit(tree, role: str) -> OrgUnit | None:
    """A unit that is not in the role's subtree, or None for roles at the top."""
    unit = tree.unit_of(role)
    outside = OrgUnit.objects.exclude(path__startswith=unit.path).exclude(
        pk__in=[a.pk for a in OrgUnit.objects.get_ancestors(unit)]
    )
    return outside.order_by("-depth").first()


def _expected(role: str, capability: str) -> int:
    return 200 if role_has_capability(role, capability) else 403


@pytest.mark.parametrize("role", ALL_ROLES)
def test_staff_pages_follow_the_role(tree, role):
    client = _client_for(tree, role)
    unit = tree.unit_of(role)
    colleague = tree.people[Role.GRID_WORKER]
    pages = {
        reverse("staff_home"): 200,
        reverse("profile"): 200,
        reverse("password_change"): 200,
        reverse("unit_detail", args=[unit.code]): 200,
        reverse("unit_tree"): _expected(role, Capability.BROWSE_UNITS),
        reverse("unit_children", args=[unit.code]): _expected(role, Capability.BROWSE_UNITS),
        reverse("user_list"): _expected(role, Capability.MANAGE_USERS),
        reverse("user_create"): _expected(role, Capability.MANAGE_USERS),
        reverse("audit_list"): _expected(role, Capability.MANAGE_USERS),
        reverse("admin:index"): 200 if role == Role.SYSTEM_ADMIN else 302,
    }
    if role_has_capability(role, Capability.MANAGE_USERS):
        pages[reverse("user_detail", args=[colleague.pk])] = 200
    else:
        pages[reverse("user_detail", args=[colleague.pk])] = 403
    pages[reverse("unit_edit", args=[unit.code])] = (
        200 if role_has_capability(role, Capability.EDIT_UNITS) else 404
    )
    for url, status in pages.items():
        response = client.get(url)
        assert response.status_code == status, f"{role} GET {url}: {response.status_code}"


@pytest.mark.parametrize("role", BELOW_TOP)
def test_units_outside_the_subtree_are_not_found(tree, role):
    outside = _outside_unit(tree, role)
    assert outside is not None
    client = _client_for(tree, role)
    for name in ("unit_detail", "unit_edit", "unit_add_child"):
        response = client.get(reverse(name, args=[outside.code]))
        assert response.status_code == 404, f"{role} {name} {outside.code}"
    if role_has_capability(role, Capability.BROWSE_UNITS):
        assert client.get(reverse("unit_children", args=[outside.code])).status_code == 404
    assert client.get(f"/api/v1/units/{outside.code}").status_code == 404
    assert client.get(f"/api/v1/units/{outside.code}/children").status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_api_lists_exactly_the_subtree(tree, role):
    client = _client_for(tree, role)
    response = client.get("/api/v1/units", {"page_size": 200})
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["items"]}
    assert codes == _subtree_codes(tree.unit_of(role))
    assert response.json()["count"] == len(codes)


@pytest.mark.parametrize("role", BROWSERS)
def test_unit_tree_shows_only_the_subtree(tree, role):
    client = _client_for(tree, role)
    html = client.get(reverse("unit_tree"), {"q": "社区"}).content.decode()
    visible = _subtree_codes(tree.unit_of(role))
    for unit in OrgUnit.objects.all():
        if unit.code in visible and "社区" in unit.name and unit.depth > tree.unit_of(role).depth:
            assert unit.name in html
        if unit.code not in visible:
            assert f'href="/staff/units/{unit.code}/"' not in html


@pytest.mark.parametrize("role", MANAGERS)
def test_user_management_sees_only_people_of_the_subtree(tree, role):
    client = _client_for(tree, role)
    html = client.get(reverse("user_list")).content.decode()
    for other_role, person in tree.people.items():
        in_scope = tree.unit_of(role).contains(tree.unit_of(other_role))
        assert (f'href="/staff/users/{person.pk}/"' in html) == in_scope


def test_anonymous_is_sent_to_sign_in(tree):
    client = Client()
    for url in (reverse("staff_home"), reverse("unit_tree"), reverse("user_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.get("/api/v1/units").status_code == 401
    assert client.get("/api/v1/me").status_code == 401
