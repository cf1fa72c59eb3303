"""A round's scoring settings: the service, what opening does with them, the results they give,
and the page (docs/EVALUATION.md "Scoring settings of a round")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation import round_services as services
from jiceng.evaluation.models import Result, Round, RoundState, RoundUnit, Scheme
from jiceng.evaluation.result_services import results_compute
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.evaluation.result_fixtures import (
    SMALL_ROUND_CONFIG,
    give_answers,
    give_ratings,
    give_self,
)
from tests.factories import actor_for

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

VALID = {
    "weights_by_class": {
        "community": {"self": 10, "residents": 20, "superior": 70},
        "village": {"self": 0, "residents": 50, "superior": 50},
    },
    "cuts": {"good": 85, "fairly_good": 70, "average": 50},
    "residents": {"min_responses": 20, "prior_mean": 3.5, "prior_weight": 5},
    "satisfaction_gate": 0.8,
    "self_inflation_margin": 12.5,
}


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


@pytest.fixture
def draft(tree):
    schemes = [make_scheme(tree.district, "community"), make_scheme(tree.district, "village")]
    return make_open_round(tree.district, [], schemes, state=RoundState.DRAFT)


def _config(round_):
    return Round.objects.get(pk=round_.pk).snapshot.get("config")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# --- the service ----------------------------------------------------------------------------
class TestConfigure:
    def test_valid_settings_are_stored_and_logged_with_before_and_after(self, admin, draft):
        services.round_configure_scoring(actor=admin, round_=draft, settings=VALID)
        stored = _config(draft)
        assert stored["weights_by_class"]["community"] == {
            "self": 10.0,
            "residents": 20.0,
            "superior": 70.0,
        }
        assert stored["cuts"] == {"good": 85.0, "fairly_good": 70.0, "average": 50.0}
        assert stored["residents"] == {"min_responses": 20, "prior_mean": 3.5, "prior_weight": 5.0}
        assert (stored["satisfaction_gate"], stored["self_inflation_margin"]) == (0.8, 12.5)
        entry = AuditEntry.objects.get(action="evaluation.round.scoring_configured")
        assert entry.data == {"before": {}, "after": stored}

        services.round_configure_scoring(
            actor=admin, round_=draft, settings={"self_inflation_margin": 20}
        )
        assert _config(draft) == {"self_inflation_margin": 20.0}  # replaced, not merged
        entries = AuditEntry.objects.filter(action="evaluation.round.scoring_configured")
        second = entries.order_by("pk").last()
        assert second.data == {"before": stored, "after": {"self_inflation_margin": 20.0}}

    def test_other_settings_of_scoring_config_pass_through_and_are_checked(self, admin, draft):
        settings = {"residents": {"min_cases": 5, "wilson_z": 1.64}, "trim_from_raters": 6}
        services.round_configure_scoring(actor=admin, round_=draft, settings=settings)
        assert _config(draft) == settings

    @pytest.mark.parametrize(
        ("settings", "field", "message"),
        [
            (
                {"weights_by_class": {"community": {"self": -5, "residents": 55, "superior": 50}}},
                "weight_community_self",
                "A weight cannot be negative.",
            ),
            (
                {"weights_by_class": {"community": {"self": 10, "residents": 45, "superior": 40}}},
                "weight_community_superior",
                "The weights for Community add up to 95; they must add up to 100.",
            ),
            (
                {"weights": {"self": 50, "residents": 50, "superior": 50}},
                "weight_default_superior",
                "The weights for other units add up to 150; they must add up to 100.",
            ),
            (
                {"weights_by_class": {"community": {"self": 10, "residents": 90}}},
                None,
                "Give the weights of the self-assessment, the residents and the superior.",
            ),
            (
                {"weights_by_class": {"hamlet": {"self": 10, "residents": 45, "superior": 45}}},
                None,
                "Unknown class of units: hamlet",
            ),
            (
                {"weights_by_class": {"village": {"self": "ten", "residents": 45, "superior": 45}}},
                "weight_village_self",
                "Enter a number.",
            ),
            (
                {
                    "weights_by_class": {
                        "village": {"self": float("nan"), "residents": 45, "superior": 45}
                    }
                },
                "weight_village_self",
                "Enter a number.",
            ),
            (
                {"cuts": {"good": 75, "fairly_good": 75, "average": 60}},
                "cut_fairly_good",
                "Each cut point must be above the next",
            ),
            (
                {"cuts": {"good": 90, "fairly_good": 50, "average": 60}},
                "cut_average",
                "Each cut point must be above the next",
            ),
            (
                {"cuts": {"good": 120, "fairly_good": 75, "average": 60}},
                "cut_good",
                "A cut point must lie between 0 and 100.",
            ),
            (
                {"cuts": {"good": 90, "fairly_good": 75, "average": -1}},
                "cut_average",
                "A cut point must lie between 0 and 100.",
            ),
            ({"cuts": {"good": 90}}, None, "Give the three cut points of the grades."),
            (
                {"satisfaction_gate": 90},
                "satisfaction_gate",
                "The residents' satisfaction threshold must lie between 0 % and 100 %.",
            ),
            (
                {"satisfaction_gate": -0.1},
                "satisfaction_gate",
                "The residents' satisfaction threshold must lie between 0 % and 100 %.",
            ),
            (
                {"residents": {"min_responses": 0}},
                "min_responses",
                "The minimum number of responses must be a whole number from 1 to 100000.",
            ),
            (
                {"residents": {"min_responses": 2.5}},
                "min_responses",
                "The minimum number of responses must be a whole number from 1 to 100000.",
            ),
            (
                {"residents": {"min_responses": True}},
                "min_responses",
                "The minimum number of responses must be a whole number from 1 to 100000.",
            ),
            (
                {"residents": {"prior_mean": 0.5}},
                "prior_mean",
                "The prior mean is a satisfaction level from 1 to 5.",
            ),
            (
                {"residents": {"prior_mean": 5.5}},
                "prior_mean",
                "The prior mean is a satisfaction level from 1 to 5.",
            ),
            (
                {"residents": {"prior_weight": -1}},
                "prior_weight",
                "The prior weight cannot be negative.",
            ),
            (
                {"self_inflation_margin": -1},
                "self_inflation_margin",
                "The self-inflation margin must lie between 0 and 100 points.",
            ),
            (
                {"self_inflation_margin": 101},
                "self_inflation_margin",
                "The self-inflation margin must lie between 0 and 100 points.",
            ),
            (
                {"residents": {"wilson_z": 0}},
                None,
                "The round's scoring settings are invalid: wilson_z must be above 0",
            ),
            (
                {"no_such_setting": 1},
                None,
                "The round's scoring settings are invalid: unknown settings: no_such_setting",
            ),
            (
                {"sensitivity_shift": object()},
                None,
                "The scoring settings are not in a valid form.",
            ),
            ({"residents": [1, 2]}, None, "The residents' settings are not in a valid form."),
        ],
    )
    def test_bad_settings_are_refused_and_change_nothing(
        self, admin, draft, settings, field, message
    ):
        services.round_configure_scoring(actor=admin, round_=draft, settings=VALID)
        with pytest.raises(DomainError) as refused:
            services.round_configure_scoring(actor=admin, round_=draft, settings=settings)
        assert message in str(refused.value.message)
        assert refused.value.field == field
        assert _config(draft) == services.clean_scoring_settings(VALID)
        assert AuditEntry.objects.filter(action="evaluation.round.scoring_configured").count() == 1

    def test_refused_once_the_round_is_open(self, tree, admin, draft):
        services.round_configure_scoring(actor=admin, round_=draft, settings=VALID)
        services.round_open(actor=admin, round_=draft)
        with pytest.raises(Conflict, match="fixed once the round is open"):
            services.round_configure_scoring(
                actor=admin, round_=draft, settings={"self_inflation_margin": 0}
            )
        assert _config(draft) == services.clean_scoring_settings(VALID)

    def test_a_stale_copy_of_an_opened_round_is_refused_too(self, admin, draft):
        stale = Round.objects.get(pk=draft.pk)
        services.round_open(actor=admin, round_=draft)
        assert stale.state == RoundState.DRAFT
        with pytest.raises(Conflict):
            services.round_configure_scoring(actor=admin, round_=stale, settings=VALID)
        assert _config(draft) == {}

    @pytest.mark.parametrize(
        "role", [Role.STREET_SUPERVISOR, Role.BRANCH_SECRETARY, Role.SYSTEM_ADMIN]
    )
    def test_only_the_organisers_district_admins_may(self, tree, draft, role):
        with pytest.raises(Forbidden):
            services.round_configure_scoring(
                actor=actor_for(tree.people[role]), round_=draft, settings=VALID
            )
        assert _config(draft) is None
        assert not AuditEntry.objects.filter(action="evaluation.round.scoring_configured").exists()

    def test_opening_keeps_the_settings(self, admin, draft):
        services.round_configure_scoring(actor=admin, round_=draft, settings=VALID)
        opened = services.round_open(actor=admin, round_=draft)
        expected = services.clean_scoring_settings(VALID)
        assert opened.snapshot["config"] == expected
        assert set(opened.snapshot["schemes"]) == {"community", "village"}
        assert _config(draft) == expected

    def test_opening_without_settings_stores_none(self, admin, draft):
        assert services.round_open(actor=admin, round_=draft).snapshot["config"] == {}


# --- the results the settings give ----------------------------------------------------------
def _review_round(tree, settings):
    """Communities A (柳岸) and B (桂香), configured in draft, opened and moved to review.

    A: self 80, one rater 70, residents 5, 5, 4, 4 → 87.5 (no prior, two answers suffice).
    B: no self, raters 100, 100, 100, 90, 25 → trimmed 96.67; residents 3, 3 → 50, none
    satisfied (0 %, so the satisfaction gate caps B at “fair”).
    """
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
    scheme = Scheme.objects.filter(family="test-community").first() or make_scheme(tree.district)
    round_ = make_open_round(tree.district, [], [scheme], state=RoundState.DRAFT)
    merged = {
        **settings,
        "residents": {**SMALL_ROUND_CONFIG["residents"], **settings.get("residents", {})},
    }
    services.round_configure_scoring(actor=admin, round_=round_, settings=merged)
    services.round_open(actor=admin, round_=round_, units=[tree.community_a1, tree.community_a2])
    for _stage in ("residents", "superior", "review"):
        services.round_advance(actor=admin, round_=round_)
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6)])
    give_answers(a, [5, 5, 4, 4])
    give_ratings(b, tree.street_a, [(5, 10), (5, 10), (5, 10), (5, 8), (0, 0)])
    give_answers(b, [3, 3])
    results_compute(round_=round_, actor=admin)
    return {
        r.round_unit.unit_id: r
        for r in Result.objects.filter(round_unit__round=round_).select_related("round_unit")
    }


class TestResultsFollowTheSettings:
    def test_default_weights(self, tree):
        results = _review_round(tree, {})
        a, b = results[tree.community_a1.pk], results[tree.community_a2.pk]
        # A: (10·80 + 45·87.5 + 45·70) / 100 = 78.875 → 78.88, 较好
        assert (a.composite, a.grade, a.rank) == (78.88, "fairly_good", 1)
        # B: (45·50 + 45·96.67) / 90 = 73.33, 一般
        assert (b.composite, b.grade, b.rank) == (73.33, "average", 2)
        assert a.details["flags"] == ["single_rater"]

    def test_weights_for_the_class_change_composites_ranks_and_grades(self, tree):
        weights = {"community": {"self": 10, "residents": 20, "superior": 70}}
        results = _review_round(tree, {"weights_by_class": weights})
        a, b = results[tree.community_a1.pk], results[tree.community_a2.pk]
        # A: (800 + 20·87.5 + 70·70) / 100 = 74.5 → below 75: 一般
        assert (a.composite, a.grade, a.rank) == (74.5, "average", 2)
        assert a.details["weights_used"] == [10.0, 20.0, 70.0]
        # B: (20·50 + 70·96.667) / 90 = 86.30 → 较好 by the cuts, capped at 一般 (0 % satisfied)
        assert (b.composite, b.rank) == (86.3, 1)
        assert b.details["grade_before_gates"] == "fairly_good"
        assert b.grade == "average"
        assert b.details["gates"] == ["low_resident_satisfaction"]

    def test_cut_points_gate_and_margin_change_grades_and_flags(self, tree):
        results = _review_round(
            tree,
            {
                "weights_by_class": {"community": {"self": 10, "residents": 20, "superior": 70}},
                "cuts": {"good": 80, "fairly_good": 70, "average": 50},
                "satisfaction_gate": 0,
                "self_inflation_margin": 1,
            },
        )
        a, b = results[tree.community_a1.pk], results[tree.community_a2.pk]
        assert (a.composite, a.grade) == (74.5, "fairly_good")  # 70 ≤ 74.5 < 80
        # self 80 against (87.5 + 70) / 2 = 78.75: 1.25 above, more than the margin of 1
        assert "self_inflation" in a.details["flags"]
        # B: 86.30 ≥ 80 is 好 by the cuts; no satisfaction gate now, but its residents' 50
        # is below the 较好 cut point 70, so the superior alone cannot make it 好.
        assert b.details["grade_before_gates"] == "good"
        assert (b.grade, b.details["gates"]) == ("fairly_good", ["good_needs_residents"])

    def test_prior_and_minimum_sample_change_the_residents_score(self, tree):
        results = _review_round(tree, {"residents": {"prior_mean": 1, "prior_weight": 4}})
        a = results[tree.community_a1.pk]
        # (4·1 + 5 + 5 + 4 + 4) / (4 + 4) = 2.75 → (2.75 − 1) · 25 = 43.75
        assert a.residents_score == 43.75
        # (800 + 45·43.75 + 45·70) / 100 = 59.1875 → 59.19, 差
        assert (a.composite, a.grade) == (59.19, "poor")

        fewer = _review_round(tree, {"residents": {"min_responses": 3}})
        b = fewer[tree.community_a2.pk]
        assert b.residents_score is None  # two answers are below the minimum of three
        assert b.composite == 96.67
        assert "low_responses" in b.details["flags"]


# --- the page -------------------------------------------------------------------------------
def _form(**overrides):
    data = {
        "weight_community_self": "10",
        "weight_community_residents": "20",
        "weight_community_superior": "70",
        "weight_village_self": "0",
        "weight_village_residents": "50",
        "weight_village_superior": "50",
        "cut_good": "85",
        "cut_fairly_good": "70",
        "cut_average": "50",
        "satisfaction_gate": "85",
        "min_responses": "20",
        "prior_mean": "3.5",
        "prior_weight": "5",
        "self_inflation_margin": "12.5",
    }
    data.update(overrides)
    return data


class TestPage:
    def test_the_form_shows_the_effective_values(self, tree, draft):
        page = _client(tree.people[Role.DISTRICT_ADMIN]).get(
            reverse("round_scoring", args=[draft.pk]), **EN
        )
        assert page.status_code == 200
        form = page.context["form"]
        assert form.unit_classes == ["community", "village"]
        assert form.initial == {
            "weight_community_self": 10,
            "weight_community_residents": 45,
            "weight_community_superior": 45,
            "weight_village_self": 10,
            "weight_village_residents": 45,
            "weight_village_superior": 45,
            "cut_good": 90,
            "cut_fairly_good": 75,
            "cut_average": 60,
            "satisfaction_gate": 90,
            "min_responses": 30,
            "prior_mean": 3,
            "prior_weight": 10,
            "self_inflation_margin": 15,
        }
        html = page.content.decode()
        assert 'name="weight_village_superior"' in html and 'value="45"' in html
        assert "Lowest composite for “excellent”" in html

    def test_saving_stores_the_settings_and_keeps_those_not_on_the_page(self, tree, admin, draft):
        services.round_configure_scoring(
            actor=admin, round_=draft, settings={"residents": {"min_cases": 5}}
        )
        client = _client(tree.people[Role.DISTRICT_ADMIN])
        response = client.post(reverse("round_scoring", args=[draft.pk]), _form())
        assert response.status_code == 302
        assert response["Location"] == reverse("round_detail", args=[draft.pk])
        stored = _config(draft)
        assert stored["weights_by_class"]["community"] == {
            "self": 10.0,
            "residents": 20.0,
            "superior": 70.0,
        }
        assert stored["satisfaction_gate"] == 0.85
        assert stored["residents"] == {
            "min_cases": 5,
            "min_responses": 20,
            "prior_mean": 3.5,
            "prior_weight": 5.0,
        }
        again = client.get(reverse("round_scoring", args=[draft.pk]))
        assert again.context["form"].initial["weight_community_superior"] == 70
        assert again.context["form"].initial["satisfaction_gate"] == 85

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"weight_village_superior": "45"},
                "weight_village_superior",
                "The weights for Village add up to 95; they must add up to 100.",
            ),
            (
                {"weight_community_self": "-10", "weight_community_residents": "30"},
                "weight_community_self",
                "A weight cannot be negative.",
            ),
            ({"cut_fairly_good": "90"}, "cut_fairly_good", "Each cut point must be above the next"),
            (
                {"satisfaction_gate": "150"},
                "satisfaction_gate",
                "threshold must lie between 0 % and 100 %.",
            ),
            ({"min_responses": "0"}, "min_responses", "a whole number from 1 to 100000"),
            ({"min_responses": "2.5"}, "min_responses", "Enter a whole number."),
            ({"prior_mean": "7"}, "prior_mean", "a satisfaction level from 1 to 5"),
            ({"prior_weight": "abc"}, "prior_weight", "Enter a number."),
            ({"self_inflation_margin": ""}, "self_inflation_margin", "This field is required."),
        ],
    )
    def test_bad_input_is_shown_on_its_field_and_changes_nothing(
        self, tree, draft, overrides, field, message
    ):
        client = _client(tree.people[Role.DISTRICT_ADMIN])
        response = client.post(reverse("round_scoring", args=[draft.pk]), _form(**overrides), **EN)
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert any(message in error for error in errors[field]), errors
        assert message in response.content.decode().replace("&#x27;", "'")
        assert _config(draft) is None
        assert not AuditEntry.objects.filter(action="evaluation.round.scoring_configured").exists()

    def test_after_opening_the_page_is_a_summary_and_refuses_changes(self, tree, admin, draft):
        services.round_configure_scoring(actor=admin, round_=draft, settings=VALID)
        services.round_open(actor=admin, round_=draft)
        client = _client(tree.people[Role.DISTRICT_ADMIN])
        page = client.get(reverse("round_scoring", args=[draft.pk]), **EN)
        assert page.status_code == 200 and page.context["form"] is None
        html = page.content.decode()
        assert "self-assessment 10 % · residents 20 % · superior 70 %" in html
        assert "excellent from 85 · good from 70 · fair from 50 · poor below" in html
        assert "80 % (below it the grade is at most “fair”)" in html
        assert "at least 20; prior mean 3.5, prior weight 5" in html
        assert "12.5 points" in html
        assert 'name="cut_good"' not in html
        refused = client.post(reverse("round_scoring", args=[draft.pk]), _form(), follow=True, **EN)
        assert "fixed once the round is open" in refused.content.decode()
        assert _config(draft) == services.clean_scoring_settings(VALID)

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            (Role.STREET_SUPERVISOR, 403),
            (Role.BRANCH_SECRETARY, 403),
            (Role.DISCIPLINE_INSPECTOR, 403),
            (Role.SYSTEM_ADMIN, 403),
        ],
    )
    def test_others_may_neither_see_nor_change_the_settings(self, tree, draft, role, status):
        client = _client(tree.people[role])
        url = reverse("round_scoring", args=[draft.pk])
        assert client.get(url).status_code == status
        assert client.post(url, _form()).status_code == status
        assert _config(draft) is None

    def test_a_round_below_the_district_is_theirs_a_missing_one_not_found(self, tree):
        round_ = make_open_round(
            tree.street_b, [], [make_scheme(tree.district, "village")], state=RoundState.DRAFT
        )
        admin = _client(tree.people[Role.DISTRICT_ADMIN])
        assert admin.get(reverse("round_scoring", args=[round_.pk])).status_code == 200
        assert admin.get(reverse("round_scoring", args=[round_.pk + 1000])).status_code == 404
        anonymous = Client().get(reverse("round_scoring", args=[round_.pk]))
        assert anonymous.status_code == 302 and "login" in anonymous["Location"]

    def test_the_round_detail_shows_the_settings_and_the_way_to_change_them(
        self, tree, admin, draft
    ):
        client = _client(tree.people[Role.DISTRICT_ADMIN])
        html = client.get(reverse("round_detail", args=[draft.pk]), **EN).content.decode()
        assert "Scoring settings" in html and "defaults" in html
        assert "Weights · Community" in html and "Weights · Village" in html
        assert reverse("round_scoring", args=[draft.pk]) in html
        assert "Change the scoring settings" in html

        services.round_configure_scoring(actor=admin, round_=draft, settings=VALID)
        street = _client(tree.people[Role.STREET_SUPERVISOR])
        html = street.get(reverse("round_detail", args=[draft.pk]), **EN).content.decode()
        assert "self-assessment 0 % · residents 50 % · superior 50 %" in html  # villages
        assert reverse("round_scoring", args=[draft.pk]) not in html

        services.round_open(actor=admin, round_=draft)
        html = client.get(reverse("round_detail", args=[draft.pk]), **EN).content.decode()
        assert "Change the scoring settings" not in html
        assert reverse("round_scoring", args=[draft.pk]) in html  # the read-only summary


def test_the_system_actor_may_configure(draft):
    services.round_configure_scoring(actor=SYSTEM, round_=draft, settings={"cuts": VALID["cuts"]})
    assert _config(draft) == {"cuts": {"good": 85.0, "fairly_good": 70.0, "average": 50.0}}


def test_invalid_stored_settings_are_flagged_and_can_be_set_again(tree, draft):
    Round.objects.filter(pk=draft.pk).update(snapshot={"config": {"cuts": {"good": 10}}})
    client = _client(tree.people[Role.DISTRICT_ADMIN])
    detail = client.get(reverse("round_detail", args=[draft.pk]), **EN).content.decode()
    assert "The stored scoring settings are invalid." in detail
    page = client.get(reverse("round_scoring", args=[draft.pk]))
    assert page.context["form"].initial["weight_village_self"] == 10  # the defaults
    assert client.post(reverse("round_scoring", args=[draft.pk]), _form()).status_code == 302
    assert _config(draft)["cuts"] == {"good": 85.0, "fairly_good": 70.0, "average": 50.0}
