"""The self-assessment (基层自评): drafts, evidence, submitting once, returning from above,
and the self score computed from the snapshot's rules."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import PurePath

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.evaluation import round_services as services
from jiceng.evaluation.models import (
    AssessmentStatus,
    Evidence,
    Round,
    RoundState,
    SelfAssessment,
    SelfScore,
)
from jiceng.evaluation.round_selectors import self_scores, source_score
from jiceng.evaluation.round_services import IndicatorAnswer as A
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import actor_for, make_member

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _zip(names):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def _xlsx():
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def round_(tree):
    scheme = make_scheme(tree.district)
    return make_open_round(tree.district, [tree.community_a1, tree.community_a2], [scheme])


@pytest.fixture
def assessment(round_, tree):
    return SelfAssessment.objects.get(round_unit__round=round_, round_unit__unit=tree.community_a1)


@pytest.fixture
def secretary(tree):
    return actor_for(tree.people[Role.BRANCH_SECRETARY])


@pytest.fixture
def supervisor(tree):
    return actor_for(tree.people[Role.STREET_SUPERVISOR])


FULL = {
    "duty-roster": A(items_met=(0, 2), explanation="值班表已公示，来访均登记。"),
    "visits": A(points=Decimal("4"), explanation="走访四百余户。"),
    "complaints": A(points=Decimal("2"), explanation="一件有效投诉。"),
}


def _fill(actor, assessment, answers=FULL, evidence=True):
    services.self_assessment_save(actor=actor, assessment=assessment, answers=answers)
    if evidence:
        services.evidence_add(
            actor=actor,
            assessment=assessment,
            indicator_code="duty-roster",
            upload=SimpleUploadedFile("值班表.pdf", PDF),
        )


class TestDrafts:
    def test_the_secretary_saves_a_partial_draft_and_changes_it(self, assessment, secretary):
        services.self_assessment_save(
            actor=secretary, assessment=assessment, answers={"visits": A(points=Decimal("3"))}
        )
        services.self_assessment_save(
            actor=secretary,
            assessment=assessment,
            answers={"visits": A(points=Decimal("4.5"), explanation="补充")},
        )
        score = SelfScore.objects.get(assessment=assessment)
        assert (score.indicator_code, score.points, score.explanation) == (
            "visits",
            Decimal("4.50"),
            "补充",
        )
        assert assessment.status == AssessmentStatus.DRAFT

    @pytest.mark.parametrize(
        ("answers", "field"),
        [
            ({"visits": A(points=Decimal("5.5"))}, "points-visits"),
            ({"visits": A(points=Decimal("-1"))}, "points-visits"),
            ({"visits": A(points=Decimal("1.234"))}, "points-visits"),
            ({"complaints": A(points=Decimal("10.01"))}, "points-complaints"),
            ({"duty-roster": A(items_met=(3,))}, "items-duty-roster"),
            ({"duty-roster": A(items_met=(1, 1))}, "items-duty-roster"),
            ({"visits": A(points=Decimal("1"), explanation="长" * 2001)}, "explanation-visits"),
        ],
    )
    def test_bad_scores_change_nothing(self, assessment, secretary, answers, field):
        good = {"complaints": A(points=Decimal("1"))}
        with pytest.raises(DomainError) as error:
            services.self_assessment_save(
                actor=secretary, assessment=assessment, answers={**good, **answers}
            )
        assert error.value.field == field
        assert not SelfScore.objects.exists()

    def test_metric_and_unknown_indicators_are_not_self_scored(self, assessment, secretary):
        for code in ("on-time", "nope"):
            with pytest.raises(DomainError, match="not scored here"):
                services.self_assessment_save(
                    actor=secretary, assessment=assessment, answers={code: A(points=Decimal(1))}
                )
        assert not SelfScore.objects.exists()

    @pytest.mark.parametrize(
        "role", [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.STREET_SUPERVISOR]
    )
    def test_only_the_units_own_secretary_edits(self, tree, assessment, role):
        with pytest.raises(Forbidden):
            services.self_assessment_save(
                actor=actor_for(tree.people[role]), assessment=assessment, answers=FULL
            )

    def test_a_sibling_secretary_cannot_edit(self, tree, assessment):
        sibling = make_member(tree.community_a2, Role.BRANCH_SECRETARY)
        with pytest.raises(Forbidden):
            services.self_assessment_save(
                actor=actor_for(sibling), assessment=assessment, answers=FULL
            )

    def test_not_after_the_self_stage(self, assessment, secretary, round_):
        Round.objects.filter(pk=round_.pk).update(state=RoundState.RESIDENTS)
        assessment.round_unit.round.refresh_from_db()
        with pytest.raises(Conflict):
            services.self_assessment_save(actor=secretary, assessment=assessment, answers=FULL)

    def test_not_after_the_deadline_even_before_the_job_ran(self, assessment, secretary, round_):
        Round.objects.filter(pk=round_.pk).update(stage_deadline=round_.opened_at - timedelta(1))
        assessment.round_unit.round.refresh_from_db()
        with pytest.raises(Conflict, match="closed"):
            services.self_assessment_save(actor=secretary, assessment=assessment, answers=FULL)


class TestEvidence:
    @pytest.mark.parametrize(
        ("name", "content", "kind"),
        [
            ("a.pdf", PDF, "application/pdf"),
            ("a.png", PNG, "image/png"),
            ("a.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
            ("a.docx", _zip(["[Content_Types].xml", "word/document.xml"]), "wordprocessing"),
            ("表.xlsx", _xlsx(), "spreadsheetml"),
        ],
    )
    def test_accepted_types_are_recognised_by_content(
        self, assessment, secretary, name, content, kind
    ):
        evidence = services.evidence_add(
            actor=secretary,
            assessment=assessment,
            indicator_code="visits",
            upload=SimpleUploadedFile(name, content),
        )
        assert kind in evidence.content_type
        assert evidence.original_name == name
        assert evidence.size == len(content)
        assert evidence.file.read() == content
        # Stored under a random name, never the uploader's.
        assert re.fullmatch(r"[0-9a-f]{32}\.[a-z]+", PurePath(evidence.file.name).name)

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("fake.pdf", b"MZ\x90\x00 a program", "can be attached"),
            ("fake.docx", _zip(["hello.txt"]), "can be attached"),
            ("broken.docx", b"PK\x03\x04 not a zip", "can be attached"),
            ("empty.pdf", b"", "empty"),
            ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "10 MB"),
        ],
    )
    def test_other_content_is_refused_whatever_its_name(
        self, assessment, secretary, name, content, message
    ):
        with pytest.raises(DomainError, match=message):
            services.evidence_add(
                actor=secretary,
                assessment=assessment,
                indicator_code="visits",
                upload=SimpleUploadedFile(name, content),
            )
        assert not Evidence.objects.exists()

    def test_remove(self, assessment, secretary):
        evidence = services.evidence_add(
            actor=secretary,
            assessment=assessment,
            indicator_code="visits",
            upload=SimpleUploadedFile("a.pdf", PDF),
        )
        services.evidence_remove(actor=secretary, evidence=evidence)
        assert not Evidence.objects.exists()


class TestSubmit:
    def test_submit_once(self, assessment, secretary):
        _fill(secretary, assessment)
        services.self_assessment_submit(actor=secretary, assessment=assessment)
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED
        assert assessment.submitted_by == secretary.user
        with pytest.raises(Conflict):
            services.self_assessment_submit(actor=secretary, assessment=assessment)
        with pytest.raises(Conflict):
            services.self_assessment_save(actor=secretary, assessment=assessment, answers=FULL)
        assert AuditEntry.objects.filter(action="evaluation.self_assessment.submitted").count() == 1

    @pytest.mark.parametrize(
        ("answers", "evidence", "message"),
        [
            ({k: v for k, v in FULL.items() if k != "visits"}, True, "入户走访 is missing"),
            ({**FULL, "visits": A(points=None, explanation="x")}, True, "入户走访 is missing"),
            ({**FULL, "complaints": A(points=Decimal(1))}, True, "有效投诉扣分 has no expl"),
            (FULL, False, "值班制度落实 needs at least one evidence file"),
        ],
    )
    def test_incomplete_is_refused(self, assessment, secretary, answers, evidence, message):
        _fill(secretary, assessment, answers, evidence)
        with pytest.raises(DomainError, match=message):
            services.self_assessment_submit(actor=secretary, assessment=assessment)
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.DRAFT


class TestReturn:
    def _submitted(self, assessment, secretary):
        _fill(secretary, assessment)
        return services.self_assessment_submit(actor=secretary, assessment=assessment)

    def test_the_superior_returns_with_a_reason_and_the_unit_corrects(
        self, assessment, secretary, supervisor, round_
    ):
        self._submitted(assessment, secretary)
        # The stage closes; a returned self-assessment can still be corrected.
        services.round_advance(actor=actor_for_admin(round_), round_=round_)
        assessment.round_unit.round.refresh_from_db()
        services.self_assessment_return(
            actor=supervisor, assessment=assessment, reason="证明材料不清晰，请补充。"
        )
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.RETURNED
        assert assessment.return_reason == "证明材料不清晰，请补充。"
        entry = AuditEntry.objects.get(action="evaluation.self_assessment.returned")
        assert entry.reason == "证明材料不清晰，请补充。"
        services.self_assessment_save(
            actor=secretary,
            assessment=assessment,
            answers={"visits": A(points=Decimal("3"), explanation="更正")},
        )
        services.self_assessment_submit(actor=secretary, assessment=assessment)
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED

    def test_a_reason_is_required(self, assessment, secretary, supervisor):
        self._submitted(assessment, secretary)
        with pytest.raises(DomainError, match="reason"):
            services.self_assessment_return(actor=supervisor, assessment=assessment, reason=" ")
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED

    def test_only_a_submitted_one_is_returned(self, assessment, supervisor):
        with pytest.raises(Conflict):
            services.self_assessment_return(actor=supervisor, assessment=assessment, reason="x")

    def test_the_unit_itself_and_a_sibling_cannot_return(self, tree, assessment, secretary):
        self._submitted(assessment, secretary)
        sibling_street = make_member(tree.street_b, Role.STREET_SUPERVISOR)
        sibling_community = make_member(tree.community_a2, Role.BRANCH_SECRETARY)
        for actor in (
            secretary,
            actor_for(tree.people[Role.COMMUNITY_STAFF]),
            actor_for(sibling_street),
            actor_for(sibling_community),
        ):
            with pytest.raises(Forbidden):
                services.self_assessment_return(actor=actor, assessment=assessment, reason="x")
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED

    def test_the_district_above_can_return(self, tree, assessment, secretary):
        self._submitted(assessment, secretary)
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        services.self_assessment_return(actor=admin, assessment=assessment, reason="补充")
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.RETURNED


def actor_for_admin(round_):
    membership = Membership.objects.filter(unit=round_.organiser, role=Role.DISTRICT_ADMIN).first()
    return actor_for(membership.user)


class TestSelfScore:
    def test_hand_computed_self_score(self, round_, assessment, secretary):
        _fill(secretary, assessment)
        services.self_assessment_submit(actor=secretary, assessment=assessment)
        scores = self_scores(round_)
        # Checklist 2 of 3 = 66.67, scale 4 of 5 = 80 → service (equal weights) 73.33;
        # deduction 2 of 10 = 80 → outcome 80 (the metric is not scored by people);
        # dimensions 50/50 → (73.333… + 80) / 2 = 76.666…
        assert scores[assessment.round_unit_id] == pytest.approx(230 / 3)
        other = SelfAssessment.objects.exclude(pk=assessment.pk).get(round_unit__round=round_)
        assert scores[other.round_unit_id] is None

    def test_drafts_and_returned_ones_have_no_score(self, round_, assessment, secretary):
        _fill(secretary, assessment)
        assert self_scores(round_)[assessment.round_unit_id] is None

    def test_weights_count(self, round_):
        snapshot = round_.snapshot
        snapshot["schemes"]["community"]["dimensions"][0]["weight"] = "30"
        snapshot["schemes"]["community"]["dimensions"][0]["indicators"][1]["weight"] = "3"
        answers = {
            "duty-roster": (None, [0, 1, 2]),  # 100
            "visits": (Decimal("1"), []),  # 20
            "complaints": (Decimal("12"), []),  # deductions stop at 0
        }
        # service: (100·1 + 20·3) / 4 = 40; outcome 0; (40·30 + 0·50) / 80 = 15
        assert source_score(snapshot, "community", "self", answers) == pytest.approx(15)
