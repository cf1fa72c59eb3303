# ruff: noqa: F811  (fixtures imported from test_survey_services arrive as parameters)
"""Staff pages of the residents' assessment: builder, distribution, rates, comments."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.evaluation import survey_services as services
from jiceng.evaluation.models import (
    OpenLink,
    Question,
    QuestionKind,
    RoundState,
    Survey,
    SurveyToken,
    TokenBatch,
)
from jiceng.evaluation.survey_selectors import token_digest
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.evaluation.test_survey_services import (  # noqa: F401  (fixtures)
    admin,
    good_answers,
    issue,
    questions_by_key,
    supervisor,
    survey_round,
    unit_of,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def signed_in(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


class TestBuilder:
    def test_the_district_builds_a_questionnaire(self, tree):
        round_ = make_open_round(
            tree.district, [tree.community_a1], [make_scheme(tree.district)], state=RoundState.SELF
        )
        client = signed_in(tree, Role.DISTRICT_ADMIN)
        page = client.get(reverse("survey_builder", args=[round_.pk]), **EN)
        assert page.status_code == 200 and 'data-testid="create-default"' in page.content.decode()
        done = client.post(reverse("survey_create_default", args=[round_.pk]))
        assert done.status_code == 302
        survey = Survey.objects.get(round=round_)
        overall = survey.questions.get(position=1)
        response = client.post(
            reverse("survey_question_add", args=[round_.pk]),
            {
                "kind": QuestionKind.SINGLE,
                "text": "您知道社区书记是谁吗？",
                "required": "on",
                "options": "知道\n不知道\n",
                "show_if": overall.pk,
                "show_if_options": "1，2",
            },
        )
        assert response.status_code == 302
        added = survey.questions.order_by("-position").first()
        assert added.options == ["知道", "不知道"] and added.show_if_options == [1, 2]
        listed = client.get(reverse("survey_builder", args=[round_.pk]), **EN).content.decode()
        assert "您知道社区书记是谁吗？" in listed and "Conditional:" in listed

    def test_a_bad_question_shows_its_error_and_changes_nothing(self, tree, survey_round):
        survey_round.state = RoundState.SELF
        survey_round.save()
        client = signed_in(tree, Role.DISTRICT_ADMIN)
        response = client.post(
            reverse("survey_question_add", args=[survey_round.pk]),
            {"kind": QuestionKind.MULTIPLE, "text": "哪些？", "options": "只有一项"},
            **EN,
        )
        assert response.status_code == 200
        assert "Give between 2 and 20 options" in response.content.decode()
        assert survey_round.survey.questions.count() == 7

    def test_editing_a_question_keeps_its_condition_in_option_numbers(self, tree, survey_round):
        survey_round.state = RoundState.SELF
        survey_round.save()
        q = questions_by_key(survey_round)
        client = signed_in(tree, Role.DISTRICT_ADMIN)
        url = reverse("survey_question_edit", args=[q["solved"].pk])
        form = client.get(url, **EN).content.decode()
        assert 'name="show_if_options" value="1"' in form and 'name="yes_option" value="1"' in form
        response = client.post(
            url,
            {
                "kind": QuestionKind.SINGLE,
                "text": "问题解决了吗？",
                "required": "on",
                "options": "解决了\n没解决",
                "yes_option": "1",
                "show_if": q["raised"].pk,
                "show_if_options": "1",
            },
        )
        assert response.status_code == 302
        solved = Question.objects.get(pk=q["solved"].pk)
        assert (solved.text, solved.yes_option, solved.show_if_options) == (
            "问题解决了吗？",
            0,
            [0],
        )

    def test_a_supervisor_reads_but_cannot_change_the_questionnaire(self, tree, survey_round):
        survey_round.state = RoundState.SELF
        survey_round.save()
        client = signed_in(tree, Role.STREET_SUPERVISOR)
        page = client.get(reverse("survey_builder", args=[survey_round.pk]), **EN)
        assert page.status_code == 200 and "Add a question" not in page.content.decode()
        question = survey_round.survey.questions.first()
        assert client.post(reverse("survey_question_delete", args=[question.pk])).status_code == 404
        assert survey_round.survey.questions.count() == 7


class TestDistribution:
    def test_a_batch_answers_with_a_printable_sheet_and_csv_once(self, tree, survey_round):
        client = signed_in(tree, Role.STREET_SUPERVISOR)
        a1 = unit_of(survey_round, tree.community_a1)
        response = client.post(
            reverse("survey_token_batch_create", args=[a1.pk]),
            {"count": "3", "label": "5号楼"},
            **EN,
        )
        body = response.content.decode()
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        codes = re.findall(r"Code: ([A-Za-z0-9_-]{22})<", body)
        assert len(codes) == 3 and body.count("<svg") == 3
        assert {token_digest(code) for code in codes} == set(
            SurveyToken.objects.values_list("digest", flat=True)
        )
        for code in codes:
            assert f"http://testserver/s/{code}/" in body
        csv_text = unquote(re.search(r'href="data:text/csv;charset=utf-8,([^"]+)"', body).group(1))
        assert all(f"{code},http://testserver/s/{code}/" in csv_text for code in codes)
        assert "@page { size: A4" in body and 'data-testid="once-warning"' in body
        later = client.get(reverse("survey_unit", args=[a1.pk]), **EN).content.decode()
        assert "0 / 3" in later and not any(code in later for code in codes)

    def test_voiding_a_batch_from_the_page(self, tree, survey_round, supervisor):
        batch, tokens = services.token_batch_create(
            round_unit=unit_of(survey_round, tree.community_a1), actor=supervisor, count=2
        )
        client = signed_in(tree, Role.STREET_SUPERVISOR)
        response = client.post(reverse("survey_token_batch_void", args=[batch.pk]))
        assert response.status_code == 302
        assert TokenBatch.objects.get(pk=batch.pk).voided_at is not None
        assert services.token_lookup(tokens[0]) is None

    def test_an_open_link_gets_a_poster(self, tree, survey_round):
        client = signed_in(tree, Role.STREET_SUPERVISOR)
        a1 = unit_of(survey_round, tree.community_a1)
        response = client.post(
            reverse("survey_open_link_create", args=[a1.pk]),
            {"place": "社区活动室", "per_device": "1", "per_address_per_day": "30"},
        )
        link = OpenLink.objects.get()
        assert response["Location"] == reverse("survey_open_link_poster", args=[link.pk])
        poster = client.get(response["Location"], **EN).content.decode()
        assert "<svg" in poster and f"http://testserver/s/o/{link.slug}/" in poster
        assert (
            client.post(reverse("survey_open_link_deactivate", args=[link.pk])).status_code == 302
        )
        assert not OpenLink.objects.get().is_active

    @pytest.mark.parametrize(
        ("name", "method"),
        [
            ("survey_unit", "get"),
            ("survey_free_text", "get"),
            ("survey_token_batch_create", "post"),
            ("survey_open_link_create", "post"),
            ("survey_households", "post"),
        ],
    )
    def test_the_units_own_staff_and_other_streets_are_kept_out(
        self, tree, survey_round, name, method
    ):
        a1 = unit_of(survey_round, tree.community_a1)
        b1 = unit_of(survey_round, tree.community_b1)
        data = {"count": "1", "place": "大厅", "per_device": "1", "per_address_per_day": "5"}
        data["households"] = "10"
        for role in (Role.BRANCH_SECRETARY, Role.COMMUNITY_STAFF, Role.GRID_WORKER):
            response = getattr(signed_in(tree, role), method)(reverse(name, args=[a1.pk]), data)
            assert response.status_code in (403, 404), role
        other_street = getattr(signed_in(tree, Role.STREET_SUPERVISOR), method)(
            reverse(name, args=[b1.pk]), data
        )
        assert other_street.status_code == 404
        assert not SurveyToken.objects.exists() and not OpenLink.objects.exists()
        assert unit_of(survey_round, tree.community_a1).households == 0

    def test_the_units_own_secretary_cannot_see_response_rates(self, tree, survey_round):
        client = signed_in(tree, Role.BRANCH_SECRETARY)
        url = reverse("survey_response_rates", args=[survey_round.pk])
        assert client.get(url).status_code == 403


class TestRatesAndComments:
    def test_the_rates_page_costs_the_same_whatever_the_number_of_units(
        self, tree, survey_round, supervisor, django_assert_max_num_queries
    ):
        tokens = issue(survey_round, tree.community_a1, supervisor, count=2)
        services.survey_answer(token=tokens[0], answers=good_answers(survey_round))
        client = signed_in(tree, Role.DISTRICT_ADMIN)
        url = reverse("survey_response_rates", args=[survey_round.pk])
        client.get(url)  # warm the session and lookups
        with django_assert_max_num_queries(8):
            page = client.get(url, **EN)
        body = page.content.decode()
        assert page.status_code == 200
        assert all(name in body for name in ("柳岸社区", "桂香社区", "泉水村"))
        assert "1 / 2" in body

    def test_comments_are_listed_for_the_superior_with_bounded_queries(
        self, tree, survey_round, supervisor, django_assert_max_num_queries
    ):
        q = questions_by_key(survey_round)
        tokens = issue(survey_round, tree.community_a1, supervisor, count=5)
        for number, raw in enumerate(tokens):
            answers = good_answers(survey_round)
            answers[q["suggest"].pk] = f"第{number}条：希望楼道灯及时修"
            services.survey_answer(token=raw, answers=answers)
        client = signed_in(tree, Role.STREET_SUPERVISOR)
        url = reverse("survey_free_text", args=[unit_of(survey_round, tree.community_a1).pk])
        client.get(url)
        with django_assert_max_num_queries(8):
            page = client.get(url, **EN)
        body = page.content.decode()
        assert all(f"第{number}条" in body for number in range(5))

    def test_the_rounds_list_links_the_questionnaire(self, tree, survey_round):
        body = signed_in(tree, Role.DISTRICT_ADMIN).get(reverse("survey_rounds"), **EN)
        text = body.content.decode()
        assert survey_round.name in text and "7 questions" in text
        assert reverse("survey_response_rates", args=[survey_round.pk]) in text


def test_the_distribution_page_costs_the_same_with_many_batches(
    tree, survey_round, supervisor, django_assert_max_num_queries
):
    a1 = unit_of(survey_round, tree.community_a1)
    for number in range(12):
        services.token_batch_create(round_unit=a1, actor=supervisor, count=3, label=f"{number}号楼")
        services.open_link_create(round_unit=a1, actor=supervisor, place=f"活动室{number}")
    client = signed_in(tree, Role.STREET_SUPERVISOR)
    url = reverse("survey_unit", args=[a1.pk])
    client.get(url)
    with django_assert_max_num_queries(8):
        page = client.get(url, **EN)
    body = page.content.decode()
    assert body.count("0 / 3") == 12 and "活动室11" in body


def test_condition_answers_must_be_numbers(tree, survey_round):
    survey_round.state = RoundState.SELF
    survey_round.save()
    overall = questions_by_key(survey_round)["overall"]
    response = signed_in(tree, Role.DISTRICT_ADMIN).post(
        reverse("survey_question_add", args=[survey_round.pk]),
        {
            "kind": QuestionKind.TEXT,
            "text": "为什么？",
            "show_if": overall.pk,
            "show_if_options": "低",
        },
        **EN,
    )
    assert response.status_code == 200
    assert "Write numbers separated by commas" in response.content.decode()
    assert survey_round.survey.questions.count() == 7
