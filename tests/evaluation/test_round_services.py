"""Rounds: creating, opening (snapshot, units, deadlines), moving through the stages, raters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation import round_services as services
from jiceng.evaluation.default_survey import DEFAULT_QUESTIONS
from jiceng.evaluation.models import (
    Rater,
    Round,
    RoundState,
    RoundUnit,
    SchemeStatus,
    SelfAssessment,
    Survey,
    UnitClass,
)
from jiceng.evaluation.snapshot import snapshot_indicators
from jiceng.evaluation.tasks import close_due_stages
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role, UnitKind
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import actor_for, make_member, make_unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def scheme(tree):
    return make_scheme(tree.district)


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def _create(admin, schemes_, **overrides):
    fields = {
        "name": "2026年上半年评价",
        "period_start": date(2026, 1, 1),
        "period_end": date(2026, 6, 30),
        "schemes": schemes_,
    }
    fields.update(overrides)
    return services.round_create(actor=admin, **fields)


class TestCreate:
    def test_a_district_admin_creates_a_draft_organised_by_their_unit(self, tree, admin, scheme):
        round_ = _create(admin, [scheme])
        assert round_.state == RoundState.DRAFT
        assert round_.organiser == tree.district
        assert list(round_.schemes.all()) == [scheme]
        assert AuditEntry.objects.filter(action="evaluation.round.created").count() == 1

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"name": "  "}, "name"),
            ({"period_end": date(2025, 12, 31)}, "period_end"),
            ({"period_end": date(2027, 1, 2)}, "period_end"),
            ({"self_days": 0}, "self_days"),
            ({"superior_days": 61}, "superior_days"),
            ({"schemes": []}, "schemes"),
        ],
    )
    def test_bad_input_changes_nothing(self, admin, scheme, overrides, field):
        with pytest.raises(DomainError) as error:
            _create(admin, [scheme], **overrides)
        assert error.value.field == field
        assert not Round.objects.exists()
        assert not AuditEntry.objects.filter(action__startswith="evaluation.").exists()

    def test_only_published_schemes_one_per_class(self, tree, admin, scheme):
        draft = make_scheme(tree.district, UnitClass.VILLAGE, published=False)
        with pytest.raises(DomainError, match="published"):
            _create(admin, [scheme, draft])
        scheme.pk = None
        scheme.family = "other"
        scheme.save()
        with pytest.raises(DomainError, match="one scheme per class"):
            _create(admin, [scheme, type(scheme).objects.get(family="test-community")])
        assert not Round.objects.exists()

    @pytest.mark.parametrize(
        "role", [r for r in Role.values if r not in (Role.DISTRICT_ADMIN, Role.SYSTEM_ADMIN)]
    )
    def test_no_one_but_a_district_admin_creates_a_round(self, tree, scheme, role):
        with pytest.raises(Forbidden):
            _create(actor_for(tree.people[role]), [scheme])

    def test_update_changes_a_draft_only(self, admin, scheme):
        round_ = _create(admin, [scheme])
        services.round_update(actor=admin, round_=round_, name="改名", self_days=3)
        round_.refresh_from_db()
        assert (round_.name, round_.self_days) == ("改名", 3)
        services.round_open(actor=admin, round_=round_)
        with pytest.raises(Conflict):
            services.round_update(actor=admin, round_=round_, name="再改")
        round_.refresh_from_db()
        assert round_.name == "改名"


class TestOpen:
    def test_opening_takes_in_active_units_of_the_chosen_classes(self, tree, admin, scheme):
        inactive = make_unit(tree.street_a, UnitKind.COMMUNITY)
        type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
        round_ = _create(admin, [scheme])
        services.round_open(actor=admin, round_=round_)
        units = set(RoundUnit.objects.filter(round=round_).values_list("unit", flat=True))
        # The village 泉水村 has no scheme in this round; grids and streets are no class here.
        assert units == {tree.community_a1.pk, tree.community_a2.pk}
        assert inactive.pk not in units
        assert SelfAssessment.objects.filter(round_unit__round=round_).count() == 2
        assert round_.state == RoundState.SELF
        assert round_.opened_at is not None

    def test_opening_snapshots_and_later_scheme_edits_change_nothing(self, admin, scheme):
        round_ = _create(admin, [scheme])
        services.round_open(actor=admin, round_=round_)
        scheme.indicators.filter(code="visits").update(name="改过", max_points=99)
        scheme.status = SchemeStatus.RETIRED
        scheme.save()
        round_.refresh_from_db()
        visits = next(
            item
            for item in snapshot_indicators(round_.snapshot, "community")
            if item["code"] == "visits"
        )
        assert (visits["name"], visits["max_points"]) == ("入户走访", "5.00")

    def test_the_self_stage_deadline_skips_the_national_day_holiday(self, admin, scheme):
        round_ = _create(admin, [scheme], self_days=3)
        with clock.at(datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)):
            services.round_open(actor=admin, round_=round_)
        # 1–8 October 2025 are days off; Saturday 11 October is a make-up working day.
        assert round_.stage_deadline == datetime(2025, 10, 11, 17, 30, tzinfo=SHANGHAI)
        round_.refresh_from_db()
        assert round_.stage_deadline == datetime(2025, 10, 11, 17, 30, tzinfo=SHANGHAI)

    def test_a_round_opens_once(self, admin, scheme):
        round_ = _create(admin, [scheme])
        services.round_open(actor=admin, round_=round_)
        with pytest.raises(Conflict):
            services.round_open(actor=admin, round_=round_)
        assert RoundUnit.objects.filter(round=round_).count() == 2

    @pytest.mark.parametrize(
        "state", ["self", "residents", "superior", "review", "published", "archived"]
    )
    def test_only_a_draft_opens(self, tree, admin, scheme, state):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme], state=state)
        with pytest.raises(Conflict):
            services.round_open(actor=admin, round_=round_)
        round_.refresh_from_db()
        assert round_.state == state and round_.units.count() == 1

    def test_a_chosen_subset_of_units_only(self, tree, admin, scheme):
        round_ = _create(admin, [scheme])
        with pytest.raises(DomainError):
            services.round_open(actor=admin, round_=round_, units=[tree.community_b1])
        round_.refresh_from_db()
        assert round_.state == RoundState.DRAFT and not round_.units.exists()
        services.round_open(actor=admin, round_=round_, units=[tree.community_a2])
        assert list(round_.units.values_list("unit", flat=True)) == [tree.community_a2.pk]

    def test_a_street_cannot_open_the_districts_round(self, tree, admin, scheme):
        round_ = _create(admin, [scheme])
        with pytest.raises(Forbidden):
            services.round_open(actor=actor_for(tree.people[Role.STREET_SUPERVISOR]), round_=round_)
        round_.refresh_from_db()
        assert round_.state == RoundState.DRAFT


class TestAdvance:
    def test_every_stage_in_order_then_stop_at_review(self, admin, scheme):
        round_ = _create(admin, [scheme], residents_days=2, superior_days=4)
        services.round_open(actor=admin, round_=round_)
        seen = [round_.state]
        for _ in range(3):
            services.round_advance(actor=admin, round_=round_)
            seen.append(round_.state)
        assert seen == ["self", "residents", "superior", "review"]
        assert round_.stage_deadline is None
        with pytest.raises(Conflict):
            services.round_advance(actor=admin, round_=round_)
        round_.refresh_from_db()
        assert round_.state == RoundState.REVIEW

    def test_each_stage_gets_its_own_deadline(self, admin, scheme):
        round_ = _create(admin, [scheme], residents_days=2)
        with clock.at(datetime(2025, 10, 9, 9, 0, tzinfo=SHANGHAI)):
            services.round_open(actor=admin, round_=round_)
            services.round_advance(actor=admin, round_=round_)
        # Thursday 9 October + 2 working days: Friday 10, Saturday 11 (make-up day).
        assert round_.stage_deadline == datetime(2025, 10, 11, 17, 30, tzinfo=SHANGHAI)

    @pytest.mark.parametrize("state", [RoundState.DRAFT, RoundState.PUBLISHED, "archived"])
    def test_states_that_do_not_advance(self, tree, scheme, admin, state):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme], state=state)
        with pytest.raises(Conflict):
            services.round_advance(actor=admin, round_=round_)
        round_.refresh_from_db()
        assert round_.state == state

    def test_archive_only_a_published_round(self, tree, scheme, admin):
        review = make_open_round(tree.district, [tree.community_a1], [scheme], state="review")
        with pytest.raises(Conflict):
            services.round_archive(actor=admin, round_=review)
        published = make_open_round(
            tree.district, [tree.community_a1], [scheme], state=RoundState.PUBLISHED
        )
        services.round_archive(actor=admin, round_=published)
        published.refresh_from_db()
        assert published.state == RoundState.ARCHIVED

    def test_the_job_closes_passed_stages_once(self, tree, scheme, admin):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        deadline = round_.stage_deadline
        assert deadline is not None
        assert services.rounds_close_due(actor=SYSTEM, now=deadline) == 0
        later = deadline + timedelta(minutes=1)
        assert services.rounds_close_due(actor=SYSTEM, now=later) == 1
        assert services.rounds_close_due(actor=SYSTEM, now=later) == 0
        round_.refresh_from_db()
        assert round_.state == RoundState.RESIDENTS
        assert round_.stage_deadline > deadline

    def test_the_periodic_task_runs_the_same_job(self, tree, scheme):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        Round.objects.filter(pk=round_.pk).update(stage_deadline=clock.now() - timedelta(hours=1))
        assert close_due_stages.call_local() == 1
        round_.refresh_from_db()
        assert round_.state == RoundState.RESIDENTS


class TestRaters:
    def test_appoint_a_street_supervisor_above_the_rated_units(self, tree, admin, scheme):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        membership = Membership.objects.get(user=tree.people[Role.STREET_SUPERVISOR])
        rater = services.rater_appoint(actor=admin, round_=round_, membership=membership)
        assert rater.membership == membership
        with pytest.raises(DomainError, match="already"):
            services.rater_appoint(actor=admin, round_=round_, membership=membership)

    def test_refused_raters(self, tree, admin, scheme):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        secretary = Membership.objects.get(user=tree.people[Role.BRANCH_SECRETARY])
        with pytest.raises(DomainError, match="role"):
            services.rater_appoint(actor=admin, round_=round_, membership=secretary)
        # A supervisor of street B sits above no rated unit of this round.
        other = make_member(tree.street_b, Role.STREET_SUPERVISOR)
        with pytest.raises(DomainError, match="above the rated units"):
            services.rater_appoint(
                actor=admin,
                round_=round_,
                membership=Membership.objects.get(user=other),
            )
        assert not Rater.objects.exists()

    def test_remove_only_before_anything_was_submitted(self, tree, admin, scheme):
        round_ = make_open_round(tree.district, [tree.community_a1], [scheme])
        membership = Membership.objects.get(user=tree.people[Role.STREET_SUPERVISOR])
        rater = services.rater_appoint(actor=admin, round_=round_, membership=membership)
        services.rater_remove(actor=admin, rater=rater)
        assert not Rater.objects.exists()


def test_the_residents_stage_starts_with_the_default_questionnaire_when_none_was_written(tree):
    round_ = make_open_round(
        tree.district, [tree.community_a1], [make_scheme(tree.district)], state=RoundState.SELF
    )
    assert not Survey.objects.filter(round=round_).exists()

    services.round_advance(actor=SYSTEM, round_=round_)

    round_.refresh_from_db()
    assert round_.state == RoundState.RESIDENTS
    assert round_.survey.questions.count() == len(DEFAULT_QUESTIONS)
