"""Intake routing by address, the triage queue, the gazetteer's edits and the staff panel."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from jiceng.cases.models import Category, Channel, Level
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError, Forbidden
from jiceng.insight.models_routing import CaseRouting, GazetteerEntry, PlaceKind, RoutingMethod
from jiceng.insight.routing_services import gazetteer_entry_save, triage_queue
from jiceng.orgs.roles import Role
from tests.factories import actor_for


def routing_of(case) -> CaseRouting:
    return CaseRouting.objects.get(case=case)


def test_a_confident_address_in_the_chosen_community_refines_the_area(tree, places, submit):
    case = submit(address="柳岸花园3幢2单元")
    routing = routing_of(case)
    assert routing.method == RoutingMethod.ADDRESS
    assert routing.confidence == Decimal("0.950")
    assert routing.entry == places["garden"]
    assert case.area == tree.grid_a1  # the grid of building 3
    assert case.current_unit == tree.community_a1  # community-level category
    assert not routing.contradicts and not routing.needs_routing


def test_a_confident_address_elsewhere_moves_a_residents_request_and_flags_it(tree, places, submit):
    case = submit(address="桂香苑5幢", area=tree.community_a1)
    routing = routing_of(case)
    assert (case.area, case.current_unit) == (tree.community_a2, tree.community_a2)
    assert routing.contradicts and routing.method == RoutingMethod.ADDRESS
    assert routing.chosen_area == tree.community_a1
    assert routing.matched_unit == tree.community_a2


def test_staff_entries_keep_their_choice_and_are_flagged(tree, places, submit, secretary):
    case = submit(actor=secretary, channel=Channel.PHONE, address="桂香苑5幢")
    routing = routing_of(case)
    assert case.current_unit == tree.community_a1
    assert routing.contradicts and routing.method == RoutingMethod.CHOSEN


def test_below_the_threshold_goes_to_the_streets_triage(tree, places, submit):
    # 湖滨路 is shared by both communities; 桂香苑 competes: 0.9 − 0.5·0.7 ≥ 0.6 would move it,
    # but an unknown address gives no evidence at all.
    case = submit(address="东湖街道某某大厦")
    routing = routing_of(case)
    assert routing.method == RoutingMethod.TRIAGE and routing.needs_routing
    assert case.current_unit == tree.street_a
    assert case.area == tree.community_a1


def test_ambiguous_match_outside_the_chosen_line_is_triaged(tree, places, submit):
    # Chosen 泉水村 (street B), address names 柳岸花园 3幢 and 桂香苑: 0.95 − 0.45 = 0.5.
    case = submit(area=tree.community_b1, address="桂香苑对面柳岸花园3幢")
    routing = routing_of(case)
    assert routing.confidence == Decimal("0.500")
    assert routing.needs_routing and case.current_unit == tree.street_b


def test_a_street_level_category_is_not_lowered_by_triage(tree, places, submit):
    category = Category.objects.filter(responsible_level=Level.DISTRICT, parent__isnull=False)
    case = submit(category=category.first(), address="某某大厦")
    assert case.current_unit == tree.district


def test_no_address_or_an_unmapped_street_keeps_the_choice(tree, submit):
    plain = submit()
    assert routing_of(plain).method == RoutingMethod.CHOSEN
    assert plain.current_unit == tree.community_a1
    unmapped = submit(address="某某大厦")  # no gazetteer entries at all
    assert not routing_of(unmapped).needs_routing
    assert unmapped.current_unit == tree.community_a1


def test_the_shared_road_follows_the_chosen_community(tree, places, submit):
    case = submit(area=tree.community_a2, address="湖滨路")
    routing = routing_of(case)
    assert routing.method == RoutingMethod.ADDRESS and not routing.contradicts
    assert case.current_unit == tree.community_a2


def test_intake_routing_adds_no_query_when_the_gazetteer_is_loaded(
    tree, places, submit, django_assert_max_num_queries
):
    submit(address="柳岸花园3幢")  # warms the per-process caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:
        submit()
    with CaptureQueriesContext(connection) as routed:
        submit(address="柳岸花园4幢")
    assert len(routed) == len(plain)


def test_triage_queue_lists_the_streets_waiting_cases(tree, places, submit, actors):
    waiting = submit(address="某某大厦")
    submit(address="柳岸花园3幢")
    street = actors[Role.STREET_SUPERVISOR]
    assert list(triage_queue(street)) == [waiting]
    assert list(triage_queue(actors[Role.BRANCH_SECRETARY])) == []


def test_triage_page(client, tree, places, submit, django_assert_max_num_queries):
    for _ in range(3):
        submit(address="某某大厦")
    client.force_login(tree.people[Role.STREET_SUPERVISOR])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("insight_triage"))
    assert response.status_code == 200
    assert response.content.decode().count("某某") == 0  # the table shows titles, not addresses
    assert response.content.decode().count("小区垃圾站满溢") == 3


def test_the_case_page_shows_routing_and_conflict(client, tree, places, submit):
    case = submit(address="桂香苑5幢", area=tree.community_a1)
    client.force_login(tree.people[Role.DISTRICT_ADMIN])
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="case-routing"' in page
    assert 'data-testid="routing-conflict"' in page
    assert "桂香苑" in page


# --- the gazetteer --------------------------------------------------------------------------
def test_gazetteer_save_checks_input_and_changes_nothing_on_error(tree):
    bad = [
        {"kind": "castle", "name": "城堡"},
        {"kind": PlaceKind.ESTATE, "name": "x"},
        {"kind": PlaceKind.ROAD, "name": "柳岸路", "number_from": 5, "number_to": 1},
        {"kind": PlaceKind.ROAD, "name": "柳岸路", "number_from": 5},
        {"kind": PlaceKind.ESTATE, "name": "桂香苑", "number_from": 1, "number_to": 2},
    ]
    for fields in bad:
        with pytest.raises(DomainError):
            gazetteer_entry_save(actor=SYSTEM, unit=tree.community_a1, **fields)
    with pytest.raises(DomainError):
        gazetteer_entry_save(actor=SYSTEM, unit=tree.street_a, kind=PlaceKind.ROAD, name="湖滨路")
    assert not GazetteerEntry.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.DISTRICT_ADMIN, True),
        (Role.STREET_SUPERVISOR, True),
        (Role.BRANCH_SECRETARY, False),
        (Role.COMMUNITY_STAFF, False),
        (Role.GRID_WORKER, False),
        (Role.DISCIPLINE_INSPECTOR, False),
    ],
)
def test_who_edits_the_gazetteer(tree, role, allowed):
    actor = actor_for(tree.people[role])
    fields = {"unit": tree.community_a1, "kind": PlaceKind.ESTATE, "name": "新建小区"}
    if allowed:
        assert gazetteer_entry_save(actor=actor, **fields).pk
    else:
        with pytest.raises(Forbidden):
            gazetteer_entry_save(actor=actor, **fields)


def test_a_street_edits_only_its_own_units(tree):
    street = actor_for(tree.people[Role.STREET_SUPERVISOR])
    with pytest.raises(Forbidden):
        gazetteer_entry_save(
            actor=street, unit=tree.community_b1, kind=PlaceKind.VILLAGE, name="上泉"
        )


def test_a_new_place_routes_at_once(tree, places, submit):
    assert routing_of(submit(address="某某大厦")).needs_routing
    gazetteer_entry_save(
        actor=SYSTEM, unit=tree.community_a1, kind=PlaceKind.LANDMARK, name="某某大厦"
    )
    case = submit(address="某某大厦")
    assert not routing_of(case).needs_routing and case.current_unit == tree.community_a1


def test_gazetteer_page_lists_and_adds(client, tree, places):
    client.force_login(tree.people[Role.STREET_SUPERVISOR])
    url = reverse("insight_gazetteer")
    assert "柳岸花园" in client.get(url).content.decode()
    response = client.post(
        url, {"unit": tree.community_a1.pk, "kind": PlaceKind.LANDMARK, "name": "东湖公园"}
    )
    assert response.status_code == 302
    assert GazetteerEntry.objects.filter(name="东湖公园", unit=tree.community_a1).exists()
    response = client.post(url, {"unit": tree.community_a1.pk, "kind": "castle", "name": ""})
    assert response.status_code == 200
    assert GazetteerEntry.objects.count() == len(places) + 1


def test_gazetteer_page_is_read_only_for_community_staff(client, tree, places):
    client.force_login(tree.people[Role.COMMUNITY_STAFF])
    url = reverse("insight_gazetteer")
    assert client.get(url).status_code == 200
    response = client.post(url, {"unit": tree.community_a1.pk, "kind": "estate", "name": "新"})
    assert response.status_code == 403
    assert GazetteerEntry.objects.count() == len(places)


def test_routing_evaluate_command(tree, places, submit):
    submit(address="柳岸花园3幢", external_id="DEMO-1")
    submit(address="某某大厦", external_id="DEMO-2")
    out = StringIO()
    call_command("routing_evaluate", stdout=out)
    result = json.loads(out.getvalue())
    assert result["cases"] == 2
    assert result["with_choice"] == {"right": 0.5, "to_triage": 0.5, "wrong": 0.0}


def test_demo_gazetteer_covers_every_demo_community():
    from types import SimpleNamespace

    from jiceng.insight.demo_routing import demo_entries
    from jiceng.orgs.demo_data import STREETS

    class Units(dict):
        def get(self, code, default=None):
            return SimpleNamespace(code=code)

    class People:
        units = Units()

    rows = demo_entries(People())  # type: ignore[arg-type]
    codes = {"-".join(row["unit"].code.split("-")[:3]) for row in rows}
    expected = {f"QH-{s.code}-{c.code}" for s in STREETS for c in s.communities}
    assert codes == expected
    ranged = [row for row in rows if row["kind"] == PlaceKind.BUILDINGS]
    assert {(row["name"], row["number_from"], row["number_to"]) for row in ranged} == {
        ("柳岸花园", 1, 14),
        ("柳岸花园", 15, 28),
    }


def test_the_queue_filters_requests_that_need_routing(client, tree, places, submit):
    waiting = submit(address="某某大厦", title="无法识别地址的诉求")
    submit(address="柳岸花园3幢", title="已识别地址的诉求")
    client.force_login(tree.people[Role.STREET_SUPERVISOR])
    page = client.get(reverse("case_queue"), {"needs_routing": "on"}).content.decode()
    assert waiting.title in page and "已识别地址的诉求" not in page
    assert "已识别地址的诉求" in client.get(reverse("case_queue")).content.decode()
