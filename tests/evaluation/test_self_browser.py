"""Browser journey: a secretary fills in and submits a self-assessment with evidence on a phone,
the street returns it, the secretary corrects it; later a rater rates the unit."""

from __future__ import annotations

import pytest

from jiceng.core.actors import SYSTEM
from jiceng.evaluation import round_services as services
from jiceng.evaluation.models import AssessmentStatus, SelfAssessment, SuperiorRating
from jiceng.orgs.models import Membership
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.evaluation.factories import make_open_round, make_scheme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_self_assessment_returned_corrected_then_rated(
    browser, live_server, tree, artefacts, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    user = tree.people[Role.BRANCH_SECRETARY]
    user.preferred_language = "en"
    user.save()
    round_ = make_open_round(tree.district, [tree.community_a1], [make_scheme(tree.district)])
    assessment = SelfAssessment.objects.get(round_unit__round=round_)

    # 1. The secretary, on a phone, scores every indicator, attaches evidence and submits.
    context, page = open_page(
        browser, live_server, viewport=PHONE, user=user, language="en", accept_dialogs=True
    )
    page.goto(f"{live_server.url}/evaluation/self/")
    with page.expect_navigation():
        page.get_by_role("link", name=round_.name).click()
    page.get_by_label("公示值班表").check()
    page.get_by_label("登记来访").check()
    page.fill("#points-visits", "4")
    page.fill("#points-complaints", "2")
    for code, text in (("duty-roster", "值班表已公示"), ("visits", "走访"), ("complaints", "一件")):
        page.fill(f"#explanation-{code}", text)
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    evidence = tmp_path / "值班表.pdf"
    evidence.write_bytes(PDF)
    page.locator('input[type=file][form="evidence-duty-roster"]').set_input_files(str(evidence))
    with page.expect_navigation():
        page.locator('button[form="evidence-duty-roster"]').click()
    assert page.get_by_role("link", name="值班表.pdf").is_visible()
    assert page.locator("#points-visits").input_value() == "4.00"
    page.screenshot(path=artefacts / "self-assessment-phone.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Save and submit").click()
    assert page.get_by_text("Only the superior can return it").is_visible()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    context.close()

    # 2. The street supervisor returns it with a reason.
    supervisor = tree.people[Role.STREET_SUPERVISOR]
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=supervisor, language="en", accept_dialogs=True
    )
    page.goto(f"{live_server.url}/evaluation/self/{assessment.round_unit_id}/review/")
    page.fill("#id_reason", "走访记录请补充附件。")
    with page.expect_navigation():
        page.get_by_role("button", name="Return for correction").click()
    context.close()

    # 3. The secretary sees why, corrects and submits again.
    context, page = open_page(
        browser, live_server, viewport=PHONE, user=user, language="en", accept_dialogs=True
    )
    page.goto(f"{live_server.url}/evaluation/self/{assessment.round_unit_id}/")
    assert page.get_by_text("走访记录请补充附件。").is_visible()
    page.fill("#points-visits", "3")
    with page.expect_navigation():
        page.get_by_role("button", name="Save and submit").click()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    assert assessment.scores.get(indicator_code="visits").points == 3
    context.close()

    # 4. In the superior stage an appointed rater rates the community.
    services.round_advance(actor=SYSTEM, round_=round_)
    services.round_advance(actor=SYSTEM, round_=round_)
    services.rater_appoint(
        actor=SYSTEM, round_=round_, membership=Membership.objects.get(user=supervisor)
    )
    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=supervisor, language="en", accept_dialogs=True
    )
    page.goto(f"{live_server.url}/evaluation/ratings/")
    with page.expect_navigation():
        page.get_by_role("link", name="柳岸社区").click()
    for item in ("公示值班表", "按时开门", "登记来访"):
        page.get_by_label(item).check()
    page.fill("#points-visits", "5")
    page.fill("#points-complaints", "0")
    page.screenshot(path=artefacts / "rating-form.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Submit").click()
    rating = SuperiorRating.objects.get()
    assert rating.status == AssessmentStatus.SUBMITTED
    context.close()
