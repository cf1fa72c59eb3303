"""Self-assessment pages: the unit's form, evidence upload, submit, the superior's review."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from jiceng.evaluation.models import AssessmentStatus, Evidence, SelfAssessment, SelfScore
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import make_member

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.4\n%%EOF\n"


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def assessment(tree):
    scheme = make_scheme(tree.district)
    round_ = make_open_round(tree.district, [tree.community_a1, tree.community_a2], [scheme])
    return SelfAssessment.objects.get(round_unit__round=round_, round_unit__unit=tree.community_a1)


@pytest.fixture
def secretary(tree):
    return _client(tree.people[Role.BRANCH_SECRETARY])


def _url(name, assessment):
    return reverse(name, args=[assessment.round_unit_id])


FORM = {
    "items-duty-roster": ["0", "2"],
    "explanation-duty-roster": "值班表已公示。",
    "points-visits": "4",
    "explanation-visits": "走访四百户。",
    "points-complaints": "2",
    "explanation-complaints": "一件有效投诉。",
}


class TestUnitPages:
    def test_list_shows_the_units_self_assessments(self, assessment, secretary):
        response = secretary.get(reverse("self_list"), **EN)
        assert response.status_code == 200
        assert [a.pk for a in response.context["page"]] == [assessment.pk]

    def test_empty_list(self, tree):
        response = _client(tree.people[Role.BRANCH_SECRETARY]).get(reverse("self_list"), **EN)
        assert "no self-assessment to fill in" in response.content.decode()

    def test_fill_attach_submit_then_read_only(self, assessment, secretary):
        page = secretary.get(_url("self_assessment", assessment), **EN).content.decode()
        assert "服务意识" in page and "公示值班表" in page and "按时办结率" not in page
        response = secretary.post(_url("self_assessment", assessment), FORM)
        assert response.status_code == 302
        assert SelfScore.objects.get(indicator_code="visits").points == Decimal("4")
        assert SelfScore.objects.get(indicator_code="duty-roster").items_met == [0, 2]
        secretary.post(
            _url("self_evidence_add", assessment),
            {"indicator": "duty-roster", "file": SimpleUploadedFile("值班表.pdf", PDF)},
        )
        evidence = Evidence.objects.get()
        download = secretary.get(reverse("self_evidence_file", args=[evidence.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        secretary.post(_url("self_submit", assessment))
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED
        page = secretary.get(_url("self_assessment", assessment), **EN).content.decode()
        assert "Only the superior can return it" in page
        assert "Save draft" not in page
        secretary.post(_url("self_assessment", assessment), {**FORM, "points-visits": "1"})
        assert SelfScore.objects.get(indicator_code="visits").points == Decimal("4")

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("points-visits", "9", "from 0 to 5"),
            ("points-visits", "abc", "Enter a number"),
            ("items-duty-roster", "7", "Tick only items"),
        ],
    )
    def test_bad_scores_change_nothing(self, assessment, secretary, field, value, message):
        response = secretary.post(_url("self_assessment", assessment), {**FORM, field: value}, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not SelfScore.objects.exists()

    def test_a_refused_save_keeps_what_was_typed(self, assessment, secretary):
        data = {**FORM, "points-visits": "9", "explanation-visits": "刚写的说明"}
        page = secretary.post(_url("self_assessment", assessment), data, **EN).content.decode()
        assert "刚写的说明" in page and 'value="9"' in page

    def test_save_and_submit_in_one_go(self, assessment, secretary):
        secretary.post(
            _url("self_evidence_add", assessment),
            {"indicator": "duty-roster", "file": SimpleUploadedFile("a.pdf", PDF)},
        )
        response = secretary.post(_url("self_assessment", assessment), {**FORM, "action": "submit"})
        assert response.status_code == 302
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED
        assert SelfScore.objects.filter(assessment=assessment).count() == 3

    def test_a_disguised_file_is_refused(self, assessment, secretary):
        response = secretary.post(
            _url("self_evidence_add", assessment),
            {"indicator": "visits", "file": SimpleUploadedFile("x.pdf", b"MZ not a pdf")},
            follow=True,
            **EN,
        )
        assert "can be attached" in response.content.decode()
        assert not Evidence.objects.exists()

    def test_submit_incomplete_shows_what_is_missing(self, assessment, secretary):
        response = secretary.post(_url("self_submit", assessment), follow=True, **EN)
        assert "is missing" in response.content.decode()
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.DRAFT


class TestQueries:
    def test_list_and_form_in_few_queries(
        self, tree, assessment, secretary, django_assert_max_num_queries
    ):
        scheme = assessment.round_unit.round.schemes.get()
        for number in range(30):
            make_open_round(tree.district, [tree.community_a1], [scheme], name=f"第{number}轮")
        with django_assert_max_num_queries(12):
            response = secretary.get(reverse("self_list"))
        assert len(response.context["page"].items) == 25
        for code in ("duty-roster", "visits", "complaints"):
            for _ in range(3):
                secretary.post(
                    _url("self_evidence_add", assessment),
                    {"indicator": code, "file": SimpleUploadedFile("a.pdf", PDF)},
                )
        assert Evidence.objects.count() == 9
        with django_assert_max_num_queries(14):
            assert secretary.get(_url("self_assessment", assessment)).status_code == 200


class TestAccess:
    def test_a_sibling_community_gets_404(self, tree, assessment):
        sibling = _client(make_member(tree.community_a2, Role.BRANCH_SECRETARY))
        for name in ("self_assessment", "self_review"):
            assert sibling.get(_url(name, assessment)).status_code == 404
        assert sibling.post(_url("self_submit", assessment)).status_code == 404

    def test_a_foreign_street_gets_404(self, tree, assessment):
        foreign = _client(make_member(tree.street_b, Role.STREET_SUPERVISOR))
        assert foreign.get(_url("self_review", assessment)).status_code == 404
        assert foreign.post(_url("self_return", assessment), {"reason": "x"}).status_code == 404

    def test_evidence_of_another_unit_is_not_found(self, tree, assessment, secretary):
        secretary.post(
            _url("self_evidence_add", assessment),
            {"indicator": "visits", "file": SimpleUploadedFile("a.pdf", PDF)},
        )
        evidence = Evidence.objects.get()
        sibling = _client(make_member(tree.community_a2, Role.BRANCH_SECRETARY))
        assert sibling.get(reverse("self_evidence_file", args=[evidence.pk])).status_code == 404
        assert sibling.post(reverse("self_evidence_remove", args=[evidence.pk])).status_code == 404
        assert Evidence.objects.exists()


class TestReview:
    def _submit(self, assessment, secretary):
        secretary.post(_url("self_assessment", assessment), FORM)
        secretary.post(
            _url("self_evidence_add", assessment),
            {"indicator": "duty-roster", "file": SimpleUploadedFile("a.pdf", PDF)},
        )
        secretary.post(_url("self_submit", assessment))
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED

    def test_the_street_returns_it_and_the_unit_sees_the_reason(self, tree, assessment, secretary):
        self._submit(assessment, secretary)
        supervisor = _client(tree.people[Role.STREET_SUPERVISOR])
        page = supervisor.get(_url("self_review", assessment), **EN).content.decode()
        assert "走访四百户" in page and "Return for correction" in page
        # Someone above opening the unit's own page lands on the review.
        assert supervisor.get(_url("self_assessment", assessment))["Location"] == _url(
            "self_review", assessment
        )
        supervisor.post(_url("self_return", assessment), {"reason": "请补充走访记录。"})
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.RETURNED
        page = secretary.get(_url("self_assessment", assessment), **EN).content.decode()
        assert "Returned for correction" in page and "请补充走访记录。" in page
        assert "Save draft" in page

    def test_the_unit_cannot_return_its_own(self, assessment, secretary):
        self._submit(assessment, secretary)
        page = secretary.get(_url("self_review", assessment), **EN).content.decode()
        assert "Return for correction" not in page
        secretary.post(_url("self_return", assessment), {"reason": "x"})
        assessment.refresh_from_db()
        assert assessment.status == AssessmentStatus.SUBMITTED
