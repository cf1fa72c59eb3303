"""The evaluation in one browser story, in Chinese and in English (screenshots under
var/artefacts): the district opens a round, the secretary assesses the community with evidence
on a phone, the street hands out codes that residents answer on their phones, the appointed
rater rates, the district computes and publishes, and the community's appeal is decided.

Set-up that is not part of the story (the scheme, the draft round, the rater's appointment, the
neighbouring community's inputs and a few more residents' answers) goes through the services.
Elements are found by ids, names, form actions and test ids, or by the page's own labels read
in the page's language, never by hard-coded English text.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from jiceng.core.actors import SYSTEM
from jiceng.evaluation import round_services, survey_services
from jiceng.evaluation.models import (
    Appeal,
    AppealStatus,
    AssessmentStatus,
    Evidence,
    Result,
    RoundState,
    RoundUnit,
    SelfAssessment,
    SuperiorRating,
    SurveyResponse,
)
from jiceng.evaluation.result_selectors import GRADE_LABELS
from jiceng.evaluation.round_services import IndicatorAnswer
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.evaluation.factories import make_open_round, make_scheme
from tests.evaluation.test_survey_services import good_answers, questions_by_key
from tests.factories import actor_for, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
BROWSER_RESIDENTS = 3
MORE_RESIDENTS = 4  # answered through the service, so the residents' part reaches its minimum


def _post(page, url_name: str, *args: object) -> None:
    """Press the button of the page's form posting to `url_name` and wait for the answer."""
    with page.expect_navigation():
        page.locator(f'form[action="{reverse(url_name, args=args)}"] button[type=submit]').click()


