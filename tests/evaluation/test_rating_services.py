"""The superior's assessment (组织考评): appointed raters only, never their own unit, during
the stage only; rater scores computed from the snapshot's rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.evaluation import round_services as services
from jiceng.evaluation.models import (
    AssessmentStatus,
    Round,
    RoundState,
    RoundUnit,
    SuperiorRating,
    SuperiorScore,
    UnitClass,
)
from jiceng.evaluation.round_selectors import rater_scores, rating_worklist
from jiceng.evaluation.round_services import IndicatorAnswer as A
from jiceng.evaluation.scoring import ScoringConfig, aggregate_raters
from jiceng.orgs import services as org_services
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import actor_for, make_member

FULL = {
    "duty-roster": A(items_met=(0, 1, 2)),
    "visits": A(points=Decimal("5")),
    "complaints": A(points=Decimal("4")),
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def round_(tree):
    scheme = make_scheme(tree.district)
    return make_open_round(
        tree.district,
        [tree.community_a1, tree.community_a2],
        [scheme],
        state=RoundState.SUPERIOR,
    )


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def _unit(round_, unit):
    return RoundUnit.objects.select_related("round").get(round=round_, unit=unit)


def _appoint(admin, round_, user, unit):
    membership = Membership.objects.get(user=user, unit=unit, is_active=True)
    services.rater_appoint(actor=admin, round_=round_, membership=membership)
    return actor_for(user, unit)


def _rate(actor, round_unit, answers=FULL):
    rating = services.superior_rating_save(actor=actor, round_unit=round_unit, answers=answers)
    return services.superior_rating_submit(actor=actor, rating=rating)


class TestWhoRates:
    def test_an_appointed_rater_rates_and_submits_once(self, tree, round_, admin):
        rater = _appoint(admin, round_, tree.people[Role.STREET_SUPERVISOR], tree.street_a)
        rating = _rate(rater, _unit(round_, tree.community_a1))
        assert rating.status == AssessmentStatus.SUBMITTED
        with pytest.raises(Conflict):
            services.superior_rating_submit(actor=rater, rating=rating)
        with pytest.raises(Conflict):
            services.superior_rating_save(
                actor=rater, round_unit=_unit(round_, tree.community_a1), answers=FULL
            )
        assert SuperiorScore.objects.get(indicator_code="visits").points == Decimal("5.00")

    def test_a_rater_cannot_rate_a_unit_they_belong_to(self, tree, round_, admin):
        # 东湖街道's supervisor is also a staff member of 柳岸社区 and a grid worker below it.
        user = tree.people[Role.STREET_SUPERVISOR]
        org_services.membership_grant(
            actor=org_services_actor(), user=user, unit=tree.community_a2, role=Role.GRID_WORKER
        )
        rater = _appoint(admin, round_, user, tree.street_a)
        own = _unit(round_, tree.community_a2)
        with pytest.raises(Forbidden, match="belong to"):
            services.superior_rating_save(actor=rater, round_unit=own, answers=FULL)
        assert not SuperiorRating.objects.exists()
        # The same rater rates the other community, and the worklist leaves out their own.
        _rate(rater, _unit(round_, tree.community_a1))
        listed = [item.round_unit.unit for item in rating_worklist(rater, round_)]
        assert listed == [tree.community_a1]

    def test_membership_below_the_unit_counts_as_belonging(self, tree, round_, admin):
        user = tree.people[Role.DISTRICT_ADMIN]
        org_services.membership_grant(
            actor=org_services_actor(), user=user, unit=tree.grid_a1, role=Role.GRID_WORKER
        )
        rater = _appoint(admin, round_, user, tree.district)
        with pytest.raises(Forbidden, match="belong to"):
            services.superior_rating_save(
                actor=rater, round_unit=_unit(round_, tree.community_a1), answers=FULL
            )

    def test_an_ended_membership_no_longer_counts(self, tree, round_, admin):
        user = tree.people[Role.STREET_SUPERVISOR]
        membership = org_services.membership_grant(
            actor=org_services_actor(), user=user, unit=tree.community_a1, role=Role.GRID_WORKER
        )
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        rater = _appoint(admin, round_, user, tree.street_a)
        _rate(rater, _unit(round_, tree.community_a1))
        assert SuperiorRating.objects.count() == 1

    def test_members_who_are_not_appointed_cannot_rate(self, tree, round_):
        for role in (Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN, Role.BRANCH_SECRETARY):
            with pytest.raises(Forbidden, match="appointed"):
                services.superior_rating_save(
                    actor=actor_for(tree.people[role]),
                    round_unit=_unit(round_, tree.community_a2),
                    answers=FULL,
                )
        assert not SuperiorRating.objects.exists()

    def test_a_rater_rates_only_units_below_them(self, tree, admin):
        schemes = [make_scheme(tree.district), make_scheme(tree.district, UnitClass.VILLAGE)]
        round_ = make_open_round(
            tree.district, [tree.community_a1, tree.community_b1], schemes, state="superior"
        )
        rater = _appoint(admin, round_, tree.people[Role.STREET_SUPERVISOR], tree.street_a)
        with pytest.raises(Forbidden, match="below your own"):
            services.superior_rating_save(
                actor=rater, round_unit=_unit(round_, tree.community_b1), answers=FULL
            )

    @pytest.mark.parametrize("state", [RoundState.SELF, RoundState.RESIDENTS, RoundState.REVIEW])
    def test_only_during_the_superior_stage(self, tree, round_, admin, state):
        rater = _appoint(admin, round_, tree.people[Role.STREET_SUPERVISOR], tree.street_a)
        Round.objects.filter(pk=round_.pk).update(state=state)
        with pytest.raises(Conflict):
            services.superior_rating_save(
                actor=rater, round_unit=_unit(round_, tree.community_a1), answers=FULL
            )

    def test_submit_needs_every_superior_indicator(self, tree, round_, admin):
        rater = _appoint(admin, round_, tree.people[Role.STREET_SUPERVISOR], tree.street_a)
        rating = services.superior_rating_save(
            actor=rater,
            round_unit=_unit(round_, tree.community_a1),
            answers={"visits": A(points=Decimal("2"))},
        )
        with pytest.raises(DomainError, match="missing"):
            services.superior_rating_submit(actor=rater, rating=rating)
        rating.refresh_from_db()
        assert rating.status == AssessmentStatus.DRAFT

    def test_out_of_range_points_change_nothing(self, tree, round_, admin):
        rater = _appoint(admin, round_, tree.people[Role.STREET_SUPERVISOR], tree.street_a)
        with pytest.raises(DomainError):
            services.superior_rating_save(
                actor=rater,
                round_unit=_unit(round_, tree.community_a1),
                answers={"visits": A(points=Decimal("6"))},
            )
        assert not SuperiorRating.objects.exists()


def org_services_actor():
    return SYSTEM


class TestRaterScores:
    def test_hand_computed_scores_per_rater(self, tree, round_, admin):
        supervisor = _appoint(admin, round_, tree.people[Role.STREET_SUPERVISOR], tree.street_a)
        district = _appoint(admin, round_, tree.people[Role.DISTRICT_ADMIN], tree.district)
        a1 = _unit(round_, tree.community_a1)
        # Checklist 3/3 = 100, scale 5/5 = 100 → service 100; deduction 4 of 10 → outcome 60;
        # (100 + 60) / 2 = 80.
        _rate(supervisor, a1)
        # Checklist 1/3 = 33.33, scale 2/5 = 40 → 36.67; deduction 0 → 100; → 68.33.
        _rate(
            district,
            a1,
            {
                "duty-roster": A(items_met=(1,)),
                "visits": A(points=Decimal("2")),
                "complaints": A(points=Decimal("0")),
            },
        )
        # A draft does not count.
        services.superior_rating_save(
            actor=district, round_unit=_unit(round_, tree.community_a2), answers=FULL
        )
        scores = rater_scores(round_)
        assert scores[a1.pk] == pytest.approx([(100 / 3 + 40) / 2 / 2 + 50, 80])
        assert scores[_unit(round_, tree.community_a2).pk] == []
        summary = aggregate_raters(scores[a1.pk], ScoringConfig())
        assert summary.score == pytest.approx((80 + 205 / 3) / 2)

    def test_five_raters_make_a_trimmed_mean(self, tree, round_, admin):
        a1 = _unit(round_, tree.community_a1)
        visits = ["0", "1", "2", "3", "5"]
        for value in visits:
            user = make_member(tree.street_a, Role.STREET_SUPERVISOR)
            rater = _appoint(admin, round_, user, tree.street_a)
            _rate(rater, a1, {**FULL, "visits": A(points=Decimal(value))})
        scores = rater_scores(round_)[a1.pk]
        # service = (100 + 20·v) / 2, outcome 60 → total (50 + 10·v + 60) / 2 = 55 + 5·v
        assert scores == pytest.approx([55, 60, 65, 70, 80])
        summary = aggregate_raters(scores, ScoringConfig())
        assert summary.trimmed
        assert summary.score == pytest.approx(65)
