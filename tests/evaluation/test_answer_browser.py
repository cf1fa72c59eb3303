# ruff: noqa: F811  (fixtures imported from test_survey_services arrive as parameters)
"""The answering page's script in a real browser at phone width: conditions show and hide."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jiceng.evaluation.models import SurveyResponse
from tests.evaluation.test_survey_services import (  # noqa: F401  (fixtures)
    admin,
    issue,
    questions_by_key,
    supervisor,
    survey_round,
)


@pytest.mark.django_db(transaction=True)
def test_conditional_questions_follow_the_answers_and_hidden_ones_are_not_sent(
    live_server, browser, survey_round, tree, supervisor, artefacts
):
    token = issue(survey_round, tree.community_a1, supervisor, count=1)[0]
    q = questions_by_key(survey_round)
    context = browser.new_context(viewport={"width": 360, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + reverse("survey_answer_token", args=[token]))
    improve, solved = page.locator(f"#q{q['improve'].pk}"), page.locator(f"#q{q['solved'].pk}")
    assert improve.is_hidden() and solved.is_hidden()

    page.check(f"#q{q['overall'].pk}-2")
    page.check(f"#q{q['raised'].pk}-0")
    assert improve.is_visible() and solved.is_visible()
    page.check(f"#q{q['solved'].pk}-1")
    page.fill(f"#q{q['improve'].pk}-text", "晚上也能办事")
    page.check(f"#q{q['overall'].pk}-5")  # satisfied after all: "what to improve" goes away
    assert improve.is_hidden()
    for row in range(4):
        page.click(f"label[for='q{q['aspects'].pk}-{row}-4']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(artefacts / "survey-answer-phone.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url("**/s/thanks/")
    context.close()

    stored = dict(SurveyResponse.objects.get().answers.values_list("question_id", "value"))
    assert stored[q["overall"].pk] == 5 and stored[q["solved"].pk] == 1
    assert stored[q["aspects"].pk] == [4, 4, 4, 4]
    assert q["improve"].pk not in stored
