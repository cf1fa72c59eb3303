"""Result pages: who sees what when, publishing, export, appeals through the browser forms."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiceng.core.models import AuditEntry
from jiceng.evaluation import result_selectors
from jiceng.evaluation.models import (
    Appeal,
    AppealStatus,
    OpenLink,
    Result,
    RoundState,
    RoundUnit,
    SelfAssessment,
    SelfScore,
    SuperiorRating,
    SuperiorScore,
)
from jiceng.evaluation.result_services import results_compute, round_publish
from jiceng.orgs.roles import Role, UnitKind
from tests.evaluation.factories import add_conduct_dimension, make_scheme
from tests.evaluation.result_fixtures import give_answers, give_ratings, give_self, review_round
from tests.factories import actor_for, make_member, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(tree):
    round_ = review_round(tree.district, [tree.community_a1, tree.community_a2])
    a = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    b = RoundUnit.objects.get(round=round_, unit=tree.community_a2)
    give_self(a, items=3, visits=4, complaints=7)
    give_ratings(a, tree.street_a, [(3, 6)])
    give_answers(a, [5, 5, 4, 4])
    give_ratings(b, tree.street_a, [(5, 10), (5, 10), (5, 10), (5, 8), (0, 0)])
    results_compute(round_=round_, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    return round_


EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(client, user):
    client.force_login(user)
    return client


def _result(round_, unit):
    return Result.objects.get(round_unit__round=round_, round_unit__unit=unit)


def test_the_district_reviews_and_publishes(client, tree, computed):
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("result_list", args=[computed.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "78.88" in html and "96.67" in html
    assert 'data-testid="publish"' in html
    rows = [r.round_unit.unit.code for r in page.context["page"].items]
    assert rows == ["QH-DH-GX", "QH-DH-LA"]  # by rank
    # Each source's score beside the composite: self 80, residents 87.5, superior 70 → 78.88.
    la = re.search(r'<tr data-testid="result-QH-DH-LA">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="text-end[^"]*">\s*([\d.—]+)', la)
    assert cells[:4] == ["80.00", "87.50", "70.00", "78.88"]
    by_self = admin.get(reverse("result_list", args=[computed.pk]), {"sort": "self"})
    assert [r.round_unit.unit.code for r in by_self.context["page"].items] == [
        "QH-DH-LA",
        "QH-DH-GX",  # no self-assessment: last
    ]

    # Every unit has a score: no warning, no confirmation to tick.
    assert 'data-testid="unscored' not in html
    response = admin.post(reverse("result_publish", args=[computed.pk]))
    assert response.status_code == 303
    computed.refresh_from_db()
    assert computed.state == RoundState.PUBLISHED


@pytest.fixture
def with_unassessed(computed, tree):
    """`computed` plus 泉水村 (a village), which nobody assessed."""
    RoundUnit.objects.create(
        round=computed,
        unit=tree.community_b1,
        unit_class="village",
        unit_path=tree.community_b1.path,
    )
    results_compute(round_=computed, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    return computed


def test_the_review_shows_the_unscored_units_and_asks_to_confirm(client, tree, with_unassessed):
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("result_list", args=[with_unassessed.pk]), **EN)
    html = page.content.decode()
    block = re.search(r'data-testid="unscored"(.*?)</section>', html, re.S).group(1)
    assert "1 of 3 units has no score" in block
    listed = re.search(r'data-testid="unscored-units">(.*?)</ul>', block, re.S).group(1)
    assert "泉水村" in listed and "No assessment from any source" in listed
    assert "柳岸社区" not in listed and "桂香社区" not in listed
    checkbox = re.search(r'<input[^>]*data-testid="unscored-confirmed"[^>]*>', block).group(0)
    assert 'name="unscored_confirmed"' in checkbox and 'value="1"' in checkbox
    label = re.search(r"<label[^>]*>(.*?)</label>", block, re.S).group(1)
    assert label == "Publish although 1 of 3 units has no score"
    assert html.count('data-testid="publish"') == 1  # the button inside the confirmation form
    # In the table too, the village says it was not assessed, not that it had few responses.
    row = re.search(r'data-testid="result-QH-SQ-QS">(.*?)</tr>', html, re.S).group(1)
    assert "No assessment from any source" in row and "resident responses" not in row


def test_publishing_unscored_units_without_the_checkbox_changes_nothing(
    client, tree, with_unassessed
):
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    url = reverse("result_publish", args=[with_unassessed.pk])
    response = admin.post(url, follow=True, **EN)
    assert response.redirect_chain == [(reverse("result_list", args=[with_unassessed.pk]), 303)]
    assert [str(m) for m in response.context["messages"]] == [
        "1 of 3 units has no score; confirm that you want to publish the results anyway."
    ]
    with_unassessed.refresh_from_db()
    assert with_unassessed.state == RoundState.REVIEW
    assert with_unassessed.published_at is None and with_unassessed.appeal_deadline is None
    assert not AuditEntry.objects.filter(action="evaluation.result.published").exists()

    # A confirmation of another number (results computed again since) is no confirmation.
    admin.post(url, {"unscored_confirmed": "2"})
    with_unassessed.refresh_from_db()
    assert with_unassessed.state == RoundState.REVIEW
    assert admin.post(url, {"unscored_confirmed": "1"}).status_code == 303
    with_unassessed.refresh_from_db()
    assert with_unassessed.state == RoundState.PUBLISHED
    entry = AuditEntry.objects.get(action="evaluation.result.published")
    assert (entry.data["units"], entry.data["unscored"]) == (3, 1)


def test_the_unscored_list_is_capped_with_a_count(client, tree, with_unassessed, monkeypatch):
    unit = make_unit(tree.street_a, UnitKind.COMMUNITY, "新社区")
    RoundUnit.objects.create(
        round=with_unassessed, unit=unit, unit_class="community", unit_path=unit.path
    )
    results_compute(round_=with_unassessed, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    monkeypatch.setattr(result_selectors, "UNSCORED_SHOWN", 1)
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("result_list", args=[with_unassessed.pk]), **EN)
    html = page.content.decode()
    assert "2 of 4 units have no score" in html
    assert len(page.context["unscored_rows"]) == 1
    assert "and 1 more unit" in html


def test_list_report_and_export_say_an_unassessed_unit_was_not_assessed(
    client, tree, with_unassessed
):
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    village = _result(with_unassessed, tree.community_b1)
    for name in ("report_unit", "report_print"):
        text = admin.get(reverse(name, args=[village.pk]), **EN).content.decode()
        assert 'data-testid="composite">—<' in text and 'data-testid="grade">—<' in text
        assert "No assessment from any source" in text
        assert "Too few resident responses" not in text
    sheet = load_workbook(
        io.BytesIO(admin.get(reverse("result_export", args=[with_unassessed.pk]), **EN).content)
    ).active
    body = {row[0]: row for row in list(sheet.iter_rows(values_only=True))[2:]}
    village_row = body["QH-SQ-QS"]
    assert village_row[6:9] == (None, None, None)  # composite, grade, rank: none
    assert village_row[13] == "No assessment from any source"
    assert body["QH-DH-GX"][13].startswith("No resident responses")


def test_the_unit_sees_its_report_only_once_published(client, tree, computed):
    secretary = _client(client, tree.people[Role.BRANCH_SECRETARY])
    own = _result(computed, tree.community_a1)
    assert secretary.get(reverse("report_unit", args=[own.pk])).status_code == 404
    assert secretary.get(reverse("result_list", args=[computed.pk])).context["rows"] == []

    computed.state = RoundState.PUBLISHED
    computed.save()
    page = secretary.get(reverse("report_unit", args=[own.pk]))
    assert page.status_code == 200
    assert page.context["chart"]["radar"]["indicators"] == [
        {"name": "服务意识", "max": 100},
        {"name": "群众满意", "max": 100},
    ]
    # Peers appear as mean and best only, never by name.
    assert "桂香社区" not in page.content.decode()
    sibling = _result(computed, tree.community_a2)
    assert secretary.get(reverse("report_unit", args=[sibling.pk])).status_code == 404
    printable = secretary.get(reverse("report_print", args=[own.pk]))
    assert printable.status_code == 200 and b"@media print" in printable.content
    text = printable.content.decode()
    # A page of its own (no site navigation), with the grade, composite and components.
    assert "<nav" not in text and 'data-testid="composite">78.88<' in text
    components = re.search(r'data-testid="components">(.*?)</table>', text, re.S).group(1)
    assert all(value in components for value in ("80.00", "87.50", "70.00", "78.88"))


def test_the_export_holds_the_full_table(client, tree, computed):
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    response = admin.get(reverse("result_export", args=[computed.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == computed.name
    body = {row[0]: row for row in rows[2:]}
    assert set(body) == {"QH-DH-LA", "QH-DH-GX"}
    la = body["QH-DH-LA"]
    assert la[1] == "柳岸社区"
    assert la[3:10] == (80, 87.5, 70, 78.88, "较好", 2, 2)


def test_appeal_journey_through_the_forms(client, tree, computed):
    computed.state = RoundState.PUBLISHED
    computed.appeal_deadline = timezone.now() + timedelta(days=3)
    computed.save()
    own = _result(computed, tree.community_a1)

    sibling_user = make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="gx")
    sibling = _client(client, sibling_user)
    assert sibling.get(reverse("appeal_file", args=[own.pk])).status_code == 404
    client.logout()

    secretary = _client(client, tree.people[Role.BRANCH_SECRETARY])
    empty = secretary.post(reverse("appeal_file", args=[own.pk]), {"grounds": ""})
    assert empty.status_code == 400 and not Appeal.objects.exists()
    filed = secretary.post(reverse("appeal_file", args=[own.pk]), {"grounds": "走访记录漏算。"})
    assert filed.status_code == 303
    appeal = Appeal.objects.get()
    assert secretary.get(reverse("appeal_list")).context["page"].items == [appeal]
    refused = secretary.post(
        reverse("appeal_detail", args=[appeal.pk]), {"decision": "upheld", "reason": "自己批准"}
    )
    assert refused.status_code == 403
    client.logout()

    sibling = _client(client, sibling_user)
    assert sibling.get(reverse("appeal_detail", args=[appeal.pk])).status_code == 404
    client.logout()

    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    no_reason = admin.post(reverse("appeal_detail", args=[appeal.pk]), {"decision": "dismissed"})
    assert no_reason.status_code == 400
    decided = admin.post(
        reverse("appeal_detail", args=[appeal.pk]),
        {"decision": "upheld", "reason": "属实。", "source": "self", "adjusted_score": "90"},
    )
    assert decided.status_code == 303
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert _result(computed, tree.community_a1).self_score == 90.0
    # The report names the corrected source in the reader's language, not by its key.
    body = admin.get(reverse("report_unit", args=[own.pk])).content.decode()
    assert re.search(r'data-testid="corrections">[^<]*: 基层自评 = 90.00</li>', body)
    assert "self = " not in body


def test_the_result_list_costs_the_same_queries_for_more_units(client, tree, computed):
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    url = reverse("result_list", args=[computed.pk])
    admin.get(url)
    with CaptureQueriesContext(connection) as few:
        admin.get(url)
    for index in range(6):
        unit = make_unit(tree.street_a, UnitKind.COMMUNITY, f"新社区{index}")
        RoundUnit.objects.create(
            round=computed, unit=unit, unit_class="community", unit_path=unit.path
        )
    results_compute(round_=computed, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    with CaptureQueriesContext(connection) as many:
        response = admin.get(url)
    assert len(response.context["rows"]) == 8
    assert len(many) == len(few)


def test_from_above_results_are_visible_in_review_but_only_below_the_viewer(client, tree, computed):
    other = review_round(tree.district, [tree.community_b1])
    results_compute(round_=other, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    street = _client(client, tree.people[Role.STREET_SUPERVISOR])  # 东湖街道, above A1 and A2
    page = street.get(reverse("result_list", args=[computed.pk]))
    assert {row["unit"].code for row in page.context["rows"]} == {"QH-DH-LA", "QH-DH-GX"}
    assert (
        street.get(
            reverse("report_unit", args=[_result(computed, tree.community_a1).pk])
        ).status_code
        == 200
    )
    b1 = _result(other, tree.community_b1)
    assert street.get(reverse("report_unit", args=[b1.pk])).status_code == 404
    assert street.post(reverse("result_publish", args=[computed.pk])).status_code == 403
    computed.refresh_from_db()
    assert computed.state == RoundState.REVIEW


def test_the_report_shows_the_trend_over_earlier_rounds(client, tree, computed):
    from datetime import date

    earlier = review_round(
        tree.district, [tree.community_a1], period=(date(2025, 7, 1), date(2025, 12, 31))
    )
    earlier.name = "2025年下半年"
    earlier.save()
    a = RoundUnit.objects.get(round=earlier, unit=tree.community_a1)
    give_ratings(a, tree.street_a, [(5, 10)])
    results_compute(round_=earlier, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("report_unit", args=[_result(computed, tree.community_a1).pk]))
    trend = page.context["chart"]["trend"]
    assert trend["categories"] == ["2025年下半年", computed.name]
    assert trend["series"][0]["data"] == [100.0, 78.88]


def test_the_report_shows_the_answers_kept_out_with_a_flag(client, tree):
    round_ = review_round(tree.district, [tree.community_a1])
    a = RoundUnit.objects.get(round=round_)
    give_answers(a, [5, 5, 4, 4], excluded=2)
    OpenLink.objects.create(round_unit=a, slug="hall", place="党群服务中心", refused=3)
    results_compute(round_=round_, actor=actor_for(tree.people[Role.DISTRICT_ADMIN]))
    result = _result(round_, tree.community_a1)
    assert result.details["residents"]["kept_out"] == 5
    admin = _client(client, tree.people[Role.DISTRICT_ADMIN])
    page = admin.get(reverse("report_unit", args=[result.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert "Resident answers refused or excluded" in body
    assert re.search(r'data-testid="kept-out">[^<]*: 5</li>', body)


@pytest.mark.parametrize("self_scores_conduct", [True, False])
def test_the_radar_holds_only_dimensions_every_source_scored(client, tree, self_scores_conduct):
    """ECharts draws a missing radar value at the centre, like a 0: with three dimensions scored
    by both sources the chart is a radar; when the self-assessment leaves one out, two remain,
    so the page asks for bars over all three, where the missing one is a gap."""
    add_conduct_dimension(make_scheme(tree.district))
    round_ = review_round(tree.district, [tree.community_a1])
    unit = RoundUnit.objects.get(round=round_, unit=tree.community_a1)
    give_self(unit, items=3, visits=4, complaints=7)
    give_ratings(unit, tree.street_a, [(3, 6)])
    if self_scores_conduct:
        SelfScore.objects.create(
            assessment=SelfAssessment.objects.get(round_unit=unit),
            indicator_code="meetings",
            points=Decimal("4"),
        )
    for rating in SuperiorRating.objects.filter(round_unit=unit):
        SuperiorScore.objects.create(rating=rating, indicator_code="meetings", points=Decimal(3))
    give_answers(unit, [5, 5, 4, 4])
    admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
    results_compute(round_=round_, actor=admin)
    round_publish(round_=round_, actor=admin)

    secretary = _client(client, tree.people[Role.BRANCH_SECRETARY])
    page = secretary.get(reverse("report_unit", args=[_result(round_, tree.community_a1).pk]))
    radar = page.context["chart"]["radar"]
    names = [indicator["name"] for indicator in radar["indicators"]]
    self_line, superior_line = (series["data"] for series in radar["series"])
    if self_scores_conduct:
        assert radar["kind"] == "radar" and names == ["服务意识", "群众满意", "服务作风"]
        assert None not in self_line and None not in superior_line
    else:
        assert radar["kind"] == "bar" and names == ["服务意识", "群众满意", "服务作风"]
        assert self_line[2] is None and superior_line[2] is not None
