"""Round pages: list, create and edit, detail with the buttons that move a round, raters."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.core.actors import SYSTEM
from jiceng.evaluation import round_services as services
from jiceng.evaluation.models import Rater, Round, RoundState, RoundUnit
from jiceng.evaluation.round_services import IndicatorAnswer as A
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import actor_for, make_member

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scheme(tree):
    return make_scheme(tree.district)


@pytest.fixture
def admin(tree):
    return _client(tree.people[Role.DISTRICT_ADMIN])


def _form(scheme, **overrides):
    data = {
        "name": "2026年上半年评价",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "schemes": [scheme.pk],
        "self_days": "10",
        "residents_days": "15",
        "superior_days": "10",
        "appeal_days": "5",
    }
    data.update(overrides)
    return data


class TestList:
    def test_empty_state(self, tree, admin):
        response = admin.get(reverse("round_list"), **EN)
        assert response.status_code == 200
        assert "There are no evaluation rounds yet." in response.content.decode()

    def test_paginated_in_few_queries(self, tree, scheme, admin, django_assert_max_num_queries):
        for number in range(30):
            make_open_round(
                tree.district, [tree.community_a1], [scheme], state="draft", name=f"第{number}轮"
            )
        with django_assert_max_num_queries(12):
            response = admin.get(reverse("round_list"))
        assert response.status_code == 200
        assert len(response.context["page"].items) == 25
        assert response.context["page"].has_next
        second = admin.get(reverse("round_list") + "?page=2")
        assert len(second.context["page"].items) == 5

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            (Role.DISTRICT_ADMIN, 200),
            (Role.STREET_SUPERVISOR, 200),
            (Role.BRANCH_SECRETARY, 200),
            (Role.GRID_WORKER, 403),
            (Role.COMMUNITY_STAFF, 403),
            (Role.DISCIPLINE_INSPECTOR, 403),
            (Role.SYSTEM_ADMIN, 403),
        ],
    )
    def test_who_sees_the_list(self, tree, role, status):
        assert _client(tree.people[role]).get(reverse("round_list")).status_code == status

    def test_anonymous_is_sent_to_sign_in(self, db):
        response = Client().get(reverse("round_list"))
        assert response.status_code == 302 and "login" in response["Location"]


class TestCreateAndEdit:
    def test_create_then_edit_a_draft(self, tree, scheme, admin):
        response = admin.post(reverse("round_new"), _form(scheme))
        round_ = Round.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("round_detail", args=[round_.pk])
        assert round_.organiser == tree.district
        response = admin.post(
            reverse("round_edit", args=[round_.pk]), _form(scheme, name="改名", self_days="7")
        )
        assert response.status_code == 302
        round_.refresh_from_db()
        assert (round_.name, round_.self_days) == ("改名", 7)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"period_end": "2025-12-01"}, "cannot end before it starts"),
            ({"period_start": "not a date"}, "Enter a valid date"),
            ({"self_days": "0"}, "greater than or equal to 1"),
            ({"schemes": []}, "This field is required"),
        ],
    )
    def test_bad_input_changes_nothing(self, scheme, admin, overrides, message):
        response = admin.post(reverse("round_new"), _form(scheme, **overrides), **EN)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not Round.objects.exists()

    @pytest.mark.parametrize("role", [Role.STREET_SUPERVISOR, Role.BRANCH_SECRETARY])
    def test_others_cannot_create(self, tree, scheme, role):
        response = _client(tree.people[role]).post(reverse("round_new"), _form(scheme))
        assert response.status_code == 403
        assert not Round.objects.exists()

    def test_an_open_round_cannot_be_edited(self, tree, scheme, admin):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        response = admin.post(reverse("round_edit", args=[round_.pk]), _form(scheme, name="x"))
        assert response.status_code == 302
        round_.refresh_from_db()
        assert round_.name != "x"


class TestDetail:
    def test_open_advance_through_the_buttons(self, tree, scheme, admin):
        round_ = make_open_round(tree.district, [], [scheme], state="draft")
        page = admin.get(reverse("round_detail", args=[round_.pk]), **EN).content.decode()
        assert "Open the round" in page
        admin.post(reverse("round_open", args=[round_.pk]))
        round_.refresh_from_db()
        assert round_.state == RoundState.SELF
        assert RoundUnit.objects.filter(round=round_).count() == 2
        page = admin.get(reverse("round_detail", args=[round_.pk]), **EN).content.decode()
        assert "柳岸社区" in page and "Draft" in page
        for expected in ("residents", "superior", "review"):
            admin.post(reverse("round_advance", args=[round_.pk]))
            round_.refresh_from_db()
            assert round_.state == expected
        response = admin.post(reverse("round_advance", args=[round_.pk]), follow=True, **EN)
        assert "cannot be moved on" in response.content.decode()
        round_.refresh_from_db()
        assert round_.state == RoundState.REVIEW

    def test_the_street_sees_its_units_but_no_buttons(self, tree, scheme):
        round_ = make_open_round(
            tree.district, [tree.community_a1, tree.community_a2], [scheme], state="draft"
        )
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        page = client.get(reverse("round_detail", args=[round_.pk]), **EN)
        assert page.status_code == 200
        assert "Open the round" not in page.content.decode()
        assert client.post(reverse("round_open", args=[round_.pk])).status_code == 403
        round_.refresh_from_db()
        assert round_.state == RoundState.DRAFT

    def test_a_foreign_round_is_not_found(self, tree, scheme):
        # A round organised by 石泉镇 is nothing to 东湖街道 or its communities.
        round_ = make_open_round(
            tree.street_b, [tree.community_b1], [make_scheme(tree.district, "village")]
        )
        for role in (Role.STREET_SUPERVISOR, Role.BRANCH_SECRETARY):
            response = _client(tree.people[role]).get(reverse("round_detail", args=[round_.pk]))
            assert response.status_code == 404

    def test_detail_in_few_queries(self, tree, scheme, admin, django_assert_max_num_queries):
        round_ = make_open_round(tree.district, [tree.community_a1, tree.community_a2], [scheme])
        membership = Membership.objects.get(user=tree.people[Role.STREET_SUPERVISOR])
        Rater.objects.create(round=round_, membership=membership)
        with django_assert_max_num_queries(16):
            assert admin.get(reverse("round_detail", args=[round_.pk])).status_code == 200

    def test_the_organiser_sees_rater_aggregate_and_spread(self, tree, scheme, admin):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme], state="superior")
        a1 = RoundUnit.objects.get(round=round_)
        for visits in ("1", "3"):
            user = make_member(tree.street_a, Role.STREET_SUPERVISOR)
            membership = Membership.objects.get(user=user)
            services.rater_appoint(actor=SYSTEM, round_=round_, membership=membership)
            rater = actor_for(user)
            answers = {
                "duty-roster": A(items_met=(0, 1, 2)),
                "visits": A(points=Decimal(visits)),
                "complaints": A(points=Decimal("4")),
            }
            rating = services.superior_rating_save(actor=rater, round_unit=a1, answers=answers)
            services.superior_rating_submit(actor=rater, rating=rating)
        # Scores 55 + 5·visits: 60 and 70 → mean 65, spread 5, range 60–70.
        page = admin.get(reverse("round_detail", args=[round_.pk]), **EN).content.decode()
        assert "65.0" in page and "σ 5.0 · 60.0–70.0" in page
        street = _client(tree.people[Role.STREET_SUPERVISOR])
        assert "σ" not in street.get(reverse("round_detail", args=[round_.pk])).content.decode()

    def test_appoint_and_remove_raters(self, tree, scheme, admin):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        membership = Membership.objects.get(user=tree.people[Role.STREET_SUPERVISOR])
        admin.post(reverse("round_rater_add", args=[round_.pk]), {"membership": membership.pk})
        rater = Rater.objects.get(round=round_)
        assert rater.membership == membership
        admin.post(reverse("round_rater_remove", args=[round_.pk, rater.pk]))
        assert not Rater.objects.exists()

    def test_a_secretary_cannot_be_appointed(self, tree, scheme, admin):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        secretary = Membership.objects.get(user=tree.people[Role.BRANCH_SECRETARY])
        admin.post(reverse("round_rater_add", args=[round_.pk]), {"membership": secretary.pk})
        assert not Rater.objects.exists()
