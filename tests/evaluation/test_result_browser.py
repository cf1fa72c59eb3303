"""Browser journey: the district publishes, the unit reads its report on a phone and appeals,
the district dismisses the appeal (screenshots under var/artefacts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from jiceng.evaluation.models import (
    Appeal,
    AppealStatus,
    Result,
    RoundState,
    RoundUnit,
    SelfAssessment,
    SelfScore,
    SuperiorRating,
    SuperiorScore,
)
from jiceng.evaluation.result_services import results_compute, round_publish
from jiceng.evaluation.scoring import Source
from jiceng.evaluation.views_results import SOURCE_LABELS
from jiceng.orgs.roles import Role
from tests.browser import DESKTOP, PHONE, open_page
from tests.evaluation.factories import add_conduct_dimension, make_scheme
from tests.evaluation.result_fixtures import give_answers, give_ratings, give_self, review_round
from tests.factories import actor_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_publish_report_and_appeal_in_the_browser(browser, live_server, tree, artefacts):
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6), (4, 7)])
    give_answers(a, [5, 5, 4, 4])
    results_compute(round_=round_, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    result = Result.objects.get(round_unit=a)

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.DISTRICT_ADMIN]
    )
    page.goto(live_server.url + reverse("result_list", args=[round_.pk]))
    # 桂香社区 has no inputs, hence no score: publishing asks for the confirmation.
    assert page.locator('[data-testid="unscored-units"] a').inner_text().strip() == "桂香社区"
    page.locator('[data-testid="unscored-confirmed"]').check()
    page.locator('[data-testid="publish"]').click()
    page.wait_for_url(f"**{reverse('result_list', args=[round_.pk])}")
    assert page.locator('[data-testid="publish"]').count() == 0
    page.screenshot(path=str(artefacts / "evaluation-results-published.png"), full_page=True)
    context.close()
    round_.refresh_from_db()
    assert round_.state == RoundState.PUBLISHED

    context, page = open_page(
        browser, live_server, viewport=PHONE, user=tree.people[Role.BRANCH_SECRETARY]
    )
    page.goto(live_server.url + reverse("report_unit", args=[result.pk]))
    page.locator("#radar-chart svg").wait_for()
    page.locator("#peers-chart svg").wait_for()
    assert page.locator('[data-testid="composite"]').inner_text().strip() == result_composite(
        result
    )
    page.screenshot(path=str(artefacts / "evaluation-report-phone.png"), full_page=True)
    page.locator(f'a[href="{reverse("appeal_file", args=[result.pk])}"]').click()
    page.locator('textarea[name="grounds"]').fill("入户走访记录漏算了三次，附走访登记表。")
    page.locator('[data-testid="submit-appeal"]').click()
    page.locator('[data-testid="appeal-status"]').wait_for()
    context.close()
    appeal = Appeal.objects.get()
    assert appeal.status == AppealStatus.PENDING

    context, page = open_page(
        browser, live_server, viewport=DESKTOP, user=tree.people[Role.DISTRICT_ADMIN]
    )
    page.goto(live_server.url + reverse("appeal_detail", args=[appeal.pk]))
    page.locator('input[name="decision"][value="dismissed"]').check()
    page.locator('textarea[name="reason"]').fill("经核实，走访记录已全部计入。")
    page.locator('[data-testid="submit-decision"]').click()
    page.wait_for_url(f"**{reverse('appeal_detail', args=[appeal.pk])}")
    page.screenshot(path=str(artefacts / "evaluation-appeal-decided.png"), full_page=True)
    context.close()
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.DISMISSED


def result_composite(result: Result) -> str:
    return f"{result.composite:.2f}"


def test_the_report_draws_a_radar_of_the_dimensions_and_the_trend(
    browser, live_server, tree, artefacts
):
    """With three dimensions or more the first chart is a radar (fewer draw bars), and a unit
    with an earlier published round sees its trend as a line."""
    add_conduct_dimension(make_scheme(tree.district))
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
    earlier = review_round(
        tree.district, [tree.community_a1], period=(date(2025, 7, 1), date(2025, 12, 31))
    )
    give_ratings(RoundUnit.objects.get(round=earlier), tree.street_a, [(5, 10)])
    earlier.name = "2025年下半年基层服务力评价"
    earlier.save(update_fields=["name"])
    results_compute(round_=earlier, actor=admin)
    round_publish(round_=earlier, actor=admin)

    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6), (4, 7)])
    SelfScore.objects.create(
        assessment=SelfAssessment.objects.get(round_unit=a),
        indicator_code="meetings",
        points=Decimal("4"),
    )
    for rating in SuperiorRating.objects.filter(round_unit=a):
        SuperiorScore.objects.create(rating=rating, indicator_code="meetings", points=Decimal(3))
    give_answers(a, [5, 5, 4, 4])
    results_compute(round_=round_, actor=admin)
    round_publish(round_=round_, actor=admin, unscored_confirmed=1)  # 桂香社区: no inputs
    result = Result.objects.get(round_unit=a)
    assert set(result.details["dimensions"]["self"]) == {"service", "outcome", "conduct"}

    context, page = open_page(
        browser, live_server, viewport=PHONE, user=tree.people[Role.BRANCH_SECRETARY]
    )
    page.goto(live_server.url + reverse("report_unit", args=[result.pk]))
    for chart in ("radar", "peers", "trend"):
        page.locator(f"#{chart}-chart svg").wait_for()

    def drawn(chart: str) -> dict:
        return page.evaluate(
            "id => { const o = echarts.getInstanceByDom(document.getElementById(id)).getOption();"
            " return {types: o.series.map(s => s.type), data: o.series.map(s => s.data),"
            " axes: (o.radar || []).map(r => r.indicator.length),"
            " categories: (o.xAxis || []).map(x => x.data)}; }",
            f"{chart}-chart",
        )

    radar = drawn("radar")
    assert radar["types"] == ["radar"] and radar["axes"] == [3]
    # Self (服务意识 90, 群众满意 70, 服务作风 80) and superior, one polygon each.
    with translation.override("zh-hans"):
        labels = [str(SOURCE_LABELS[source]) for source in (Source.SELF, Source.SUPERIOR)]
    assert [entry["name"] for entry in radar["data"][0]] == labels
    assert radar["data"][0][0]["value"] == [90, 70, 80]
    trend = drawn("trend")
    assert trend["types"] == ["line"]
    assert trend["categories"] == [[earlier.name, round_.name]]
    for name in (earlier.name, round_.name):  # every round is named under its point
        assert page.locator("#trend-chart svg text", has_text=name).count() == 1
    before = Result.objects.get(round_unit__round=earlier)
    assert trend["data"] == [[before.composite, result.composite]]
    page.screenshot(path=str(artefacts / "evaluation-report-radar-trend.png"), full_page=True)
    context.close()
