"""Duplicates end to end: the index at intake, residents' suggestions and "me too", the staff
panel with its merge action, and what the merged request's resident sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.cases.models import Case, Status
from jiceng.cases.services import (
    case_accept,
    case_dispatch,
    case_merge,
    case_reject,
    case_resolve,
)
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, NotFound
from jiceng.core.permissions import visible
from jiceng.insight import duplicate_services, views_duplicates
from jiceng.insight.hot_services import hot_issues_assign
from jiceng.insight.models_hot import HotIssue
from jiceng.insight.models_routing import CaseSupport, DuplicateSignature, DuplicateTerm
from jiceng.orgs.roles import Role

TITLE = "柳岸花园垃圾站满溢"
BODY = "柳岸花园3幢旁边的垃圾站已经三天没有清运，气味很大，苍蝇很多，请尽快处理。"


@pytest.fixture
def reported(submit):
    return submit(
        title=TITLE,
        description=BODY,
        reporter_name="张三",
        reporter_phone="13900000000",
    )


def suggest(client, area, title=TITLE, description=BODY):
    return client.get(
        reverse("insight_suggest"), {"area": area.pk, "title": title, "description": description}
    )


def test_intake_indexes_every_case(reported, tree):
    signature = DuplicateSignature.objects.get(case=reported)
    assert signature.street_id == tree.street_a.pk
    postings = DuplicateTerm.objects.filter(case=reported)
    assert 2 <= postings.count() <= 12
    assert {p.street_id for p in postings} == {tree.street_a.pk}


def test_the_same_problem_is_suggested_in_the_same_street_only(client, reported, tree):
    page = suggest(client, tree.community_a2).content.decode()  # same street
    assert 'data-testid="suggestion"' in page and TITLE in page
    assert TITLE not in suggest(client, tree.community_b1).content.decode()  # other street


def test_suggestions_show_nothing_personal(client, reported, tree):
    page = suggest(client, tree.community_a1).content.decode()
    assert TITLE in page
    for secret in (reported.tracking_code, "张三", "13900000000", BODY[:20]):
        assert secret not in page


def test_unrelated_text_and_closed_cases_are_not_suggested(client, reported, tree, secretary):
    assert (
        TITLE
        not in suggest(client, tree.community_a1, "路灯不亮", "湖滨路路灯坏了").content.decode()
    )
    case_reject(case=reported, actor=secretary, note="重复")
    assert TITLE not in suggest(client, tree.community_a1).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"area": "x"},
        {"area": "999999"},
        {"area": "-1", "title": "a" * 5000},
        {"title": "\x00\ufffd", "description": "💥" * 5000},
    ],
)
def test_bad_input_gives_an_empty_answer_not_an_error(client, reported, params):
    response = client.get(reverse("insight_suggest"), params)
    assert response.status_code == 200
    assert 'data-testid="suggestion"' not in response.content.decode()


def test_a_street_or_grid_is_not_an_area_for_suggestions(client, reported, tree):
    assert TITLE not in suggest(client, tree.street_a).content.decode()


def test_suggestions_are_rate_limited(client, reported, tree, monkeypatch):
    monkeypatch.setattr(views_duplicates, "SUGGESTIONS_PER_WINDOW", 2)
    assert suggest(client, tree.community_a1).status_code == 200
    assert suggest(client, tree.community_a1).status_code == 200
    assert suggest(client, tree.community_a1).status_code == 429


def test_suggestions_cost_a_few_queries(
    client, reported, submit, tree, django_assert_max_num_queries
):
    for _ in range(4):
        submit(title=TITLE, description=BODY)
    suggest(client, tree.community_a1)  # warms the per-process unit cache
    with django_assert_max_num_queries(6):
        page = suggest(client, tree.community_a1).content.decode()
    assert page.count('data-testid="suggestion"') == 3


def test_me_too_once_per_resident(client, reported, tree):
    page = suggest(client, tree.community_a1).content.decode()
    token = duplicate_services.support_token(reported.pk)
    assert token.split(":")[0] in page
    url = reverse("insight_support")
    first = client.post(url, {"token": token}, HTTP_USER_AGENT="phone-a")
    assert 'data-testid="support-done"' in first.content.decode()
    again = client.post(url, {"token": token}, HTTP_USER_AGENT="phone-a")
    assert "already" in again.content.decode() or "已经" in again.content.decode()
    client.post(url, {"token": token}, HTTP_USER_AGENT="phone-b")
    assert CaseSupport.objects.filter(case=reported).count() == 2
    # The supporters count is shown to the next resident, still without names.
    assert "2" in suggest(client, tree.community_a1).content.decode()


def test_me_too_refuses_bad_tokens_and_closed_cases(client, reported, secretary):
    url = reverse("insight_support")
    for token in ("", "garbage", "1:abc:def", "x" * 1000):
        response = client.post(url, {"token": token})
        assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    case_reject(case=reported, actor=secretary, note="重复")
    with pytest.raises(DomainError):
        duplicate_services.case_support_add(
            token=duplicate_services.support_token(reported.pk), identity="x"
        )
    assert not CaseSupport.objects.exists()


def test_case_support_add_service(reported):
    token = duplicate_services.support_token(reported.pk)
    duplicate_services.case_support_add(token=token, identity="1.2.3.4|a")
    with pytest.raises(Conflict):
        duplicate_services.case_support_add(token=token, identity="1.2.3.4|a")
    with pytest.raises(NotFound):
        duplicate_services.case_support_add(token="nonsense", identity="1.2.3.4|a")
    stored = CaseSupport.objects.get()
    assert "1.2.3.4" not in stored.resident_hash


def test_me_too_is_rate_limited(client, reported, monkeypatch):
    monkeypatch.setattr(views_duplicates, "SUPPORTS_PER_HOUR", 1)
    url = reverse("insight_support")
    token = duplicate_services.support_token(reported.pk)
    client.post(url, {"token": token})
    assert client.post(url, {"token": token}).status_code == 429


# --- staff ----------------------------------------------------------------------------------
def test_staff_panel_lists_probable_duplicates_with_a_merge_button(client, reported, submit, tree):
    later = submit(title="垃圾站又满了", description=BODY)
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    page = client.get(reverse("case_detail", args=[later.pk])).content.decode()
    assert 'data-testid="duplicate-candidate"' in page
    assert reported.tracking_code in page
    assert reverse("case_act", args=[later.pk, "merge"]) in page


def test_staff_panel_hides_cases_the_actor_cannot_see(reported, submit, tree, actors):
    other = submit(area=tree.community_a2, title=TITLE, description=BODY)
    grid_worker = actors[Role.GRID_WORKER]
    assert duplicate_services.possible_duplicates(actors[Role.STREET_SUPERVISOR], other)
    secretary_b = actors[Role.BRANCH_SECRETARY]  # 柳岸社区: cannot see 桂香社区's case
    found = duplicate_services.possible_duplicates(secretary_b, reported)
    assert [item.case for item in found] == []
    assert duplicate_services.possible_duplicates(grid_worker, reported) == []


def test_merge_from_the_panel_and_the_merged_residents_tracking_page(
    client, reported, submit, tree, secretary
):
    later = submit(title="垃圾站又满了", description=BODY)
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    response = client.post(
        reverse("case_act", args=[later.pk, "merge"]), {"merge-into": reported.tracking_code}
    )
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.status == Status.MERGED and later.merged_into == reported
    client.logout()
    track = reverse("case_track_detail", args=[later.tracking_code])
    page = client.get(track).content.decode()
    assert 'data-testid="merged-outcome"' in page and 'data-testid="surviving-outcome"' not in page
    reported.refresh_from_db()
    case_accept(case=reported, actor=secretary)
    case_dispatch(case=reported, actor=secretary, to_unit=tree.community_a1)
    case_resolve(case=reported, actor=secretary, body="垃圾已全部清运，并增加了清运频次。")
    page = client.get(track).content.decode()
    assert "垃圾已全部清运" in page
    assert 'data-testid="surviving-status"' in page


def test_case_merge_service_still_refuses_closed_targets(reported, submit, secretary):
    later = submit(title=TITLE, description=BODY)
    case_reject(case=reported, actor=secretary, note="不属实")
    with pytest.raises(DomainError):
        case_merge(case=later, actor=secretary, into=reported)


def test_case_page_query_count(client, reported, submit, tree, django_assert_max_num_queries):
    for _ in range(5):
        submit(title=TITLE, description=BODY)
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    url = reverse("case_detail", args=[reported.pk])
    client.get(url)
    with django_assert_max_num_queries(40):
        assert client.get(url).status_code == 200


def test_reindex_rebuilds_the_index(reported):
    DuplicateTerm.objects.all().delete()
    DuplicateSignature.objects.all().delete()
    from jiceng.cases.models import Case

    assert duplicate_services.reindex(Case.objects.all()) == 1
    assert DuplicateSignature.objects.filter(case=reported).exists()


def test_duplicates_reindex_command(reported):
    from io import StringIO

    from django.core.management import call_command

    DuplicateTerm.objects.all().delete()
    DuplicateSignature.objects.all().delete()
    out = StringIO()
    call_command("duplicates_reindex", stdout=out)
    assert out.getvalue().strip() == "1"
    assert DuplicateTerm.objects.filter(case=reported).exists()


@pytest.mark.parametrize(
    ("role", "triage", "places"),
    [
        (Role.DISTRICT_ADMIN, 200, 200),
        (Role.STREET_SUPERVISOR, 200, 200),
        (Role.BRANCH_SECRETARY, 200, 200),
        (Role.COMMUNITY_STAFF, 200, 200),
        (Role.GRID_WORKER, 200, 200),
        (Role.DISCIPLINE_INSPECTOR, 403, 403),
        (Role.SYSTEM_ADMIN, 403, 403),
    ],
)
def test_routing_pages_by_role(client, tree, role, triage, places):
    client.force_login(tree.people[role])
    assert client.get(reverse("insight_triage")).status_code == triage
    assert client.get(reverse("insight_gazetteer")).status_code == places


def test_routing_pages_need_a_sign_in(client, tree):
    for name in ("insight_triage", "insight_gazetteer"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", Role.values)
def test_staff_see_the_supports_of_the_cases_they_see_only(reported, submit, tree, actors, role):
    other = submit(area=tree.community_a2, title=TITLE, description=BODY)
    for case in (reported, other):
        duplicate_services.case_support_add(
            token=duplicate_services.support_token(case.pk), identity=f"phone-{case.pk}"
        )
    actor = actors[role]
    cases = set(visible(actor, Case).values_list("pk", flat=True))
    supported = set(visible(actor, CaseSupport).values_list("case_id", flat=True))
    assert supported == cases & {reported.pk, other.pk}
    if role == Role.BRANCH_SECRETARY:  # 柳岸社区 sees its own request, not 桂香社区's
        assert supported == {reported.pk}
    if role == Role.STREET_SUPERVISOR:
        assert supported == {reported.pk, other.pk}


def test_panel_suggestions_and_hot_issues_count_the_same_support(
    client, reported, submit, tree, secretary
):
    """Two residents pressed "me too" and one request was merged in: three people raised it."""
    for identity in ("10.0.0.1|phone", "10.0.0.2|tablet"):
        duplicate_services.case_support_add(
            token=duplicate_services.support_token(reported.pk), identity=identity
        )
    later = submit(title="垃圾站又满了", description=BODY)
    case_accept(case=reported, actor=secretary)
    case_accept(case=later, actor=secretary)
    case_merge(case=later, actor=secretary, into=reported)

    assert duplicate_services.support_count(secretary, reported) == 3
    [suggested] = duplicate_services.suggestions(
        area=tree.community_a1, title=TITLE, description=BODY
    )
    assert suggested.supporters == 3
    hot_issues_assign(actor=SYSTEM)
    assert HotIssue.objects.get(members__case=reported).support_count == 3

    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    shown = client.get(
        reverse("insight_suggest"),
        {"area": tree.community_a1.pk, "title": TITLE, "description": BODY},
        **en,
    ).content.decode()
    assert "3 residents more" in shown
    client.force_login(tree.people[Role.BRANCH_SECRETARY])
    panel = client.get(reverse("case_detail", args=[reported.pk]), **en).content.decode()
    assert "3 other residents said this concerns them too." in panel
