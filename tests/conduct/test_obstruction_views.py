"""The obstruction page and selectors, on cases driven through the case services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from jiceng.cases import services
from jiceng.cases.default_categories import load
from jiceng.cases.models import Category, Channel, EscalationReason, Status
from jiceng.conduct.obstruction_selectors import (
    obstruction_index,
    obstruction_index_by_unit,
    obstruction_report,
)
from jiceng.conduct.rectification_rollup import Period
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, RESIDENT, SYSTEM
from jiceng.core.errors import DomainError
from jiceng.orgs.roles import Role
from tests.factories import actor_for, make_member

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
PERIOD = Period(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def bounce(tree, actors):
    """Cases of 柳岸社区 sent to 桂香社区 and, a week later, back (approved by the street)."""
    secretary = actors[Role.BRANCH_SECRETARY]
    street = actors[Role.STREET_SUPERVISOR]
    other = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="sec-gx"))
    load(Category)  # the migration loads them; transactional tests flush them
    category = Category.objects.get(code="rubbish")

    def make(count: int = 1) -> list[int]:
        ids = []
        for number in range(count):
            with clock.at(MONDAY + timedelta(minutes=number)):
                case = services.case_submit(
                    actor=ANONYMOUS,
                    category=category,
                    area=tree.community_a1,
                    title="小区垃圾站满溢",
                    description="柳岸路88号小区垃圾站已经三天没有清运，气味很大。",
                    channel=Channel.WEB,
                )
                services.case_accept(case=case, actor=secretary)
                services.case_transfer(
                    case=case, actor=secretary, to_unit=tree.community_a2, note="不属本社区"
                )
            with clock.at(MONDAY + timedelta(days=7, minutes=number)):
                services.case_transfer(
                    case=case, actor=other, to_unit=tree.community_a1, note="属柳岸社区"
                )
                services.case_decide_transfer(case=case, actor=street, approve=True)
            ids.append(case.pk)
        return ids

    return make


def url(code: str) -> str:
    return reverse("obstruction_unit_code", args=[code]) + "?start=2026-03-01&end=2026-03-31"


class TestReport:
    def test_the_week_at_the_second_community_is_a_stall_and_the_way_back_a_bounce(
        self, tree, bounce
    ):
        [case_id] = bounce()
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            report = obstruction_report(tree.street_a, PERIOD)
        a1, a2 = tree.community_a1.pk, tree.community_a2.pk
        assert report.analysis.flows == {(a1, a2): 1, (a2, a1): 1}
        assert report.analysis.units[a2].stalled == {case_id}
        # Monday 9:00 → next Monday 9:00: five working days of 7 hours
        assert report.analysis.units[a2].dwell_hours == pytest.approx(35)
        assert report.analysis.units[a1].bounced_in == {case_id}
        assert report.analysis.bounces == {case_id: 1}
        assert {entry.stats.unit for entry in report.ranked} == {a1, a2}
        assert all(entry.index is None for entry in report.ranked)  # one case: too few

    def test_index_for_the_evaluation(self, tree, bounce):
        bounce(5)
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            index = obstruction_index(tree.community_a2, PERIOD)
            assert obstruction_index(tree.community_b1, PERIOD) is None
        # 桂香社区: all 5 stalled (0.3), mean dwell 35 h (0.2), nothing else → 50
        assert index == pytest.approx(50)

    def test_index_of_every_unit_at_once(self, tree, bounce, django_assert_max_num_queries):
        bounce(5)
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            single = obstruction_index(tree.community_a1, PERIOD)
            with django_assert_max_num_queries(1):
                figures = obstruction_index_by_unit(tree.district, PERIOD)
        assert figures[tree.community_a2.pk] == pytest.approx(50)
        assert figures[tree.community_a1.pk] == single
        assert single is not None and single > 0

    def test_a_period_longer_than_a_year_is_refused(self, tree):
        with pytest.raises(DomainError):
            obstruction_report(tree.district, Period(date(2025, 1, 1), date(2026, 3, 1)))


class TestPage:
    @pytest.mark.parametrize(
        ("role", "code", "status"),
        [
            (Role.STREET_SUPERVISOR, "QH-DH", 200),
            (Role.STREET_SUPERVISOR, "QH", 404),  # above its unit
            (Role.STREET_SUPERVISOR, "QH-SQ", 404),  # a sibling street
            (Role.STREET_SUPERVISOR, "QH-DH-LA", 404),  # not a street or district
            (Role.DISTRICT_ADMIN, "QH", 200),
            (Role.DISTRICT_ADMIN, "QH-SQ", 200),
            (Role.BRANCH_SECRETARY, "QH-DH", 404),
            (Role.BRANCH_SECRETARY, "QH-DH-LA", 404),
            (Role.COMMUNITY_STAFF, "QH-DH", 404),
            (Role.GRID_WORKER, "QH-DH", 404),
            (Role.DISCIPLINE_INSPECTOR, "QH-DH", 404),
            (Role.STREET_SUPERVISOR, "NOPE", 404),
        ],
    )
    def test_who_sees_the_page(self, client, tree, role, code, status):
        client.force_login(tree.people[role])
        assert client.get(url(code)).status_code == status

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, tree):
        assert client.get(url("QH-DH")).status_code == 302

    def test_shows_the_sankey_the_ranking_and_links_to_the_cases(self, client, tree, bounce):
        [case_id] = bounce()
        client.force_login(tree.people[Role.STREET_SUPERVISOR])
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            response = client.get(url("QH-DH"))
        assert response.status_code == 200
        chart = response.context["chart"]["sankey"]
        assert {"source": "柳岸社区 ›", "target": "› 桂香社区", "value": 1} in chart["links"]
        assert {"source": "桂香社区 ›", "target": "› 柳岸社区", "value": 1} in chart["links"]
        rows = {row["unit"].code: row for row in response.context["table"]}
        step, hours = rows["QH-DH-GX"]["slowest"]
        assert hours == pytest.approx(35)
        with translation.override("zh-hans"):
            assert step == str(Status.DISPATCHED.label)
        detail = reverse("case_detail", args=[case_id])
        assert detail in response.content.decode()
        assert b'id="obstruction-data"' in response.content

    def test_the_district_page_links_down_to_the_street(self, client, tree, bounce):
        bounce()
        client.force_login(tree.people[Role.DISTRICT_ADMIN])
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            response = client.get(url("QH"))
        street = reverse("obstruction_unit_code", args=["QH-DH"])
        assert street + "?start=2026-03-01&amp;end=2026-03-31" in response.content.decode()

    def test_own_unit_without_code(self, client, tree):
        client.force_login(tree.people[Role.STREET_SUPERVISOR])
        assert client.get(reverse("obstruction_unit")).status_code == 200

    def test_bad_period_shows_an_error_and_the_default(self, client, tree):
        client.force_login(tree.people[Role.STREET_SUPERVISOR])
        response = client.get(
            reverse("obstruction_unit_code", args=["QH-DH"]) + "?start=2024-01-01&end=2026-01-01"
        )
        assert response.status_code == 200
        assert response.context["form"].errors

    @pytest.mark.parametrize("count", [1, 6])
    def test_queries_do_not_grow_with_the_cases(
        self, client, tree, bounce, count, django_assert_max_num_queries
    ):
        bounce(count)
        client.force_login(tree.people[Role.DISTRICT_ADMIN])
        client.get(url("QH"))  # warm the session and calendar caches
        moment = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
        with django_assert_max_num_queries(12), clock.at(moment):
            assert client.get(url("QH")).status_code == 200


class TestReturnsAndEscalations:
    def test_a_return_a_reopen_and_an_escalation_through_the_services(self, tree, actors):
        secretary = actors[Role.BRANCH_SECRETARY]
        grid = actors[Role.GRID_WORKER]
        category = Category.objects.get(code="rubbish")
        with clock.at(MONDAY):
            case = services.case_submit(
                actor=ANONYMOUS,
                category=category,
                area=tree.community_a1,
                title="楼道灯坏了",
                description="柳岸路88号3单元楼道灯坏了一个星期。",
                channel=Channel.WEB,
            )
            services.case_accept(case=case, actor=secretary)
            services.case_dispatch(case=case, actor=secretary, to_unit=tree.grid_a1)
        with clock.at(MONDAY + timedelta(hours=2)):
            services.case_return(case=case, actor=grid, note="不属网格职责")
        with clock.at(MONDAY + timedelta(days=1)):
            services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
            services.case_start(case=case, actor=secretary)
            services.case_resolve(case=case, actor=secretary, body="已更换灯泡。")
        with clock.at(MONDAY + timedelta(days=2)):
            services.case_feedback(case=case, actor=RESIDENT, solved="no", satisfaction=1)
        with clock.at(MONDAY + timedelta(days=3)):
            case.refresh_from_db()
            services.case_escalate(
                case=case, actor=SYSTEM, reason=EscalationReason.values[0], deadline=clock.now()
            )
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            report = obstruction_report(tree.street_a, PERIOD)
        units = report.analysis.units
        assert units[tree.grid_a1.pk].returns == 1
        assert units[tree.community_a1.pk].bounced_in == {case.pk}  # came back after dispatch
        assert units[tree.community_a1.pk].resolved == {case.pk}
        assert units[tree.community_a1.pk].reopen_rate == 1
        assert units[tree.street_a.pk].escalations_received == 1
        assert units[tree.community_a1.pk].escalated_from == {case.pk}
        # 2 working hours at the grid (Monday 9:00–11:00)
        assert units[tree.grid_a1.pk].dwell_hours == pytest.approx(2)


class TestRanking:
    def test_sorting_and_paging(self, client, tree, bounce, monkeypatch):
        from jiceng.conduct import views_obstruction

        bounce(5)
        monkeypatch.setattr(views_obstruction, "PAGE_SIZE", 1)
        client.force_login(tree.people[Role.STREET_SUPERVISOR])
        with clock.at(datetime(2026, 3, 10, 9, 0, tzinfo=TZ)):
            first = client.get(url("QH-DH") + "&sort=index")
            second = client.get(url("QH-DH") + "&sort=index&page=2")
            by_cases = client.get(url("QH-DH") + "&sort=cases")
        [top] = first.context["table"]
        assert top["unit"].code == "QH-DH-GX"  # 桂香社区: every case stalled there
        assert top["rank"] == 1
        assert first.context["has_next"]
        [runner_up] = second.context["table"]
        assert runner_up["unit"].code == "QH-DH-LA"
        assert by_cases.status_code == 200
