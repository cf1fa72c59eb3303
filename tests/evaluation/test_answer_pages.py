# ruff: noqa: F811  (fixtures imported from test_survey_services arrive as parameters)
"""The residents' answering pages: no account, phone first, one answer per token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.core.devices import DEVICE_COOKIE
from jiceng.evaluation import survey_services as services
from jiceng.evaluation.models import Answer, RoundState, StaffDevice, SurveyResponse
from jiceng.evaluation.views_survey import TOKEN_MISSES_PER_WINDOW
from jiceng.orgs.roles import Role
from tests.devices import device_of
from tests.evaluation.test_survey_services import (  # noqa: F401  (fixtures)
    admin,
    issue,
    questions_by_key,
    supervisor,
    survey_round,
    unit_of,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _post(round_, *, overall="5", improve=None, raised="1", solved=None):
    q = questions_by_key(round_)
    data = {
        f"q{q['overall'].pk}": overall,
        f"q{q['raised'].pk}": raised,
        f"q{q['services'].pk}": ["0", "2"],
        f"q{q['suggest'].pk}": "希望多组织老年人活动",
    }
    for row, level in enumerate(["5", "4", "4", "3"]):
        data[f"q{q['aspects'].pk}_{row}"] = level
    if improve is not None:
        data[f"q{q['improve'].pk}"] = improve
    if solved is not None:
        data[f"q{q['solved'].pk}"] = solved
    return data


def _notice_text(response) -> str:
    body = response.content.decode()
    return re.search(r'data-testid="answer-notice-\w+">(.*?)</div>', body, re.S).group(1)


@pytest.fixture
def token(survey_round, tree, supervisor) -> str:
    return issue(survey_round, tree.community_a1, supervisor, count=1)[0]


class TestAnsweringByToken:
    @pytest.mark.parametrize(
        ("headers", "lang", "button"), [(ZH, "zh-Hans", None), (EN, "en", "Submit my answers")]
    )
    def test_the_page_is_built_for_a_phone_in_both_languages(
        self, survey_round, token, headers, lang, button
    ):
        response = Client().get(reverse("survey_answer_token", args=[token]), **headers)
        body = response.content.decode()
        assert response.status_code == 200
        assert f'<html lang="{lang}">' in body
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
        assert survey_round.survey.title in body and "柳岸社区" in body
        # Phone first: one column, no wide tables; the matrix is rows of wrapping buttons.
        assert "<table" not in body and 'class="col-12' in body
        assert body.count('class="matrix-row') == 4
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
        if button:
            assert button in body and "Very satisfied" in body
        else:
            assert "跳到主要内容" in body  # the page is served in Chinese

    def test_conditional_questions_carry_their_condition_for_the_script(self, survey_round, token):
        q = questions_by_key(survey_round)
        body = Client().get(reverse("survey_answer_token", args=[token]), **EN).content.decode()
        assert (
            f'data-question="{q["improve"].pk}" data-show-if="{q["overall"].pk}" '
            'data-show-values="1 2 3"' in body
        )
        assert f'data-show-if="{q["raised"].pk}" data-show-values="0"' in body

    def test_a_resident_answers_once_and_is_thanked(self, survey_round, token):
        client = Client()
        url = reverse("survey_answer_token", args=[token])
        response = client.post(url, _post(survey_round, overall="2", improve="晚上没人值班"), **ZH)
        assert response.status_code == 302 and response["Location"] == reverse("survey_thanks")
        assert client.get(response["Location"], **EN).status_code == 200
        stored = SurveyResponse.objects.get()
        values = dict(stored.answers.values_list("question__position", "value"))
        assert values == {
            1: 2,
            2: 1,
            4: [0, 2],
            5: [5, 4, 4, 3],
            6: "晚上没人值班",
            7: "希望多组织老年人活动",
        }
        again = client.post(url, _post(survey_round), **EN)
        assert again.status_code == 404
        assert SurveyResponse.objects.count() == 1

    def test_used_and_unknown_tokens_get_the_same_page(self, survey_round, token):
        client = Client()
        client.post(reverse("survey_answer_token", args=[token]), _post(survey_round), **EN)
        used = client.get(reverse("survey_answer_token", args=[token]), **EN)
        unknown = client.get(reverse("survey_answer_token", args=[services.new_token()]), **EN)
        assert used.status_code == unknown.status_code == 404
        assert _notice_text(used) == _notice_text(unknown)

    def test_errors_are_shown_and_the_answers_kept(self, survey_round, token):
        q = questions_by_key(survey_round)
        data = _post(survey_round, overall="5", improve="随便写写")  # improve is hidden at 5
        del data[f"q{q['raised'].pk}"]
        response = Client().post(reverse("survey_answer_token", args=[token]), data, **EN)
        body = response.content.decode()
        assert response.status_code == 400
        assert "Please answer this question." in body
        assert "This question does not apply to your answers above." in body
        assert f'id="q{q["overall"].pk}-5" value="5" checked' in body
        assert not SurveyResponse.objects.exists() and not Answer.objects.exists()
        assert services.token_lookup(token) is not None

    def test_a_closed_stage_says_so(self, survey_round, token):
        survey_round.state = RoundState.SUPERIOR
        survey_round.save()
        response = Client().get(reverse("survey_answer_token", args=[token]), **EN)
        assert response.status_code == 410
        assert "not open" in response.content.decode()
        posted = Client().post(reverse("survey_answer_token", args=[token]), _post(survey_round))
        assert posted.status_code == 410 and not SurveyResponse.objects.exists()

    def test_guessing_tokens_is_rate_limited_per_address(self, survey_round, token):
        client = Client(REMOTE_ADDR="198.51.100.9")
        for _ in range(TOKEN_MISSES_PER_WINDOW):
            miss = client.get(reverse("survey_answer_token", args=[services.new_token()]))
            assert miss.status_code == 404
        blocked = client.get(reverse("survey_answer_token", args=[token]))
        assert blocked.status_code == 429
        other = Client(REMOTE_ADDR="198.51.100.10")
        assert other.get(reverse("survey_answer_token", args=[token])).status_code == 200

    def test_answering_does_not_count_as_guessing(self, survey_round, tree, supervisor):
        tokens = issue(
            survey_round, tree.community_a1, supervisor, count=TOKEN_MISSES_PER_WINDOW + 2
        )
        client = Client(REMOTE_ADDR="198.51.100.20")  # one building behind one address
        for raw in tokens:
            assert client.get(reverse("survey_answer_token", args=[raw])).status_code == 200


class TestAnsweringByOpenLink:
    @pytest.fixture
    def link(self, survey_round, tree, supervisor):
        return services.open_link_create(
            round_unit=unit_of(survey_round, tree.community_a1),
            actor=supervisor,
            place="党群服务中心",
            per_device=1,
            per_address_per_day=2,
        )

    def test_a_device_answers_once(self, survey_round, link):
        client = Client()
        url = reverse("survey_answer_open", args=[link.slug])
        page = client.get(url, **ZH)
        assert page.status_code == 200 and DEVICE_COOKIE in page.cookies
        assert client.post(url, _post(survey_round)).status_code == 302
        again = client.post(url, _post(survey_round), **EN)
        assert again.status_code == 429
        assert "already answered" in again.content.decode()
        assert SurveyResponse.objects.filter(open_link=link).count() == 1

    def test_a_network_address_answers_a_limited_number_of_times_a_day(self, survey_round, link):
        url = reverse("survey_answer_open", args=[link.slug])
        for _ in range(2):  # fresh devices (no cookie) behind one address
            assert Client(REMOTE_ADDR="192.0.2.1").post(url, _post(survey_round)).status_code == 302
        assert Client(REMOTE_ADDR="192.0.2.1").post(url, _post(survey_round)).status_code == 429
        assert Client(REMOTE_ADDR="192.0.2.2").post(url, _post(survey_round)).status_code == 302
        assert SurveyResponse.objects.filter(open_link=link).count() == 3

    def test_a_phone_the_units_staff_signed_in_on_is_told_to_leave_it_to_residents(
        self, tree, survey_round, link
    ):
        secretary = Client()
        signed_in = secretary.post(
            reverse("login"),
            {"username": tree.people[Role.BRANCH_SECRETARY].username, "password": PASSWORD},
        )
        assert signed_in.status_code == 302 and DEVICE_COOKIE in signed_in.cookies
        phone = signed_in.cookies[DEVICE_COOKIE].value
        device = device_of(phone)
        assert StaffDevice.objects.get(user=tree.people[Role.BRANCH_SECRETARY]).device_hash == (
            services.keyed_hash("device", device)
        )
        # Signed out (the test client forgets every cookie; a browser keeps the device's).
        secretary.logout()
        secretary.cookies[DEVICE_COOKIE] = phone

        url = reverse("survey_answer_open", args=[link.slug])
        refused = secretary.post(url, _post(survey_round), **EN)
        assert refused.status_code == 403
        assert "Staff cannot answer here" in _notice_text(refused)
        assert not SurveyResponse.objects.filter(open_link=link).exists()
        link.refresh_from_db()
        assert link.refused == 1
        assert Client().post(url, _post(survey_round)).status_code == 302  # a resident's phone

    def test_a_switched_off_or_unknown_link_is_not_found(self, survey_round, link, supervisor):
        services.open_link_deactivate(link=link, actor=supervisor)
        assert Client().get(reverse("survey_answer_open", args=[link.slug])).status_code == 404
        assert Client().get(reverse("survey_answer_open", args=["nope"])).status_code == 404
