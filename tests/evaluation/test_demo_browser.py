"""The evaluation on the demo data of `make demo` (`seed_demo`), in the browser and in Chinese:
the demo district administrator (`district`) opens the draft round of the current half-year;
柳岸社区's secretary (`secretary`) scores every indicator, attaches the evidence each one
requires and submits; the street supervisor (`street`) sets the households, creates a batch of
one-use codes and reads the links off the printed sheet; residents answer by code on a phone;
the street supervisor and the district administrator rate the community from their worklists;
the district closes the stages, computes and publishes, and the result page shows grades and
ranks; the secretary reads the report and appeals; the district upholds the appeal with a
reason and a corrected score, and the secretary finds the decision and the corrected result.
Screenshots under var/artefacts (demo-evaluation-*.png).

As in the bilingual journey on the test tree (test_journey_browser.py), the services stand in
only for what is not part of the story: the neighbouring 桂香社区's self-assessment, residents'
answers and rating (so 柳岸社区 has a peer to be ranked against), and four more residents'
answers for 柳岸社区 through codes the street supervisor created in the browser (so the residents'
part reaches its minimum of 30 ratings). The demo is seeded without requests, guarantees or the
library, which the evaluation's pages do not need: the case and guarantee metrics are then left
unscored, their weight going to the other indicators.
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from jiceng.core.actors import Actor
from jiceng.core.models import AuditEntry
from jiceng.evaluation import round_services, survey_services
from jiceng.evaluation.demo_data import demo_pdf, demo_periods
from jiceng.evaluation.models import (
    Appeal,
    AppealStatus,
    AssessmentStatus,
    Evidence,
    Result,
    Round,
    RoundState,
    RoundUnit,
    ScoringRule,
    SelfAssessment,
    SuperiorRating,
    SurveyResponse,
)
from jiceng.evaluation.result_selectors import GRADE_LABELS
from jiceng.evaluation.round_services import IndicatorAnswer
from jiceng.evaluation.scoring import Grade
from jiceng.orgs.models import OrgUnit, User
from tests.browser import DESKTOP, PHONE, open_page
from tests.evaluation.test_survey_services import good_answers, questions_by_key
from tests.factories import actor_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "zh-hans"
BROWSER_RESIDENTS = 3
MORE_RESIDENTS = 4  # through the services: 7 answers × 5 ratings reach the minimum of 30
HOUSEHOLDS = 10


def _label(choice) -> str:
    with translation.override(LANGUAGE):
        return str(choice.label)


def _post(page, url_name: str, *args: object) -> None:
    """Press the button of the page's form posting to `url_name` and wait for the answer."""
    with page.expect_navigation():
        page.locator(f'form[action="{reverse(url_name, args=args)}"] button[type=submit]').click()


def _fill_indicators(page, indicators: list[dict[str, Any]], *, as_superior: bool) -> None:
    """The community's own view: every item met, the top of every scale, each explained. The
    superior's: one item short on each checklist, a point below the top, one finding each."""
    short = 1 if as_superior else 0
    for indicator in indicators:
        code, options = indicator["code"], indicator["rule_options"]
        if indicator["rule"] == ScoringRule.CHECKLIST:
            for index in range(len(options["items"]) - short):
                page.check(f"#items-{code}-{index}")
        elif indicator["rule"] == ScoringRule.SCALE:
            page.fill(f"#points-{code}", str(options["top"] - short))
        else:
            page.fill(f"#points-{code}", str(options["per_item"] * short))
        if not as_superior:
            page.fill(
                f"#explanation-{code}",
                f"“{indicator['name']}”各项工作已落实，台账、照片和会议记录见佐证材料。",
            )


