"""The case-rate dashboard through the test client: figures, scope, bad input, cost."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.cases.rates import Month
from jiceng.cases.views_dashboard import UNIT_CODE
from jiceng.orgs.models import unit_code_validator
from jiceng.orgs.roles import Role
from tests.cases.test_rate_selectors import (
    _answer,
    _resolve_here,
    _submit,
    at,
    build_march,
    desk,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.urls("tests.cases.dashboard_urls")

URL = "/staff/cases/dashboard/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture
def march(tree, submit, desk):  # noqa: F811
    return build_march(tree, submit, desk)


def _client(tree, role: str) -> Client:
    client = Client()
    client.force_login(tree.people[role])
    return client


def _data(page: str) -> dict:
    match = re.search(
        r'<script id="dashboard-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


def _this_month() -> str:
    return str(Month.of(timezone.now()))


class TestFigures:
    def test_street_supervisor_sees_cards_trend_and_children(self, tree, march):
        response = _client(tree, Role.STREET_SUPERVISOR).get(URL, {"month": "2025-03"}, **EN)
        assert response.status_code == 200
        page = response.content.decode()
        # Cards: the figures of test_rate_selectors, with numerator and denominator.
        assert re.search(r'data-testid="value-response">\s*77\.8%', page)  # 7 of 9
        assert re.search(r'data-testid="basis-response">\s*7 of 9', page)
        assert re.search(r'data-testid="value-handling">\s*36\.5 h', page)
        assert re.search(r'data-testid="value-no_feedback">\s*40\.0%', page)  # 2 of 5
        # Trend: twelve months up to March 2025, the same numbers in the chart data.
        data = _data(page)
        assert data["trend"]["categories"][0] == "2024-04"
        assert data["trend"]["categories"][-1] == "2025-03"
        series = {s["key"]: s["data"] for s in data["trend"]["series"]}
        assert series["response"][-1] == 77.8
        assert series["on_time"][-1] == 83.3  # 5 of 6
        assert series["response"][0] is None  # nothing in April 2024: null, not 0
        # Comparison: the street itself, then its two communities.
        assert data["comparison"]["categories"] == ["东湖街道 (itself)", "柳岸社区", "桂香社区"]
        comparison = {s["key"]: s["data"] for s in data["comparison"]["series"]}
        assert comparison["response"] == [100.0, 71.4, 100.0]  # 1/1, 5/7, 1/1
        assert comparison["resolution"] == [100.0, 66.7, None]  # 1/1, 2/3, no answers
        # The accessible tables carry the same numbers.
        assert "(5/7)" in page and 'data-testid="own-row"' in page
        assert 'data-testid="peer-QH-DH-GX"' in page
        assert "vendor/echarts/echarts.min.js" in page and "js/dashboard.js" in page

    def test_community_secretary_sees_the_community_and_its_grid(self, tree, march):
        response = _client(tree, Role.BRANCH_SECRETARY).get(URL, {"month": "2025-03"}, **ZH)
        assert response.status_code == 200
        page = response.content.decode()
        assert "柳岸社区" in page and 'data-testid="peer-QH-DH-LA-01"' in page
        data = _data(page)
        series = {s["key"]: s["data"] for s in data["trend"]["series"]}
        assert series["response"][-1] == 71.4  # 5 of 7
        assert "桂香社区" not in page  # the sibling community stays out of sight

    def test_drilling_down_to_a_unit_below(self, tree, march):
        client = _client(tree, Role.STREET_SUPERVISOR)
        page = client.get(URL, {"unit": "QH-DH-GX", "month": "2025-03"}, **EN).content.decode()
        # A community without grids, compared with the other community of the street.
        assert 'data-testid="peer-QH-DH-LA"' in page and 'data-testid="peer-QH-DH-GX"' in page
        assert "?unit=QH-DH&amp;month=2025-03" in page  # breadcrumb back up
        assert 'name="unit" value="QH-DH-GX"' in page  # the month picker keeps the unit
        by_path = client.get(URL + "QH-DH-GX/", {"month": "2025-03"}, **EN)
        assert by_path.status_code == 200

    def test_a_month_without_cases_shows_dashes(self, tree):
        page = _client(tree, Role.GRID_WORKER).get(URL, **EN).content.decode()
        assert re.search(r'data-testid="value-response">\s*<span aria-hidden="true">—', page)
        assert f'value="{_this_month()}"' in page


class TestBadInput:
    @pytest.mark.parametrize(
        "month", ["2025-13", "2025-3", "abc", "2025-03-01", "\x00", "１２３４-０１", "x" * 500]
    )
    def test_a_malformed_month_falls_back_to_the_current_one(self, tree, month):
        response = _client(tree, Role.STREET_SUPERVISOR).get(URL, {"month": month}, **EN)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Enter the month as YYYY-MM" in page
        assert f'value="{_this_month()}"' in page

    def test_future_and_ancient_months_fall_back_too(self, tree):
        client = _client(tree, Role.STREET_SUPERVISOR)
        future = client.get(URL, {"month": "2999-01"}, **EN).content.decode()
        assert "That month has not come yet" in future
        ancient = client.get(URL, {"month": "1999-12"}, **EN).content.decode()
        assert "There are no figures before 2000-01" in ancient
        assert f'value="{_this_month()}"' in ancient

    @pytest.mark.parametrize("code", ["NOPE", "QH-DH-GX", "QH", "QH-SQ", "x" * 40, "a\x00b", "-"])
    def test_units_outside_the_subtree_are_not_found(self, tree, code):
        client = _client(tree, Role.BRANCH_SECRETARY)  # 柳岸社区 (QH-DH-LA)
        assert client.get(URL, {"unit": code}).status_code == 404

    def test_the_code_check_accepts_what_unit_codes_allow(self, tree):
        assert unit_code_validator.regex.pattern == f"^{UNIT_CODE.pattern}$"

    def test_post_is_not_allowed(self, tree):
        assert _client(tree, Role.STREET_SUPERVISOR).post(URL).status_code == 405


class TestAccess:
    @pytest.mark.parametrize(
        "role",
        [
            Role.GRID_WORKER,
            Role.COMMUNITY_STAFF,
            Role.BRANCH_SECRETARY,
            Role.STREET_SUPERVISOR,
            Role.DISTRICT_ADMIN,
        ],
    )
    def test_case_staff_may_look(self, tree, role):
        assert _client(tree, role).get(URL).status_code == 200

    @pytest.mark.parametrize("role", [Role.DISCIPLINE_INSPECTOR, Role.SYSTEM_ADMIN])
    def test_roles_without_case_capabilities_are_refused(self, tree, role):
        assert _client(tree, role).get(URL).status_code == 403

    def test_anonymous_visitors_are_sent_to_sign_in(self, db):
        response = Client().get(URL)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestCost:
    def test_query_count_does_not_grow_with_the_cases(self, tree, submit, desk):  # noqa: F811
        client = _client(tree, Role.STREET_SUPERVISOR)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(URL, {"month": "2025-03"}).status_code == 200
            return len(queries)

        count()  # warm the session and the caches
        empty = count()
        build_march(tree, submit, desk)
        some = count()
        for day in (3, 4, 5, 6, 7):
            case = _submit(submit, at(3, day, 14))
            _resolve_here(case, desk.a1, at(3, day, 15), at(3, day, 16))
            _answer(case, at(3, day, 17), "yes", 4)
        more = count()
        assert empty == some == more
