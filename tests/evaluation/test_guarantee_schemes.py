"""Guarantee-metric keys in schemes: validation of keys, targets and floors (services and the
spreadsheet import), labels in the editor, and the pure scoring of a value."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from jiceng.core.errors import DomainError
from jiceng.evaluation import scheme_services as services
from jiceng.evaluation.models import Indicator, Scheme, ScoringRule
from jiceng.evaluation.scheme_selectors import describe_rule
from jiceng.evaluation.scheme_xlsx import scheme_import
from jiceng.evaluation.scoring import (
    CASE_METRICS,
    GUARANTEE_METRICS,
    MetricRule,
    guarantee_metric_score,
    metric_score,
    share,
)
from jiceng.evaluation.snapshot import scheme_snapshot
from jiceng.orgs.roles import Role
from tests.evaluation.test_scheme_xlsx import HEADER, _workbook
from tests.factories import actor_for

SHARES = ("venue_open", "fund_execution", "care_visits", "rectification")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def clean(metric, target, floor):
    return services.clean_rule_options(
        ScoringRule.METRIC, {"metric": metric, "target": target, "floor": floor}
    )


class TestKeys:
    def test_the_keys_are_the_case_metrics_and_the_guarantee_metrics(self):
        assert GUARANTEE_METRICS == (
            "venue_open",
            "venue_visits",
            "fund_execution",
            "staff_ratio",
            "care_visits",
            "rectification",
        )
        assert services.METRIC_KEYS == CASE_METRICS + GUARANTEE_METRICS

    @pytest.mark.parametrize("metric", SHARES)
    def test_shares_take_targets_and_floors_from_0_to_1(self, metric):
        assert clean(metric, "0.95", 0.6) == {"metric": metric, "target": 0.95, "floor": 0.6}
        assert clean(metric, 0, 1) == {"metric": metric, "target": 0.0, "floor": 1.0}
        for bad in (1.5, -0.1, "3", "many", True, None):
            with pytest.raises(DomainError, match="must be a share from 0 to 1") as caught:
                clean(metric, bad, 0.5)
            assert caught.value.field == "rule_options"

    @pytest.mark.parametrize("metric", ["staff_ratio", "venue_visits"])
    def test_the_staff_ratio_and_venue_visits_take_any_number_from_0_to_1000(self, metric):
        assert clean(metric, "3", 1) == {
            "metric": metric,
            "target": 3.0,
            "floor": 1.0,
        }
        assert clean(metric, 0.5, 1000) == {
            "metric": metric,
            "target": 0.5,
            "floor": 1000.0,
        }
        for bad in (-1, 1000.5, "nan", "many", False):
            with pytest.raises(DomainError, match="must be a number from 0 to 1,000") as caught:
                clean(metric, bad, 1)
            assert caught.value.field == "rule_options"

    def test_target_and_floor_must_still_differ(self):
        with pytest.raises(DomainError, match="must differ"):
            clean("staff_ratio", 2, 2)
        with pytest.raises(DomainError, match="must differ"):
            clean("venue_open", 0.8, 0.8)

    def test_unknown_keys_are_refused_and_the_message_lists_the_new_ones(self):
        with pytest.raises(DomainError, match="staff_ratio, care_visits, rectification"):
            clean("venue_usage", 0.9, 0.5)

    def test_a_guarantee_metric_indicator_is_scored_by_no_one_by_hand(self):
        data = services.clean_indicator(
            services.IndicatorData(
                code="g-funds",
                name="经费执行率",
                rule=ScoringRule.METRIC,
                rule_options={"metric": "fund_execution", "target": 0.9, "floor": 0.5},
                evidence_required=True,
            ),
            dimension=False,
        )
        assert (data.scored_by_self, data.scored_by_superior, data.evidence_required) == (
            False,
            False,
            False,
        )


class TestImport:
    ROWS = [
        ["", "d1", "强化服务保障", "", 100, None, None, None, None, None, None],
        [
            "d1",
            "venue",
            "阵地抽查开放率",
            "",
            1,
            10,
            "客观指标",
            "metric=venue_open; target=1; floor=0.5",
            "否",
            "否",
            "否",
        ],
        [
            "d1",
            "staff",
            "每千人工作人员",
            "",
            1,
            10,
            "客观指标",
            "metric=staff_ratio; target=3; floor=1",
            "否",
            "否",
            "否",
        ],
    ]

    def _import(self, tree, rows):
        return scheme_import(
            actor=actor_for(tree.people[Role.DISTRICT_ADMIN]),
            owner=tree.district,
            content=_workbook(rows),
            file_name="scheme.xlsx",
            family="guarantees",
            name="保障指标",
            unit_class="community",
        )

    def test_a_file_with_guarantee_metrics_imports(self, tree):
        assert len(HEADER) == len(self.ROWS[0])
        result = self._import(tree, self.ROWS)
        assert result.ok, result.errors
        indicators = scheme_snapshot(result.scheme)["dimensions"][0]["indicators"]
        assert [i["rule_options"] for i in indicators] == [
            {"metric": "venue_open", "target": 1.0, "floor": 0.5},
            {"metric": "staff_ratio", "target": 3.0, "floor": 1.0},
        ]

    def test_a_share_above_1_is_reported_with_its_row(self, tree):
        rows = [*self.ROWS]
        rows[1] = [*rows[1][:7], "metric=venue_open; target=3; floor=1", *rows[1][8:]]
        result = self._import(tree, rows)
        assert not result.ok and result.scheme is None
        report = {(e.row, e.column): e.message for e in result.errors}
        assert "must be a share from 0 to 1" in report[(3, "评分参数")]


class TestLabels:
    def test_the_editor_describes_shares_in_percent_and_the_staff_ratio_as_a_number(self):
        venue = Indicator(
            rule=ScoringRule.METRIC,
            rule_options={"metric": "venue_open", "target": 1.0, "floor": 0.5},
        )
        staff = Indicator(
            rule=ScoringRule.METRIC,
            rule_options={"metric": "staff_ratio", "target": 3.0, "floor": 1.0},
        )
        assert describe_rule(venue) == (
            "venues found open at spot checks: full points at 100%, none at 50%"
        )
        assert describe_rule(staff) == "staff per 1,000 residents: full points at 3, none at 1"
        visits = Indicator(
            rule=ScoringRule.METRIC,
            rule_options={"metric": "venue_visits", "target": 2.0, "floor": 0.5},
        )
        assert describe_rule(visits) == (
            "venue check-ins per open hour: full points at 2, none at 0.5"
        )


class TestScore:
    def test_a_value_is_scored_against_the_indicators_target_and_floor(self):
        options = {"metric": "fund_execution", "target": 0.9, "floor": 0.5}
        assert guarantee_metric_score(0.7, options) == pytest.approx(50)
        assert guarantee_metric_score(0.3, options) == 0
        assert guarantee_metric_score(1.2, options) == 100  # overspending is no extra credit
        assert guarantee_metric_score(None, options) is None
        staff = {"metric": "staff_ratio", "target": 3, "floor": 1}
        assert guarantee_metric_score(2.5, staff) == pytest.approx(75)
        assert guarantee_metric_score(0.7, options) == metric_score(0.7, MetricRule(0.9, 0.5))

    def test_options_without_numbers_are_refused(self):
        with pytest.raises(ValueError, match="numeric target and floor"):
            guarantee_metric_score(0.5, {"metric": "venue_open", "target": "0.9"})

    def test_share_is_none_without_a_denominator(self):
        assert share(2, 5) == 0.4
        assert share(0, 0) is None

    def test_the_scheme_page_says_who_scores_each_kind_of_metric(self, tree, client):
        admin = tree.people[Role.DISTRICT_ADMIN]
        services.scheme_install_defaults(actor=actor_for(admin), owner=tree.district)
        scheme = Scheme.objects.get(family="community-default")
        client.force_login(admin)
        url = reverse("scheme_detail", args=[scheme.pk])
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "venues found open at spot checks: full points at 100%, none at 50%" in page
        assert "care visits on time: full points at 95%, none at 60%" in page
        assert page.count("computed from support and rectification records") == 2
        assert "computed from case data" in page  # the case metrics of the outcomes