def _neighbour_assesses_itself(round_, unit) -> None:
    """The second community of the peer group assesses itself (through the services)."""
    assessment = SelfAssessment.objects.get(round_unit__round=round_, round_unit__unit=unit)
    secretary = actor_for(make_member(unit, Role.BRANCH_SECRETARY, username="sec-gx"))
    round_services.self_assessment_save(
        actor=secretary,
        assessment=assessment,
        answers={
            "duty-roster": IndicatorAnswer(items_met=(0,), explanation="只公示了值班表"),
            "visits": IndicatorAnswer(points=Decimal("2"), explanation="走访较少"),
            "complaints": IndicatorAnswer(points=Decimal("4"), explanation="两件投诉"),
        },
    )
    round_services.evidence_add(
        actor=secretary,
        assessment=assessment,
        indicator_code="duty-roster",
        upload=SimpleUploadedFile("值班表.pdf", PDF, content_type="application/pdf"),
    )
    round_services.self_assessment_submit(actor=secretary, assessment=assessment)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_round_from_opening_to_a_decided_appeal(
    browser, live_server, tree, artefacts, tmp_path, settings, language
):
    settings.MEDIA_ROOT = tmp_path
    admin = tree.people[Role.DISTRICT_ADMIN]
    secretary = tree.people[Role.BRANCH_SECRETARY]
    supervisor = tree.people[Role.STREET_SUPERVISOR]
    round_ = make_open_round(
        tree.district,
        [],
        [make_scheme(tree.district)],
        state=RoundState.DRAFT,
        name=f"2026年上半年基层服务力评价 {language}",
    )
    round_services.rater_appoint(
        actor=SYSTEM,
        round_=round_,
        membership=Membership.objects.get(user=supervisor, role=Role.STREET_SUPERVISOR),
    )
    shot = f"evaluation-journey-{language}"

    # 1. The district administrator opens the round on its page.
    admin_context, desk = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=admin,
        language=language,
        prefer_language=True,
        accept_dialogs=True,
    )
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_open", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.SELF
    ours = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    neighbour = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    desk.screenshot(path=artefacts / f"{shot}-1-opened.png", full_page=True)

    # 2. The secretary, on a phone, scores, explains, attaches evidence and submits.
    phone_context, phone = open_page(
        browser,
        live_server,
        viewport=PHONE,
        user=secretary,
        language=language,
        prefer_language=True,
        accept_dialogs=True,
    )
    phone.goto(live_server.url + reverse("self_list"))
    with phone.expect_navigation():
        phone.get_by_role("link", name=round_.name).click()
    phone.check("#items-duty-roster-0")
    phone.check("#items-duty-roster-2")
    phone.fill("#points-visits", "4")
    phone.fill("#points-complaints", "2")
    for code, text in (
        ("duty-roster", "值班表已在服务中心门口公示，来访均有登记。"),
        ("visits", "上半年入户走访三百余户次。"),
        ("complaints", "有效投诉一件，已整改。"),
    ):
        phone.fill(f"#explanation-{code}", text)
    with phone.expect_navigation():
        phone.locator('button[name="action"][value="save"]').click()
    evidence = tmp_path / "值班表.pdf"
    evidence.write_bytes(PDF)
    phone.locator('input[type=file][form="evidence-duty-roster"]').set_input_files(str(evidence))
    with phone.expect_navigation():
        phone.locator('button[form="evidence-duty-roster"]').click()
    assert phone.get_by_role("link", name="值班表.pdf").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=artefacts / f"{shot}-2-self-phone.png", full_page=True)
    with phone.expect_navigation():
        phone.locator('button[name="action"][value="submit"]').click()
    assessment = SelfAssessment.objects.get(round_unit=ours)
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert Evidence.objects.filter(score__assessment=assessment).count() == 1
    _neighbour_assesses_itself(round_, tree.community_a2)

    # 3. The district moves on to the residents' stage.
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_advance", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.RESIDENTS

    # 4. The street supervisor creates codes for the community's households ...
    street_context, street = open_page(
        browser,
        live_server,
        viewport=DESKTOP,
        user=supervisor,
        language=language,
        prefer_language=True,
        accept_dialogs=True,
    )
    street.goto(live_server.url + reverse("survey_unit", args=[ours.pk]))
    batch_form = street.get_by_test_id("batch-form")
    batch_form.locator('[name="count"]').fill(str(BROWSER_RESIDENTS + MORE_RESIDENTS))
    batch_form.locator('[name="label"]').fill("柳岸花园3幢")
    with street.expect_navigation():
        batch_form.locator("button[type=submit]").click()
    sheet = street.get_by_test_id("token-sheet")
    links = [text.strip() for text in sheet.locator(".token-url").all_inner_texts()]
    assert len(links) == BROWSER_RESIDENTS + MORE_RESIDENTS
    assert sheet.locator("svg").count() == len(links)
    street.screenshot(path=artefacts / f"{shot}-4-codes.png", full_page=True)

    # ... and residents answer by code on their phones.
    q = questions_by_key(round_)
    for number, link in enumerate(links[:BROWSER_RESIDENTS]):
        resident_context, resident = open_page(
            browser, live_server, viewport=PHONE, language=language, accept_dialogs=True
        )
        resident.goto(link)
        resident.check(f"#q{q['overall'].pk}-{5 - number % 2}")
        resident.check(f"#q{q['raised'].pk}-0")
        resident.check(f"#q{q['solved'].pk}-0")
        for row in range(len(q["aspects"].options)):
            resident.click(f"label[for='q{q['aspects'].pk}-{row}-{5 - (row + number) % 2}']")
        assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if number == 0:
            resident.screenshot(path=artefacts / f"{shot}-4-answer-phone.png", full_page=True)
        with resident.expect_navigation():
            resident.get_by_test_id("answer-form").locator("button[type=submit]").click()
        assert resident.url.endswith(reverse("survey_thanks"))
        # A code answers once: opening it again finds nothing.
        assert resident.goto(link).status == 404
        resident_context.close()
    for link in links[BROWSER_RESIDENTS:]:
        survey_services.survey_answer(answers=good_answers(round_), token=link.rsplit("/", 2)[-2])
    assert SurveyResponse.objects.filter(round_unit=ours).count() == len(links)

    # 5. The district moves on to the superior's assessment; the appointed rater rates.
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_advance", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.SUPERIOR
    street.goto(live_server.url + reverse("rating_worklist"))
    with street.expect_navigation():
        street.get_by_role("link", name=tree.community_a1.name).click()
    for index in range(3):
        street.check(f"#items-duty-roster-{index}")
    street.fill("#points-visits", "4.5")
    street.fill("#points-complaints", "2")
    street.screenshot(path=artefacts / f"{shot}-5-rating.png", full_page=True)
    with street.expect_navigation():
        street.locator('button[name="action"][value="submit"]').click()
    rating = SuperiorRating.objects.get(round_unit=ours)
    assert rating.status == AssessmentStatus.SUBMITTED
    rater = actor_for(supervisor)
    rated = round_services.superior_rating_save(
        actor=rater,
        round_unit=neighbour,
        answers={
            "duty-roster": IndicatorAnswer(items_met=(0,)),
            "visits": IndicatorAnswer(points=Decimal("2")),
            "complaints": IndicatorAnswer(points=Decimal("6")),
        },
    )
    round_services.superior_rating_submit(actor=rater, rating=rated)
    street_context.close()

    # 6. The district closes the stage, computes and publishes: grade and rank appear.
    desk.goto(live_server.url + reverse("round_detail", args=[round_.pk]))
    _post(desk, "round_advance", round_.pk)
    round_.refresh_from_db()
    assert round_.state == RoundState.REVIEW
    desk.goto(live_server.url + reverse("result_list", args=[round_.pk]))
    _post(desk, "result_compute", round_.pk)
    with desk.expect_navigation():
        desk.get_by_test_id("publish").click()
    round_.refresh_from_db()
    assert round_.state == RoundState.PUBLISHED
    result = Result.objects.get(round_unit=ours)
    assert result.composite is not None and result.rank == 1 and result.peers == 2
    with translation.override(language):
        grade = str(GRADE_LABELS[result.grade])
    row = desk.get_by_test_id(f"result-{tree.community_a1.code}")
    assert row.get_by_test_id("grade").inner_text().strip() == grade
    assert row.get_by_test_id("rank").inner_text().strip().startswith("1 / 2")
    desk.screenshot(path=artefacts / f"{shot}-6-published.png", full_page=True)

    # 7. The secretary reads the report on the phone and appeals.
    phone.goto(live_server.url + reverse("report_unit", args=[result.pk]))
    assert phone.get_by_test_id("grade").inner_text().strip() == grade
    assert phone.get_by_test_id("composite").inner_text().strip() == f"{result.composite:.2f}"
    with phone.expect_navigation():
        phone.locator(f'a[href="{reverse("appeal_file", args=[result.pk])}"]').click()
    phone.locator('textarea[name="grounds"]').fill("入户走访纸质登记表漏算，现补充提交，请复核。")
    with phone.expect_navigation():
        phone.get_by_test_id("submit-appeal").click()
    appeal = Appeal.objects.get(round_unit=ours)
    assert appeal.status == AppealStatus.PENDING
    with translation.override(language):
        assert phone.get_by_test_id("appeal-status").inner_text().strip() == str(
            AppealStatus.PENDING.label
        )
    phone.screenshot(path=artefacts / f"{shot}-7-appeal-phone.png", full_page=True)
    phone_context.close()

    # 8. The district upholds it with a corrected superior score; the result is recomputed.
    desk.goto(live_server.url + reverse("appeal_detail", args=[appeal.pk]))
    desk.check(f'input[name="decision"][value="{AppealStatus.UPHELD}"]')
    desk.locator('textarea[name="reason"]').fill("经核实纸质登记表，走访记录属实。")
    desk.select_option('select[name="source"]', "superior")
    desk.fill('input[name="adjusted_score"]', "95")
    with desk.expect_navigation():
        desk.get_by_test_id("submit-decision").click()
    with translation.override(language):
        assert desk.get_by_test_id("appeal-status").inner_text().strip() == str(
            AppealStatus.UPHELD.label
        )
    desk.screenshot(path=artefacts / f"{shot}-8-decided.png", full_page=True)
    admin_context.close()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    result.refresh_from_db()
    assert result.superior_score == 95
    assert result.details["adjustments"] == {"superior": 95.0}
