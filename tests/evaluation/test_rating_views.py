"""Rater pages: the worklist and the rating form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.core.actors import SYSTEM
from jiceng.evaluation.models import AssessmentStatus, Rater, RoundUnit, SuperiorRating
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role, UnitKind
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import make_unit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
FORM = {
    "items-duty-roster": ["0", "1", "2"],
    "points-visits": "5",
    "points-complaints": "4",
    "comment": "工作扎实。",
}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def round_(tree):
    scheme = make_scheme(tree.district)
    round_ = make_open_round(
        tree.district, [tree.community_a1, tree.community_a2], [scheme], state="superior"
    )
    membership = Membership.objects.get(user=tree.people[Role.STREET_SUPERVISOR])
    Rater.objects.create(round=round_, membership=membership)
    return round_


@pytest.fixture
def rater(tree):
    return _client(tree.people[Role.STREET_SUPERVISOR])


def _unit(round_, unit):
    return RoundUnit.objects.get(round=round_, unit=unit)


class TestWorklist:
    def test_lists_the_units_to_rate(self, tree, round_, rater):
        response = rater.get(reverse("rating_worklist"), **EN)
        assert response.status_code == 200
        ((listed_round, items),) = response.context["sections"]
        assert listed_round == round_
        assert [item.round_unit.unit for item in items] == [tree.community_a1, tree.community_a2]

    def test_empty_state(self, tree):
        response = _client(tree.people[Role.DISTRICT_ADMIN]).get(reverse("rating_worklist"), **EN)
        assert "not appointed as a rater" in response.content.decode()

    @pytest.mark.parametrize("role", [Role.BRANCH_SECRETARY, Role.GRID_WORKER])
    def test_roles_that_cannot_rate_are_forbidden(self, tree, role):
        assert _client(tree.people[role]).get(reverse("rating_worklist")).status_code == 403

    def test_worklist_in_few_queries(self, tree, round_, rater, django_assert_max_num_queries):
        for _ in range(20):
            make_unit(tree.street_a, UnitKind.COMMUNITY)
        scheme = round_.schemes.get()
        units = list(OrgUnit.objects.filter(path__startswith=tree.street_a.path, depth=3))
        other = make_open_round(tree.district, units, [scheme], state="superior")
        Rater.objects.create(
            round=other, membership=Membership.objects.get(user=tree.people[Role.STREET_SUPERVISOR])
        )
        with django_assert_max_num_queries(14):
            response = rater.get(reverse("rating_worklist"))
        assert sum(len(items) for _, items in response.context["sections"]) == 24


class TestRatingForm:
    def test_save_then_submit(self, tree, round_, rater):
        url = reverse("rating_form", args=[_unit(round_, tree.community_a1).pk])
        page = rater.get(url, **EN).content.decode()
        assert "入户走访" in page and "按时办结率" not in page
        assert rater.post(url, {**FORM, "action": "save"}).status_code == 302
        rating = SuperiorRating.objects.get()
        assert rating.status == AssessmentStatus.DRAFT and rating.comment == "工作扎实。"
        assert rater.post(url, {**FORM, "action": "submit"})["Location"] == reverse(
            "rating_worklist"
        )
        rating.refresh_from_db()
        assert rating.status == AssessmentStatus.SUBMITTED
        rater.post(url, {**FORM, "points-visits": "1", "action": "save"})
        assert rating.scores.get(indicator_code="visits").points == 5

    def test_bad_points_change_nothing(self, tree, round_, rater):
        url = reverse("rating_form", args=[_unit(round_, tree.community_a1).pk])
        response = rater.post(url, {**FORM, "points-visits": "50", "action": "save"}, **EN)
        assert response.status_code == 400
        assert "from 0 to 5" in response.content.decode()
        assert not SuperiorRating.objects.exists()

    def test_own_unit_is_not_found(self, tree, round_, rater):
        org_services.membership_grant(
            actor=SYSTEM,
            user=tree.people[Role.STREET_SUPERVISOR],
            unit=tree.community_a1,
            role=Role.COMMUNITY_STAFF,
        )
        url = reverse("rating_form", args=[_unit(round_, tree.community_a1).pk])
        assert rater.get(url).status_code == 404
        assert rater.post(url, {**FORM, "action": "submit"}).status_code == 404
        assert not SuperiorRating.objects.exists()

    def test_not_appointed_is_not_found(self, tree, round_):
        admin = _client(tree.people[Role.DISTRICT_ADMIN])
        url = reverse("rating_form", args=[_unit(round_, tree.community_a1).pk])
        assert admin.get(url).status_code == 404
        assert admin.post(url, {**FORM, "action": "submit"}).status_code == 404
        assert not SuperiorRating.objects.exists()
