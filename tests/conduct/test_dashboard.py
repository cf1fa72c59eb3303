"""The conduct dashboard: figures per unit one level below, drill-down to the lists behind them,
misconduct counts (and nothing more) outside discipline inspection, constant queries, and who may
see which level."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiceng.cases import services as case_services
from jiceng.cases.models import EscalationReason
from jiceng.conduct import misconduct_services as svc
from jiceng.conduct.dashboard_selectors import conduct_dashboard
from jiceng.conduct.misconduct_models import MisconductKind
from jiceng.conduct.rectification_rollup import Period
from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.orgs.roles import Role, UnitKind
from tests.conduct.factories import score_reply, submit_case
from tests.factories import actor_for, make_unit

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DETAILS = "社区窗口工作人员办证时索要购物卡"
PERSON = "窗口赵某"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(code: str | None = None, **query: str) -> str:
    base = reverse("conduct_dashboard_unit", args=[code]) if code else reverse("conduct_dashboard")
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _report(tree, unit=None, kind=MisconductKind.EXTORTION):
    report, _code = svc.misconduct_file(
        kind=kind,
        unit=unit or tree.community_a1,
        person=PERSON,
        details=DETAILS,
        anonymous=True,
        passphrase="passphrase-1",
    )
    return report


@pytest.fixture
def world(tree):
    """柳岸社区: one overdue request, escalated, with a perfunctory reply of its grid among three
    scored; 桂香社区: one request still in time; a misconduct report about each of 柳岸社区 and
    its grid, and one about the street itself (for the district's inspectors)."""
    now = clock.now()
    late = submit_case(tree.community_a1, at=now - timedelta(days=20), title="垃圾站满溢")
    case_services.case_escalate(
        case=late,
        actor=SYSTEM,
        reason=EscalationReason.RESPOND_OVERDUE,
        deadline=late.respond_by,
    )
    fresh = submit_case(tree.community_a2, at=now, title="路灯不亮")
    grid_worker = tree.people[Role.GRID_WORKER]
    scored = [
        score_reply(late, tree.grid_a1, grid_worker, perfunctory=True, body="您好！已收悉。"),
        score_reply(late, tree.grid_a1, grid_worker),
        score_reply(fresh, tree.community_a2, grid_worker),
    ]
    reports = [
        _report(tree),
        _report(tree, tree.grid_a1, MisconductKind.SHIRKING),
        _report(tree, tree.street_a, MisconductKind.OTHER),
    ]
    return {"late": late, "fresh": fresh, "scored": scored, "reports": reports}


def _row(response, code: str) -> str:
    body = response.content.decode()
    match = re.search(rf'<tr data-testid="row-{code}">(.*?)</tr>', body, re.S)
    assert match is not None, code
    return match.group(1)


def _cell(row: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}">(.*?)</td>', row, re.S)
    assert match is not None, name
    return match.group(1)


def _href(html: str) -> str:
    match = re.search(r'href="([^"]+)"', html)
    assert match is not None, html
    return unescape(match.group(1))


class TestSupervisor:
    def test_figures_per_community_with_links_to_the_lists_behind_them(self, tree, world):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        page = client.get(_url(), **EN)
        assert page.status_code == 200
        la = _row(page, "QH-DH-LA")
        gx = _row(page, "QH-DH-GX")
        assert re.sub(r"<[^>]+>", "", _cell(la, "overdue")).strip() == "1"
        assert re.sub(r"<[^>]+>", "", _cell(la, "escalated")).strip() == "1"
        assert re.sub(r"<[^>]+>", "", _cell(gx, "overdue")).strip() == "0"
        assert "50%" in _cell(la, "perfunctory") and "(1/2)" in _cell(la, "perfunctory")
        assert "0%" in _cell(gx, "perfunctory") and "(0/1)" in _cell(gx, "perfunctory")

        # Each figure opens the list behind it, which holds what was counted.
        overdue = client.get(_href(_cell(la, "overdue")), **EN).content.decode()
        assert world["late"].tracking_code in overdue
        assert world["fresh"].tracking_code not in overdue
        escalated = client.get(_href(_cell(la, "escalated")), **EN).content.decode()
        assert world["late"].tracking_code in escalated
        replies = client.get(_href(_cell(la, "perfunctory")), **EN)
        assert replies.status_code == 200
        listed = replies.content.decode()
        assert f'data-testid="reply-{world["scored"][0].reply_id}"' in listed
        assert f'data-testid="reply-{world["scored"][1].reply_id}"' not in listed
        assert "acknowledgement only" in listed

    def test_the_obstruction_column_links_to_the_obstruction_page(self, tree, world):
        page = _client(tree.people[Role.STREET_SUPERVISOR]).get(_url(), **EN)
        assert "Obstruction index" in page.content.decode()
        links = page.context["rows"]
        street_page = reverse("obstruction_unit_code", args=["QH-DH"])
        assert all(item["links"]["obstruction"].startswith(street_page) for item in links)
        district = _client(tree.people[Role.DISTRICT_ADMIN]).get(_url(), **EN)
        by_code = {item["row"].unit.code: item["links"] for item in district.context["rows"]}
        assert by_code["QH-DH"]["obstruction"].startswith(
            reverse("obstruction_unit_code", args=["QH-DH"])
        )
        assert by_code["QH-DH"]["dashboard"].startswith(_url("QH-DH"))

    def test_misconduct_as_counts_only(self, tree, world):
        page = _client(tree.people[Role.STREET_SUPERVISOR]).get(_url(), **EN)
        body = page.content.decode()
        counts = page.context["misconduct"]["counts"]
        # The two reports about 柳岸社区 and its grid; not the one about the street itself.
        assert counts.total == 2 and counts.by_branch == {}
        assert counts.by_kind[MisconductKind.EXTORTION] == 1
        assert counts.by_kind[MisconductKind.SHIRKING] == 1
        assert 'data-testid="counts-only"' in body
        assert reverse("misconduct_inbox") not in body
        for secret in (DETAILS, PERSON, *(f"MR-{r.pk}" for r in world["reports"])):
            assert secret not in body
        assert 'data-testid="misconduct"' not in body  # no per-unit column

    def test_district_counts_the_street_report_too(self, tree, world):
        page = _client(tree.people[Role.DISTRICT_ADMIN]).get(_url(), **EN)
        assert page.context["misconduct"]["counts"].total == 3

    def test_a_community_sees_its_own_figures_and_no_misconduct_counts(self, tree, world):
        page = _client(tree.people[Role.BRANCH_SECRETARY]).get(_url(), **EN)
        assert page.status_code == 200
        body = page.content.decode()
        assert page.context["unit"] == tree.community_a1
        assert page.context["misconduct"] is None
        assert 'data-testid="misconduct-not-here"' in body
        assert "50%" in _cell(_row(page, "QH-DH-LA-01"), "perfunctory")
        assert "Obstruction index" not in body  # no obstruction page for a community
        for secret in (DETAILS, PERSON, "Extortion"):
            assert secret not in body

    def test_drill_down_to_a_community_and_back(self, tree, world):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        page = client.get(_url("QH-DH-LA"), **EN)
        assert page.status_code == 200
        assert page.context["misconduct"] is None  # communities: none, for anyone but inspectors
        assert page.context["up"].startswith(_url("QH-DH"))


class TestInspector:
    def test_counts_per_unit_with_drill_down_into_the_inbox(self, tree, world):
        client = _client(tree.people[Role.DISCIPLINE_INSPECTOR])
        page = client.get(_url(), **EN)
        assert page.status_code == 200
        body = page.content.decode()
        assert not page.context["board"].cases and 'data-testid="cases-not-here"' in body
        assert world["late"].tracking_code not in body
        counts = page.context["misconduct"]["counts"]
        assert counts.total == 2
        cell = _cell(_row(page, "QH-DH-LA"), "misconduct")
        assert re.sub(r"<[^>]+>", "", cell).strip() == "2"
        inbox = client.get(_href(cell), **EN).content.decode()
        assert inbox.count("data-report=") == 2
        [_label, count, link] = page.context["misconduct"]["by_kind"][1]  # shirking
        assert count == 1
        filtered = client.get(link, **EN).content.decode()
        assert filtered.count("data-report=") == 1
        assert f'data-report="{world["reports"][1].pk}"' in filtered
        [_label, count, link] = page.context["misconduct"]["by_state"][0]  # received
        assert count == 2 and client.get(link, **EN).content.decode().count("data-report=") == 2

    def test_the_district_inspector_counts_the_street_report(self, tree, world):
        from tests.factories import make_member

        district_inspector = make_member(
            tree.district, Role.DISCIPLINE_INSPECTOR, username="insp-qh"
        )
        page = _client(district_inspector).get(_url(), **EN)
        cell = _cell(_row(page, "QH-DH"), "misconduct")
        assert re.sub(r"<[^>]+>", "", cell).strip() == "3"


class TestPeriodAndEmpty:
    def test_empty_state(self, tree):
        page = _client(tree.people[Role.STREET_SUPERVISOR]).get(_url(), **EN)
        body = page.content.decode()
        assert page.status_code == 200
        assert 'data-testid="no-misconduct"' in body
        assert "No scored replies in this period." in body

    def test_units_without_children(self, tree):
        lonely = make_unit(tree.street_b, UnitKind.VILLAGE, "空村", code="QH-SQ-KC")
        page = _client(tree.people[Role.DISTRICT_ADMIN]).get(_url(lonely.code), **EN)
        assert page.status_code == 200
        assert 'data-testid="no-units"' in page.content.decode()

    def test_a_bad_period_shows_an_error_and_the_default(self, tree):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        for query in (
            {"start": "2024-01-01", "end": "2026-01-01"},
            {"start": "2026-03-01", "end": "2026-02-01"},
            {"start": "not-a-date", "end": "2026-02-01"},
        ):
            page = client.get(_url(**query), **EN)
            assert page.status_code == 200
            assert page.context["form"].errors
            assert page.context["period"].end == timezone.localdate()

    def test_an_earlier_period_leaves_out_later_escalations_and_reports(self, tree, world):
        today = timezone.localdate()
        old = Period(today - timedelta(days=200), today - timedelta(days=100))
        street = actor_for(tree.people[Role.STREET_SUPERVISOR])
        board = conduct_dashboard(actor=street, unit=tree.street_a, period=old)
        assert board.total.escalated == 0 and board.total.scored == 0
        assert board.misconduct is not None and board.misconduct.total == 0
        assert board.total.overdue == 1  # overdue is "now", whatever the period


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        (Role.STREET_SUPERVISOR, None, 200),
        (Role.STREET_SUPERVISOR, "QH-DH-LA", 200),
        (Role.STREET_SUPERVISOR, "QH-DH-LA-01", 404),  # a grid has no dashboard
        (Role.STREET_SUPERVISOR, "QH-SQ", 404),  # a sibling street
        (Role.STREET_SUPERVISOR, "QH", 404),  # above
        (Role.DISTRICT_ADMIN, None, 200),
        (Role.DISTRICT_ADMIN, "QH-SQ", 200),
        (Role.DISTRICT_ADMIN, "QH-DH-LA", 200),
        (Role.BRANCH_SECRETARY, None, 200),
        (Role.BRANCH_SECRETARY, "QH-DH", 404),
        (Role.BRANCH_SECRETARY, "QH-DH-GX", 404),
        (Role.DISCIPLINE_INSPECTOR, None, 200),
        (Role.DISCIPLINE_INSPECTOR, "QH-DH-LA", 200),
        (Role.DISCIPLINE_INSPECTOR, "QH-SQ", 404),
        (Role.COMMUNITY_STAFF, None, 404),
        (Role.COMMUNITY_STAFF, "QH-DH-LA", 404),
        (Role.GRID_WORKER, None, 404),
        (Role.SYSTEM_ADMIN, None, 404),
        (Role.SYSTEM_ADMIN, "QH", 404),
        (Role.STREET_SUPERVISOR, "NOPE", 404),
        (Role.STREET_SUPERVISOR, "x" * 40, 404),
    ],
)
def test_who_sees_which_dashboard(tree, world, role, code, status):
    page = _client(tree.people[role]).get(_url(code), **EN)
    assert page.status_code == status
    if status == 200:
        body = page.content.decode()
        for secret in (DETAILS, PERSON):
            assert secret not in body


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        (Role.STREET_SUPERVISOR, "QH-DH", 200),
        (Role.STREET_SUPERVISOR, "QH-DH-LA", 200),
        (Role.STREET_SUPERVISOR, "QH-SQ", 404),
        (Role.BRANCH_SECRETARY, "QH-DH-LA", 200),
        (Role.BRANCH_SECRETARY, "QH-DH", 404),
        (Role.DISTRICT_ADMIN, "QH", 200),
        (Role.DISCIPLINE_INSPECTOR, "QH-DH", 404),  # no request figures for inspectors
        (Role.COMMUNITY_STAFF, "QH-DH-LA", 404),
        (Role.GRID_WORKER, "QH-DH-LA", 404),
        (Role.SYSTEM_ADMIN, "QH", 404),
    ],
)
def test_who_sees_the_perfunctory_replies(tree, world, role, code, status):
    page = _client(tree.people[role]).get(reverse("conduct_perfunctory", args=[code]), **EN)
    assert page.status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, tree):
    assert client.get(_url()).status_code == 302


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.STREET_SUPERVISOR, True),
        (Role.DISTRICT_ADMIN, True),
        (Role.BRANCH_SECRETARY, True),
        (Role.DISCIPLINE_INSPECTOR, True),
        (Role.COMMUNITY_STAFF, False),
        (Role.GRID_WORKER, False),
        (Role.SYSTEM_ADMIN, False),
    ],
)
def test_the_staff_menu_links_the_dashboard_where_it_opens(tree, role, shown):
    body = _client(tree.people[role]).get(reverse("staff_home"), **EN).content.decode()
    assert ('data-testid="nav-conduct-dashboard"' in body) is shown


@pytest.mark.parametrize("role", [Role.STREET_SUPERVISOR, Role.DISCIPLINE_INSPECTOR])
def test_queries_do_not_grow_with_units_cases_replies_or_reports(tree, world, role):
    client = _client(tree.people[role])
    client.get(_url(), **EN)  # warm the session and calendar caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(_url(), **EN).status_code == 200
    now = clock.now()
    secretary = tree.people[Role.BRANCH_SECRETARY]
    for number in range(4):
        unit = make_unit(tree.street_a, UnitKind.COMMUNITY, f"新社区{number}")
        case = submit_case(unit, at=now - timedelta(days=15), title=f"事项{number}")
        score_reply(case, unit, secretary, perfunctory=bool(number % 2))
        _report(tree, unit)
    with CaptureQueriesContext(connection) as many:
        page = client.get(_url(), **EN)
    assert page.content.decode().count('<tr data-testid="row-') >= 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_query_budget(tree, world, django_assert_max_num_queries):
    client = _client(tree.people[Role.DISTRICT_ADMIN])
    client.get(_url(), **EN)
    with django_assert_max_num_queries(10):  # session, user, posts, 6 reads, unread count
        assert client.get(_url(), **EN).status_code == 200
