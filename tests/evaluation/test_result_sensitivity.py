"""The sensitivity page: each unit's rank at the round's weights and under each ±10-point shift
(docs/SCORING.md "Sensitivity view"), for the organiser."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiceng.evaluation.models import Result, RoundUnit
from jiceng.evaluation.result_services import results_compute
from jiceng.orgs.roles import Role, UnitKind
from tests.evaluation.result_fixtures import give_answers, give_ratings, give_self, review_round
from tests.factories import actor_for, make_unit

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# Scenario columns in the order the scoring computes them (ScoringConfig.sensitivity_scenarios).
SCENARIOS = [
    "Self-assessment −10",
    "Self-assessment +10",
    "Residents −10",
    "Residents +10",
    "Superior −10",
    "Superior +10",
]


@pytest.fixture
def computed(tree):
    """Four communities and a village, default weights 10/45/45 (no prior, two answers do).

    D (新社区): residents 5, 5 → 100, one rater 100 → 100 in every scenario: rank 1.
    A (柳岸): self 80, residents 87.5, superior 70 → 78.88: rank 2.
    B (桂香): residents 3, 3 → 50, superior 96.67 (trimmed) → 73.33: rank 3.
    Residents −10 (11.82/35/53.18): A 77.31, B 78.14; superior +10 (8.18/36.82/55): A 77.26,
    B 77.95 — in those two A and B swap places; in the other four the order stays
    (self −10: 78.75 / 73.33; self +10: 79.00 / 73.33; residents +10: 80.44 / 68.71;
    superior −10: 80.49 / 68.52).
    C (泉水村, a village): nothing at all, no rank.
    """
    new = make_unit(tree.street_a, UnitKind.COMMUNITY, "新社区", code="QH-DH-XS")
    round_ = review_round(
        tree.district, [tree.community_a1, tree.community_a2, tree.community_b1, new]
    )
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    d = RoundUnit.objects.get(round=round_, unit=new)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6)])
    give_answers(a, [5, 5, 4, 4])
    give_ratings(b, tree.street_a, [(5, 10), (5, 10), (5, 10), (5, 8), (0, 0)])
    give_answers(b, [3, 3])
    give_ratings(d, tree.street_a, [(5, 10)])
    give_answers(d, [5, 5])
    results_compute(round_=round_, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    return round_


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_results_keep_each_scenarios_rank_and_the_largest_move(tree, computed):
    a = Result.objects.get(round_unit__round=computed, round_unit__unit=tree.community_a1)
    sensitivity = a.details["sensitivity"]
    assert [(s["source"], s["points"], s["rank"]) for s in sensitivity["shifts"]] == [
        ("self", -10.0, 2),
        ("self", 10.0, 2),
        ("residents", -10.0, 3),
        ("residents", 10.0, 2),
        ("superior", -10.0, 2),
        ("superior", 10.0, 3),
    ]
    assert (sensitivity["best"], sensitivity["worst"], sensitivity["movement"]) == (2, 3, 1)
    c = Result.objects.get(round_unit__round=computed, round_unit__unit=tree.community_b1)
    assert c.details["sensitivity"]["movement"] is None


def test_the_organiser_sees_the_ranks_under_each_shift_biggest_moves_first(tree, computed):
    admin = _client(tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("result_sensitivity", args=[computed.pk]), **EN)
    assert page.status_code == 200
    assert page.context["scenarios"] == SCENARIOS
    rows = page.context["rows"]
    # A and B move one place each, D none; C has no rank and is left out.
    assert [row["unit"].code for row in rows] == ["QH-DH-LA", "QH-DH-GX", "QH-DH-XS"]
    assert [row["movement"] for row in rows] == [1, 1, 0]
    a, b, d = rows
    assert a["result"].rank == 2
    assert [cell["rank"] for cell in a["cells"]] == [2, 2, 3, 2, 2, 3]
    assert [cell["down"] for cell in a["cells"]] == [0, 0, 1, 0, 0, 1]
    assert [cell["rank"] for cell in b["cells"]] == [3, 3, 2, 3, 3, 2]
    assert [cell["up"] for cell in b["cells"]] == [0, 0, 1, 0, 0, 1]
    assert [cell["rank"] for cell in d["cells"]] == [1] * 6

    html = page.content.decode()
    assert "Residents −10" in html and "Superior +10" in html
    assert '↓</span>1<span class="visually-hidden"> places down' in html
    assert '↑</span>1<span class="visually-hidden"> places up' in html
    assert "泉水村" not in html
    # The weights of each scenario, as in docs/SCORING.md.
    weights = dict(page.context["weights"])
    assert weights["The round's weights"][0].as_tuple() == (10, 45, 45)
    residents_down = weights["Residents −10"][0]
    assert residents_down.residents == 35
    assert residents_down.self_assessment == pytest.approx(11.818, abs=0.001)
    assert "11.82 · 35 · 53.18" in html

    listing = admin.get(reverse("result_list", args=[computed.pk]), **EN).content.decode()
    assert reverse("result_sensitivity", args=[computed.pk]) in listing


def test_the_page_is_paginated(tree, computed):
    for index in range(51):
        unit = make_unit(tree.street_a, UnitKind.COMMUNITY, f"加页社区{index}")
        round_unit = RoundUnit.objects.create(
            round=computed, unit=unit, unit_class="community", unit_path=unit.path
        )
        give_answers(round_unit, [4, 4])
    results_compute(round_=computed, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    admin = _client(tree.people[Role.DISTRICT_ADMIN])
    url = reverse("result_sensitivity", args=[computed.pk])
    first = admin.get(url)
    assert len(first.context["rows"]) == 50
    second = admin.get(url, {"page": 2})
    assert len(second.context["rows"]) == 4  # 54 ranked communities
    movements = [row["movement"] for row in first.context["rows"] + second.context["rows"]]
    assert movements == sorted(movements, reverse=True)


def test_the_page_costs_a_fixed_number_of_queries(tree, computed, django_assert_max_num_queries):
    admin = _client(tree.people[Role.DISTRICT_ADMIN])
    url = reverse("result_sensitivity", args=[computed.pk])
    admin.get(url)
    with CaptureQueriesContext(connection) as few:
        admin.get(url)
    for index in range(6):
        unit = make_unit(tree.street_a, UnitKind.COMMUNITY, f"新社区{index}")
        round_unit = RoundUnit.objects.create(
            round=computed, unit=unit, unit_class="community", unit_path=unit.path
        )
        give_answers(round_unit, [3, 4])
    results_compute(round_=computed, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    with django_assert_max_num_queries(8), CaptureQueriesContext(connection) as many:
        response = admin.get(url)
    assert len(response.context["rows"]) == 9
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "role",
    [Role.STREET_SUPERVISOR, Role.BRANCH_SECRETARY, Role.DISCIPLINE_INSPECTOR, Role.SYSTEM_ADMIN],
)
def test_only_the_organiser_sees_it(tree, computed, role):
    response = _client(tree.people[role]).get(reverse("result_sensitivity", args=[computed.pk]))
    assert response.status_code == 404
    listing = _client(tree.people[role]).get(reverse("result_list", args=[computed.pk]))
    assert reverse("result_sensitivity", args=[computed.pk]) not in listing.content.decode()


def test_anonymous_is_sent_to_sign_in(computed):
    response = Client().get(reverse("result_sensitivity", args=[computed.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_before_the_results_are_computed_the_page_says_so(tree):
    round_ = review_round(tree.district, [tree.community_a1])
    admin = _client(tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("result_sensitivity", args=[round_.pk]), **EN)
    assert page.status_code == 200
    assert "No ranked results yet" in page.content.decode()
