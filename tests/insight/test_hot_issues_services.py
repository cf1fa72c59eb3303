"""Hot issues in the database: the placing job, rebuild, pages per role, adoption."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from jiceng.cases import services
from jiceng.cases.default_categories import load
from jiceng.cases.models import Category, Channel
from jiceng.conduct.models import RectificationItem
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.core.errors import Conflict, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.insight.duplicate_services import case_support_add, support_token
from jiceng.insight.hot_services import (
    hot_issues_assign,
    hot_issues_rebuild,
    issue_of_month_adopt,
)
from jiceng.insight.hot_support import support_counts
from jiceng.insight.models_hot import HotIssue, HotIssueCase, IssueOfMonth
from jiceng.orgs.roles import Role
from tests.factories import actor_for

TZ = ZoneInfo("Asia/Shanghai")
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
RUBBISH = [
    ("柳岸路垃圾站满溢没人清运", "柳岸路88号小区垃圾站已经三天没有清运，气味很大。"),
    ("柳岸路小区垃圾站三天没清运", "垃圾站满了，臭味很大，柳岸路小区居民希望尽快清运。"),
    ("小区垃圾站满溢气味大", "柳岸路的垃圾站堆满了垃圾，好几天没有清运。"),
]
NOISE = ("夜间施工噪音扰民", "湖滨路工地晚上十二点还在施工，噪音很大，无法休息。")


@pytest.fixture
def actors(tree):
    return {role: actor_for(user) for role, user in tree.people.items()}


@pytest.fixture
def cases(tree):
    """Three rubbish reports in 东湖街道 (two communities, one resident twice), one noise report
    in 东湖街道 and one rubbish report in 石泉镇, all in March 2026."""
    load(Category)
    category = Category.objects.get(code="rubbish")
    plan = [
        (tree.community_a1, *RUBBISH[0], "13800000001"),
        (tree.community_a2, *RUBBISH[1], "13800000002"),
        (tree.community_a1, *RUBBISH[2], "138 0000 0001"),
        (tree.community_a1, *NOISE, ""),
        (tree.community_b1, *RUBBISH[0], ""),
    ]
    made = []
    for n, (area, title, body, phone) in enumerate(plan):
        with clock.at(MARCH + timedelta(hours=n)):
            made.append(
                services.case_submit(
                    actor=ANONYMOUS,
                    category=category,
                    area=area,
                    title=title,
                    description=body,
                    channel=Channel.WEB,
                    reporter_phone=phone,
                )
            )
    return made


@pytest.fixture
def placed(cases):
    with clock.at(MARCH + timedelta(days=1)):
        assert hot_issues_assign(actor=SYSTEM) == len(cases)
    return cases


def issue_of(case) -> HotIssue:
    return HotIssue.objects.get(members__case=case)


class TestJob:
    def test_groups_by_text_and_street(self, placed, tree):
        rubbish = issue_of(placed[0])
        assert issue_of(placed[1]) == rubbish == issue_of(placed[2])
        assert issue_of(placed[3]) != rubbish
        assert issue_of(placed[4]) != rubbish  # same words, other street
        assert issue_of(placed[4]).unit == tree.street_b
        assert rubbish.unit == tree.street_a
        assert rubbish.month.isoformat() == "2026-03-01"
        assert (rubbish.case_count, rubbish.resident_count, rubbish.community_count) == (3, 2, 2)
        assert rubbish.daily == {"2026-03-02": 3}
        assert rubbish.title in {t for t, _ in RUBBISH}
        assert HotIssue.objects.count() == 3

    def test_idempotent_and_incremental(self, placed, tree):
        with clock.at(MARCH + timedelta(days=2)):
            assert hot_issues_assign(actor=SYSTEM) == 0
        assert HotIssueCase.objects.count() == 5
        load(Category)
        with clock.at(MARCH + timedelta(days=3)):
            late = services.case_submit(
                actor=ANONYMOUS,
                category=Category.objects.get(code="rubbish"),
                area=tree.community_a2,
                title="垃圾站满溢好几天没清运",
                description="柳岸路小区垃圾站满溢，好几天没有清运。",
                channel=Channel.WEB,
            )
            assert hot_issues_assign(actor=SYSTEM) == 1
        rubbish = issue_of(placed[0])
        assert issue_of(late) == rubbish
        assert rubbish.case_count == 4 and rubbish.resident_count == 3

    def test_support_from_merged_requests(self, placed, actors):
        secretary = actors[Role.BRANCH_SECRETARY]
        services.case_accept(case=placed[0], actor=secretary)
        services.case_accept(case=placed[2], actor=secretary)
        services.case_merge(case=placed[2], actor=secretary, into=placed[0])
        hot_issues_rebuild(actor=SYSTEM, month=MARCH.date())
        assert issue_of(placed[0]).support_count == 1

    def test_me_too_and_merged_requests_both_count_as_support(self, placed, actors):
        secretary = actors[Role.BRANCH_SECRETARY]
        for identity in ("10.0.0.1|phone", "10.0.0.2|tablet"):
            case_support_add(token=support_token(placed[0].pk), identity=identity)
        services.case_accept(case=placed[0], actor=secretary)
        services.case_accept(case=placed[2], actor=secretary)
        services.case_merge(case=placed[2], actor=secretary, into=placed[0])
        assert support_counts([placed[0].pk, placed[1].pk]) == {placed[0].pk: 3}
        hot_issues_rebuild(actor=SYSTEM, month=MARCH.date())
        assert issue_of(placed[0]).support_count == 3

    def test_rebuild_gives_the_same_grouping_and_keeps_adopted_issues(self, placed, actors):
        before = {c.pk: issue_of(c).title for c in placed}
        with clock.at(MARCH + timedelta(days=1)):
            adoption = issue_of_month_adopt(
                actor=actors[Role.STREET_SUPERVISOR], issue=issue_of(placed[0])
            )
        assert hot_issues_rebuild(actor=SYSTEM, month=MARCH.date()) == 5
        assert {c.pk: issue_of(c).title for c in placed} == before
        assert issue_of(placed[0]).pk == adoption.issue_id
        assert AuditEntry.objects.filter(action="insight.hot_issues.rebuilt").count() == 1

    def test_only_the_system_places(self, cases, actors):
        with pytest.raises(Forbidden):
            hot_issues_assign(actor=actors[Role.DISTRICT_ADMIN])


class TestAdoption:
    def test_street_supervisor_adopts_once_a_month(self, placed, actors, tree):
        supervisor = actors[Role.STREET_SUPERVISOR]
        rubbish, noise = issue_of(placed[0]), issue_of(placed[3])
        with clock.at(MARCH + timedelta(days=1)):
            adoption = issue_of_month_adopt(actor=supervisor, issue=rubbish, note="现场处理")
        item = RectificationItem.objects.get(pk=adoption.rectification_id)
        assert item.unit == tree.street_a
        assert (item.source_kind, item.source_id) == ("insight.hot_issue", rubbish.pk)
        assert item.description == "现场处理"
        assert AuditEntry.objects.filter(action="insight.issue_of_month.adopted").exists()
        with pytest.raises(Conflict):
            issue_of_month_adopt(actor=supervisor, issue=rubbish)
        with pytest.raises(Conflict):
            issue_of_month_adopt(actor=supervisor, issue=noise)
        assert IssueOfMonth.objects.count() == 1

    @pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.BRANCH_SECRETARY, Role.GRID_WORKER])
    def test_others_cannot_adopt(self, placed, actors, role):
        with pytest.raises(Forbidden):
            issue_of_month_adopt(actor=actors[role], issue=issue_of(placed[0]))
        assert not IssueOfMonth.objects.exists()
        assert not RectificationItem.objects.exists()

    def test_other_street_cannot_adopt(self, placed, tree):
        from tests.factories import make_member

        other = actor_for(make_member(tree.street_b, Role.STREET_SUPERVISOR, username="sq-sup"))
        with pytest.raises(Forbidden):
            issue_of_month_adopt(actor=other, issue=issue_of(placed[0]))


class TestPages:
    def login(self, client, tree, role):
        client.force_login(tree.people[role])

    @pytest.mark.parametrize(
        ("role", "sees"),
        [
            (Role.DISTRICT_ADMIN, {0, 3, 4}),
            (Role.STREET_SUPERVISOR, {0, 3}),
            (Role.BRANCH_SECRETARY, {0, 3}),  # 柳岸社区 has cases in both issues of its street
            (Role.GRID_WORKER, {0, 3}),
            (Role.DISCIPLINE_INSPECTOR, None),
            (Role.SYSTEM_ADMIN, None),
        ],
    )
    def test_list_per_role(self, client, tree, placed, role, sees):
        self.login(client, tree, role)
        with clock.at(MARCH + timedelta(days=1)):
            response = client.get(reverse("hot_issue_list"), {"month": "2026-03"})
        if sees is None:
            assert response.status_code == 404
            return
        assert response.status_code == 200
        shown = {row.issue.pk for row in response.context["rows"]}
        assert shown == {issue_of(placed[i]).pk for i in sees}

    def test_community_sees_only_issues_with_its_cases(self, client, tree, placed):
        self.login(client, tree, Role.DISTRICT_ADMIN)
        response = client.get(
            reverse("hot_issue_list_unit", args=[tree.community_a2.code]), {"month": "2026-03"}
        )
        assert {r.issue.pk for r in response.context["rows"]} == {issue_of(placed[1]).pk}

    def test_sibling_detail_is_404(self, client, tree, placed):
        self.login(client, tree, Role.STREET_SUPERVISOR)
        other = issue_of(placed[4])
        assert client.get(reverse("hot_issue_detail", args=[other.pk])).status_code == 404
        assert client.get(reverse("hot_issue_detail", args=[999999])).status_code == 404
        url = reverse("hot_issue_list_unit", args=[tree.street_b.code])
        assert client.get(url).status_code == 404

    def test_bad_month_is_a_clear_error(self, client, tree, placed):
        self.login(client, tree, Role.DISTRICT_ADMIN)
        response = client.get(reverse("hot_issue_list"), {"month": "2026-13"})
        assert response.status_code == 200
        assert "YYYY-MM" in response.content.decode()

    def test_list_query_count_does_not_grow(
        self, client, tree, placed, django_assert_max_num_queries
    ):
        self.login(client, tree, Role.DISTRICT_ADMIN)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("hot_issue_list"), {"month": "2026-03"})
        assert len(response.context["rows"]) == 3

    def test_adopt_through_the_page(self, client, tree, placed):
        self.login(client, tree, Role.STREET_SUPERVISOR)
        issue = issue_of(placed[0])
        detail = client.get(reverse("hot_issue_detail", args=[issue.pk]))
        assert detail.context["may_adopt"]
        assert len(detail.context["page"].items) == 3
        response = client.post(reverse("hot_issue_adopt", args=[issue.pk]), {"note": "现场处理"})
        assert response.status_code == 302
        assert IssueOfMonth.objects.get().issue == issue
        again = client.post(reverse("hot_issue_adopt", args=[issue.pk]), {"note": ""})
        assert again.status_code == 400
        listing = client.get(reverse("hot_issue_list"), {"month": "2026-03"})
        assert [a.issue for a in listing.context["adoptions"]] == [issue]

    def test_adopt_refused_for_district(self, client, tree, placed):
        self.login(client, tree, Role.DISTRICT_ADMIN)
        issue = issue_of(placed[0])
        assert not client.get(reverse("hot_issue_detail", args=[issue.pk])).context["may_adopt"]
        response = client.post(reverse("hot_issue_adopt", args=[issue.pk]), {"note": "x" * 3000})
        assert response.status_code in (400, 403)
        assert not IssueOfMonth.objects.exists()


def test_detail_query_count_does_not_grow_with_members(
    client, tree, placed, django_assert_max_num_queries
):
    client.force_login(tree.people[Role.DISTRICT_ADMIN])
    issue = issue_of(placed[0])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("hot_issue_detail", args=[issue.pk]))
    assert len(response.context["page"].items) == 3


def test_case_dashboard_links_to_hot_issues(client, tree, placed):
    client.force_login(tree.people[Role.STREET_SUPERVISOR])
    response = client.get(reverse("case_dashboard"))
    assert reverse("hot_issue_list_unit", args=[tree.street_a.code]) in response.content.decode()


def test_rebuild_command_refuses_bad_month(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="2026-03"):
        call_command("hot_issues_rebuild", "--month", "March")
    with pytest.raises(CommandError):
        call_command("hot_issues_rebuild")
