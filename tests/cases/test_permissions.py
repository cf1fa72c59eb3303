"""Every role × every request page: what each role may open, and nothing outside its subtree."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.cases import services
from jiceng.orgs.roles import Capability, Role, role_has_capability
from tests.factories import actor_for

HANDLE, SUPERVISE, DISPATCH, CONFIGURE = (
    Capability.CASE_HANDLE,
    Capability.CASE_SUPERVISE,
    Capability.CASE_DISPATCH,
    Capability.CASE_CONFIGURE,
)


def _any(role: str, *capabilities: str) -> bool:
    return any(role_has_capability(role, c) for c in capabilities)


def _pages(case) -> dict[str, tuple[str, ...]]:
    """URL → the capabilities of which the role needs one (empty: any staff member)."""
    return {
        reverse("case_worklist"): (HANDLE, SUPERVISE),
        reverse("case_queue"): (HANDLE, SUPERVISE),
        reverse("case_staff_entry"): (HANDLE,),
        reverse("case_detail", args=[case.pk]): (HANDLE, SUPERVISE),
        reverse("case_export") + "?format=csv": (HANDLE,),
        reverse("case_import"): (HANDLE,),
        reverse("case_dashboard"): (HANDLE, SUPERVISE),
        reverse("case_categories"): (HANDLE, CONFIGURE),
        reverse("case_templates"): (HANDLE,),
        reverse("case_template_new"): (DISPATCH,),
        reverse("case_category_new"): (CONFIGURE,),
        reverse("notifications"): (),
    }


@pytest.mark.parametrize("role", list(Role.values))
def test_every_page_by_every_role(tree, submit, role):
    case = submit()
    client = Client()
    client.force_login(tree.people[role])
    in_subtree = case.current_path.startswith(tree.unit_of(role).path)
    detail = reverse("case_detail", args=[case.pk])
    for url, needs in _pages(case).items():
        expected = 200 if not needs or _any(role, *needs) else 403
        if url == detail and expected == 200 and not in_subtree:
            expected = 404  # a grid worker does not see the community's own cases
        response = client.get(url)
        assert response.status_code == expected, f"{role} {url}: {response.status_code}"


@pytest.mark.parametrize("role", list(Role.values))
def test_anonymous_visitors_are_sent_to_sign_in(tree, submit, role):
    case = submit()
    for url in _pages(case):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


CASE_WORKERS = [r for r in Role.values if _any(r, HANDLE, SUPERVISE)]


@pytest.mark.parametrize("role", CASE_WORKERS)
def test_requests_outside_the_subtree_do_not_exist_for_the_role(tree, submit, role):
    outside = submit(area=tree.community_b1)  # held by and located in the other street
    unit = tree.unit_of(role)
    client = Client()
    client.force_login(tree.people[role])
    visible = outside.current_path.startswith(unit.path)
    expected = 200 if visible else 404
    assert client.get(reverse("case_detail", args=[outside.pk])).status_code == expected
    response = client.post(reverse("case_act", args=[outside.pk, "accept"]), {"accept-note": ""})
    assert response.status_code == (302 if visible else 404)
    queue = client.get(reverse("case_queue")).content.decode()
    assert (outside.tracking_code in queue) == visible
    export = (
        b"".join(client.get(reverse("case_export") + "?format=csv").streaming_content)
        if (role_has_capability(role, HANDLE))
        else b""
    )
    assert (outside.tracking_code.encode() in export) == (visible and bool(export))


def test_a_case_that_moved_away_stays_visible_where_it_is_located(tree, submit, actors):
    """The community where the problem is keeps seeing it after a transfer to a sibling."""
    secretary = actors[Role.BRANCH_SECRETARY]
    case = submit()
    services.case_accept(case=case, actor=secretary)
    services.case_transfer(case=case, actor=secretary, to_unit=tree.community_a2, note="属桂香")
    client = Client()
    client.force_login(tree.people[Role.COMMUNITY_STAFF])
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    # …but it cannot act on it any more.
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-action="' not in page
    assert actor_for(tree.people[Role.COMMUNITY_STAFF]).unit == tree.community_a1
