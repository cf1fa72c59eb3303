"""The demo evaluation: `seed_demo` plays a published round and leaves the current one in draft."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone

from jiceng.core.audit import all_entries_in_order, verify_chain
from jiceng.core.models import AuditEntry
from jiceng.core.uploads import evidence_kind
from jiceng.evaluation.demo_data import demo_pdf, demo_periods
from jiceng.evaluation.models import (
    Appeal,
    AppealStatus,
    AssessmentStatus,
    Evidence,
    Rater,
    Result,
    Round,
    RoundState,
    RoundUnit,
    Scheme,
    SchemeStatus,
    SelfAssessment,
    SuperiorRating,
    SurveyResponse,
)
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import UnitKind

pytestmark = pytest.mark.django_db

EVALUATED = (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.STREET, UnitKind.TOWNSHIP)


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--cases", "0", "--no-support", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """Seed once for this module and roll everything back at its end."""
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=str(media)),
        transaction.atomic(),
    ):
        yield _seed()
        transaction.set_rollback(True)


def finished() -> Round:
    half, _draft = demo_periods(timezone.localdate())
    return Round.objects.get(name=half.round_name)


def test_the_previous_half_year_is_settled_and_the_next_one_follows():
    assert [h.round_name for h in demo_periods(date(2026, 11, 27))] == [
        "2026年上半年基层服务力评价",
        "2026年下半年基层服务力评价",
    ]
    # Too soon after the summer: the previous round would still be running.
    finished_, draft = demo_periods(date(2026, 8, 1))
    assert (finished_.start, finished_.end) == (date(2025, 7, 1), date(2025, 12, 31))
    assert (draft.start, draft.end) == (date(2026, 1, 1), date(2026, 6, 30))


def test_default_schemes_are_installed_and_published(seeded):
    families = set(
        Scheme.objects.filter(status=SchemeStatus.PUBLISHED).values_list("family", flat=True)
    )
    assert families == {"community-default", "village-default", "street-default"}
    assert "2026" in seeded or "演示评价" in seeded or "Demo evaluation" in seeded


def test_the_finished_round_is_published_with_results_for_every_unit(seeded):
    round_ = finished()
    assert round_.state == RoundState.PUBLISHED
    assert round_.published_at is not None and round_.published_at < timezone.now()
    assert round_.opened_at is not None and round_.opened_at.date() > round_.period_end
    units = set(OrgUnit.objects.filter(kind__in=EVALUATED).values_list("pk", flat=True))
    assert set(RoundUnit.objects.filter(round=round_).values_list("unit", flat=True)) == units
    results = Result.objects.filter(round_unit__round=round_)
    assert results.count() == len(units)
    assert not results.filter(composite__isnull=True).exists()
    assert not results.filter(rank__isnull=True).exists()


def test_every_stage_has_its_inputs(seeded):
    round_ = finished()
    assessments = SelfAssessment.objects.filter(round_unit__round=round_)
    assert set(assessments.values_list("status", flat=True)) == {AssessmentStatus.SUBMITTED}
    assert not assessments.filter(scores__explanation="").exists()
    evidence = Evidence.objects.filter(score__assessment__round_unit__round=round_)
    assert evidence.count() >= assessments.count()
    first = evidence.first()
    assert first is not None and first.original_name.endswith("佐证材料.pdf")
    with first.file.open("rb") as stored:
        assert evidence_kind(stored.read()) == "pdf"
    answered = (
        SurveyResponse.objects.filter(round_unit__round=round_)
        .values("round_unit")
        .annotate(n=Count("pk"))
    )
    assert len(answered) == assessments.count()
    assert min(row["n"] for row in answered) >= 6
    assert not SurveyResponse.objects.filter(round_unit__round=round_, token__isnull=True).exists()
    ratings = SuperiorRating.objects.filter(round_unit__round=round_)
    assert set(ratings.values_list("status", flat=True)) == {AssessmentStatus.SUBMITTED}
    rated = ratings.values("round_unit").annotate(n=Count("pk"))
    assert len(rated) == assessments.count()
    assert Rater.objects.filter(round=round_).count() >= 3


def test_grades_composites_and_ranks_differ(seeded):
    results = Result.objects.filter(round_unit__round=finished())
    assert len(set(results.values_list("grade", flat=True))) >= 2
    composites = list(results.values_list("composite", flat=True))
    assert len(set(composites)) == len(composites)
    community = results.filter(round_unit__unit_class="community")
    ranks = [rank or 0 for rank in community.values_list("rank", flat=True)]
    assert sorted(ranks) == list(range(1, community.count() + 1))


def test_one_appeal_was_filed_and_decided(seeded):
    appeal = Appeal.objects.get(round_unit__round=finished())
    assert appeal.status == AppealStatus.UPHELD
    assert appeal.decided_at is not None and appeal.decision_reason
    assert appeal.round_unit.unit.kind == UnitKind.COMMUNITY
    result = Result.objects.get(round_unit=appeal.round_unit)
    assert result.details["adjustments"].keys() == {"superior"}


def test_the_current_round_is_a_draft_with_raters(seeded):
    _finished, draft = demo_periods(timezone.localdate())
    round_ = Round.objects.get(name=draft.round_name)
    assert round_.state == RoundState.DRAFT
    assert (round_.period_start, round_.period_end) == (draft.start, draft.end)
    assert round_.schemes.count() == 3
    assert Rater.objects.filter(round=round_).count() >= 3


def test_every_write_went_through_the_services_and_the_audit_chain_holds(seeded):
    round_ = finished()
    actions = AuditEntry.objects.filter(action__startswith="evaluation.")
    counted = dict(actions.values_list("action").annotate(n=Count("pk")))
    units = RoundUnit.objects.filter(round=round_).count()
    assert counted["evaluation.round.created"] == 2
    assert counted["evaluation.round.opened"] == 1
    assert counted["evaluation.round.advanced"] == 3
    assert counted["evaluation.self_assessment.submitted"] == units
    assert counted["evaluation.survey.answered"] == SurveyResponse.objects.count()
    assert counted["evaluation.superior_rating.submitted"] == SuperiorRating.objects.count()
    assert counted["evaluation.result.published"] == 1
    assert counted["evaluation.appeal.filed"] == counted["evaluation.appeal.upheld"] == 1
    assert verify_chain(all_entries_in_order()).ok


def test_a_second_run_creates_nothing(seeded):
    before = (
        Round.objects.count(),
        Result.objects.count(),
        SurveyResponse.objects.count(),
        AuditEntry.objects.count(),
    )

    output = _seed()

    after = (
        Round.objects.count(),
        Result.objects.count(),
        SurveyResponse.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
    assert finished().name in output


def test_the_evidence_pdf_is_recognised_by_its_content():
    raw = demo_pdf("Jiceng demo evidence QH-DH-LA c-study")
    assert evidence_kind(raw) == "pdf"
    assert raw.rstrip().endswith(b"%%EOF")