def _weak_answers(indicators: list[dict[str, Any]]) -> dict[str, IndicatorAnswer]:
    """Half of what each indicator asks: the neighbour serves less well."""
    answers = {}
    for indicator in indicators:
        if indicator["rule"] == ScoringRule.CHECKLIST:
            items = indicator["rule_options"]["items"]
            answer = IndicatorAnswer(items_met=tuple(range(len(items) // 2)))
        elif indicator["rule"] == ScoringRule.SCALE:
            answer = IndicatorAnswer(points=Decimal(indicator["rule_options"]["top"]) / 2)
        else:
            answer = IndicatorAnswer(points=Decimal(indicator["rule_options"]["per_item"]))
        answers[indicator["code"]] = IndicatorAnswer(
            points=answer.points, items_met=answer.items_met, explanation="部分落实，仍需改进。"
        )
    return answers


def _neighbour_assesses_itself(round_unit: RoundUnit, secretary: Actor) -> None:
    assessment = SelfAssessment.objects.get(round_unit=round_unit)
    indicators = round_services.indicators_for(round_unit.round, round_unit.unit_class, "self")
    round_services.self_assessment_save(
        actor=secretary, assessment=assessment, answers=_weak_answers(indicators)
    )
    for indicator in indicators:
        if indicator["evidence_required"]:
            round_services.evidence_add(
                actor=secretary,
                assessment=assessment,
                indicator_code=indicator["code"],
                upload=SimpleUploadedFile(
                    "台账.pdf", demo_pdf("ledger"), content_type="application/pdf"
                ),
            )
    round_services.self_assessment_submit(actor=secretary, assessment=assessment)


def _satisfied(round_: Round) -> dict[int, object]:
    """A satisfied resident: every satisfaction answer 4 or 5, the problem raised was solved."""
    answers = good_answers(round_)
    answers[questions_by_key(round_)["aspects"].pk] = [5, 4, 5, 4]
    return answers


def test_demo_round_from_opening_to_a_decided_appeal(
    browser, live_server, artefacts, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    with translation.override(settings.LANGUAGE_CODE):
        call_command("seed_demo", "--cases", "0", "--no-support", "--no-library", stdout=StringIO())
    people = {user.username: user for user in User.objects.all()}
    admin, secretary, street = (people[n] for n in ("district", "secretary", "street"))
    community = OrgUnit.objects.get(name="柳岸社区")
    neighbour_unit = OrgUnit.objects.get(name="桂香社区")
    _finished, current = demo_periods(timezone.localdate())
    round_ = Round.objects.get(name=current.round_name)
    assert round_.state == RoundState.DRAFT

    def shot(page, step: str) -> None:
        page.screenshot(path=artefacts / f"demo-evaluation-{step}.png", full_page=True)

    # 1. The district administrator finds the draft round in the list and opens it.
    admin_context, desk = open_page(
        browser, live_server, viewport=DESKTOP, user=admin, accept_dialogs=True, timeout_ms=20_000
    )
    desk.goto(live_server.url + reverse("round_list"))
    with desk.expect_navigation():
        desk.get_by_role("link", name=round_.name, exact=True).click()
    _post(desk, "round_open", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.SELF
    assert round_.stage_deadline is not None
    assert _label(RoundState.SELF) in desk.content()
    # Every community, village, street and township of the demo district is in the round.
    evaluated = OrgUnit.objects.filter(kind__in=("community", "village", "street", "township"))
    assert RoundUnit.objects.filter(round=round_).count() == evaluated.count()
    ours = RoundUnit.objects.get(round=round_, unit=community)

    def neighbour() -> RoundUnit:
        """桂香社区 in the round, read afresh: the round's state moves under it."""
        return RoundUnit.objects.select_related("round").get(round=round_, unit=neighbour_unit)

    shot(desk, "1-opened")

    # 2. The secretary scores and explains every indicator, saves, attaches the evidence each
    #    indicator requires and submits.
    self_indicators = round_services.indicators_for(round_, ours.unit_class, "self")
    needing_evidence = [i for i in self_indicators if i["evidence_required"]]
    assert self_indicators and needing_evidence
    unit_context, unit_page = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=secretary,
        accept_dialogs=True,
        timeout_ms=20_000,
    )
    unit_page.goto(live_server.url + reverse("self_list"))
    with unit_page.expect_navigation():
        unit_page.get_by_role("link", name=round_.name, exact=True).click()
    _fill_indicators(unit_page, self_indicators, as_superior=False)
    with unit_page.expect_navigation():
        unit_page.locator('button[name="action"][value="save"]').click()
    assessment = SelfAssessment.objects.get(round_unit=ours)
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.scores.count() == len(self_indicators)
    for indicator in needing_evidence:
        code, name = indicator["code"], f"{indicator['name']}台账.pdf"
        unit_page.locator(f'input[type=file][form="evidence-{code}"]').set_input_files(
            files=[{"name": name, "mimeType": "application/pdf", "buffer": demo_pdf(code)}]
        )
        with unit_page.expect_navigation():
            unit_page.locator(f'button[form="evidence-{code}"]').click()
        assert unit_page.locator(f"#indicator-{code}").get_by_role("link", name=name).is_visible()
    shot(unit_page, "2-self")
    with unit_page.expect_navigation():
        unit_page.locator('button[name="action"][value="submit"]').click()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.submitted_by == secretary
    assert Evidence.objects.filter(score__assessment=assessment).count() == len(needing_evidence)
    assert _label(AssessmentStatus.SUBMITTED) in unit_page.content()
    _neighbour_assesses_itself(neighbour(), actor_for(people["sec-dh-gx"], neighbour_unit))

    # 3. The district moves on to the residents' stage.
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_advance", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.RESIDENTS

    # 4. The street supervisor sets the households surveyed and creates their codes ...
    street_context, street_page = open_page(
        browser, live_server, viewport=DESKTOP, user=street, accept_dialogs=True, timeout_ms=20_000
    )
    street_page.goto(live_server.url + reverse("survey_unit", args=[ours.pk]))
    households = street_page.locator(
        f'form[action="{reverse("survey_households", args=[ours.pk])}"]'
    )
    households.locator('[name="households"]').fill(str(HOUSEHOLDS))
    with street_page.expect_navigation():
        households.locator("button[type=submit]").click()
    ours.refresh_from_db()
    assert ours.households == HOUSEHOLDS
    batch_form = street_page.get_by_test_id("batch-form")
    batch_form.locator('[name="count"]').fill(str(BROWSER_RESIDENTS + MORE_RESIDENTS))
    batch_form.locator('[name="label"]').fill("柳岸花园3幢")
    with street_page.expect_navigation():
        batch_form.locator("button[type=submit]").click()
    sheet = street_page.get_by_test_id("token-sheet")
    links = [text.strip() for text in sheet.locator(".token-url").all_inner_texts()]
    assert len(links) == BROWSER_RESIDENTS + MORE_RESIDENTS
    assert sheet.locator("svg").count() == len(links)  # one QR code per household
    shot(street_page, "4-codes")

    # ... residents answer by code on their phones ...
    q = questions_by_key(round_)
    for number, link in enumerate(links[:BROWSER_RESIDENTS]):
        resident_context, resident = open_page(
            browser, live_server, viewport=PHONE, accept_dialogs=True, timeout_ms=20_000
        )
        resident.goto(link)
        resident.check(f"#q{q['overall'].pk}-{5 - number % 2}")
        resident.check(f"#q{q['raised'].pk}-0")
        resident.check(f"#q{q['solved'].pk}-0")
        for row in range(len(q["aspects"].options)):
            resident.click(f"label[for='q{q['aspects'].pk}-{row}-{5 - (row + number) % 2}']")
        assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if number == 0:
            shot(resident, "4-answer-phone")
        with resident.expect_navigation():
            resident.get_by_test_id("answer-form").locator("button[type=submit]").click()
        assert resident.url.endswith(reverse("survey_thanks"))
        assert resident.goto(link).status == 404  # a code answers once
        resident_context.close()
    for link in links[BROWSER_RESIDENTS:]:
        survey_services.survey_answer(answers=_satisfied(round_), token=link.rsplit("/", 2)[-2])
    assert SurveyResponse.objects.filter(round_unit=ours).count() == len(links)
    # ... and the neighbour's residents, less satisfied (through the services).
    _batch, tokens = survey_services.token_batch_create(
        round_unit=neighbour(), actor=actor_for(street), count=7, label="桂香苑"
    )
    for token in tokens:
        survey_services.survey_answer(answers=good_answers(round_, overall=3), token=token)

    # The response rates show the community's answers against its households.
    street_page.goto(live_server.url + reverse("survey_response_rates", args=[round_.pk]))
    rate_row = street_page.get_by_test_id("rates-table").locator("tr", has_text=community.name)
    cells = [cell.strip() for cell in rate_row.locator("td").all_inner_texts()]
    assert cells[1:5] == [str(HOUSEHOLDS), "7", "70%", "7 / 7"]

    # 5. The district moves on to the superior's assessment; the street supervisor and the
    #    district administrator each rate the community from their worklist.
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_advance", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.SUPERIOR
    superior_indicators = round_services.indicators_for(round_, ours.unit_class, "superior")
    for name, page in (("street", street_page), ("district", desk)):
        page.goto(live_server.url + reverse("rating_worklist"))
        with page.expect_navigation():
            page.locator(f'section[aria-labelledby="round-{round_.pk}"]').get_by_role(
                "link", name=community.name, exact=True
            ).click()
        _fill_indicators(page, superior_indicators, as_superior=True)
        page.fill("#comment", "实地查看了党群服务中心和走访台账，制度落实到位，群众评价好。")
        if name == "street":
            shot(page, "5-rating")
        with page.expect_navigation():
            page.locator('button[name="action"][value="submit"]').click()
    ratings = SuperiorRating.objects.filter(round_unit=ours, status=AssessmentStatus.SUBMITTED)
    assert sorted(r.rater.membership.user.username for r in ratings) == ["district", "street"]
    rated = round_services.superior_rating_save(
        actor=actor_for(street), round_unit=neighbour(), answers=_weak_answers(superior_indicators)
    )
    round_services.superior_rating_submit(actor=actor_for(street), rating=rated)
    street_context.close()

    # 6. The district closes the stage, computes and publishes: grades and ranks appear.
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_advance", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.REVIEW
    desk.goto(live_server.url + reverse("result_list", args=[round_.pk]))
    _post(desk, "result_compute", round_.pk)
    # Only the two communities were assessed: the other units have no score, and publishing
    # needs the administrator's confirmation.
    unscored = Result.objects.filter(round_unit__round=round_, composite__isnull=True).count()
    assert unscored == RoundUnit.objects.filter(round=round_).count() - 2
    desk.get_by_test_id("unscored-confirmed").check()
    with desk.expect_navigation():
        desk.get_by_test_id("publish").click()
    round_.refresh_from_db()
    assert round_.state == RoundState.PUBLISHED
    assert round_.appeal_deadline is not None
    published = AuditEntry.objects.get(
        action="evaluation.result.published", target_id=str(round_.pk)
    )
    assert published.data["unscored"] == unscored
    result = Result.objects.get(round_unit=ours)
    other = Result.objects.get(round_unit__round=round_, round_unit__unit=neighbour_unit)
    assert result.composite is not None and other.composite is not None
    assert result.composite > other.composite
    assert result.superior_score is not None and result.superior_score < 95
    assert (result.rank, other.rank, result.peers) == (1, 2, 2)
    assert result.grade in (Grade.GOOD, Grade.FAIRLY_GOOD)
    assert _label(RoundState.PUBLISHED) in desk.get_by_test_id("round-state").inner_text()
    for unit, res in ((community, result), (neighbour_unit, other)):
        row = desk.get_by_test_id(f"result-{unit.code}")
        with translation.override(LANGUAGE):
            assert row.get_by_test_id("grade").inner_text().strip() == str(GRADE_LABELS[res.grade])
        assert row.get_by_test_id("rank").inner_text().strip().startswith(f"{res.rank} / 2")
    shot(desk, "6-published")

    # 7. The secretary reads the community's report and appeals.
    report = reverse("report_unit", args=[result.pk])
    unit_page.goto(live_server.url + report)
    with translation.override(LANGUAGE):
        grade = str(GRADE_LABELS[result.grade])
    assert unit_page.get_by_test_id("grade").inner_text().strip() == grade
    assert unit_page.get_by_test_id("composite").inner_text().strip() == f"{result.composite:.2f}"
    with unit_page.expect_navigation():
        unit_page.locator(f'a[href="{reverse("appeal_file", args=[result.pk])}"]').click()
    unit_page.locator('textarea[name="grounds"]').fill(
        "本社区入户走访纸质登记表漏报，组织考评中“入户走访”一项偏低，现补充提交，请复核。"
    )
    with unit_page.expect_navigation():
        unit_page.get_by_test_id("submit-appeal").click()
    appeal = Appeal.objects.get(round_unit=ours)
    assert (appeal.status, appeal.filed_by) == (AppealStatus.PENDING, secretary)
    assert unit_page.get_by_test_id("appeal-status").inner_text().strip() == _label(
        AppealStatus.PENDING
    )
    shot(unit_page, "7-appeal")

    # 8. The district finds the appeal in its list and upholds it with a reason and a
    #    corrected superior score; the round is recomputed.
    desk.goto(live_server.url + reverse("appeal_list"))
    assert _label(AppealStatus.PENDING) in desk.get_by_test_id(f"appeal-{appeal.pk}").inner_text()
    with desk.expect_navigation():
        desk.locator(f'a[href="{reverse("appeal_detail", args=[appeal.pk])}"]').first.click()
    desk.check(f'input[name="decision"][value="{AppealStatus.UPHELD}"]')
    reason = "经街道复核纸质走访登记表，走访记录属实，组织考评得分调整为95分。"
    desk.locator('textarea[name="reason"]').fill(reason)
    desk.select_option('select[name="source"]', "superior")
    desk.fill('input[name="adjusted_score"]', "95")
    with desk.expect_navigation():
        desk.get_by_test_id("submit-decision").click()
    assert desk.get_by_test_id("appeal-status").inner_text().strip() == _label(AppealStatus.UPHELD)
    shot(desk, "8-decided")
    admin_context.close()
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decided_by, appeal.decision_reason) == (
        AppealStatus.UPHELD,
        admin,
        reason,
    )
    before = result.composite
    result.refresh_from_db()
    assert result.superior_score == 95
    assert result.details["adjustments"] == {"superior": 95.0}
    assert result.composite > before

    # 9. The secretary reads the decision and follows it to the corrected report.
    unit_page.goto(live_server.url + reverse("appeal_detail", args=[appeal.pk]))
    assert unit_page.get_by_test_id("appeal-status").inner_text().strip() == _label(
        AppealStatus.UPHELD
    )
    assert reason in unit_page.content()
    with unit_page.expect_navigation():
        unit_page.locator(f'a[href="{report}"]').click()
    assert unit_page.get_by_test_id("composite").inner_text().strip() == f"{result.composite:.2f}"
    with translation.override(LANGUAGE):
        assert unit_page.get_by_test_id("grade").inner_text().strip() == str(
            GRADE_LABELS[result.grade]
        )
    shot(unit_page, "9-report")
    unit_context.close()
