"""Reply quality as a case metric that evaluation schemes can choose (docs/SCORING.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiceng.cases import services
from jiceng.cases.models import Category, Channel
from jiceng.conduct.reply_quality_models import ReplyScore
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS
from jiceng.evaluation.case_metrics import case_tallies
from jiceng.evaluation.models import Indicator, RoundState, RoundUnit, ScoringRule, UnitClass
from jiceng.evaluation.result_services import class_configs
from jiceng.evaluation.scheme_services import METRIC_KEYS
from jiceng.evaluation.scoring import (
    CaseTally,
    MetricRule,
    ResidentConfig,
    ScoringConfig,
    case_metrics_score,
)
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_open_round, make_scheme
from tests.factories import actor_for

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 9, 0, tzinfo=SHANGHAI)


RULES = {
    "reply_quality": MetricRule(target=0.8, floor=0.4),
    "perfunctory": MetricRule(target=0.05, floor=0.5),
}


def test_schemes_can_choose_the_reply_metrics():
    assert {"reply_quality", "perfunctory"} <= set(METRIC_KEYS)


def test_reply_metrics_score_as_worked_by_hand():
    config = ResidentConfig(case_metrics=RULES)
    # 20 replies of mean 75 points: 0.75 → (0.75 − 0.4) / (0.8 − 0.4) = 0.875 → 87.5.
    # 4 of 20 perfunctory: 0.2 → (0.2 − 0.5) / (0.05 − 0.5) = ⅔ → 66.67 (lower is better).
    # Equal weights: (87.5 + 66.667) / 2 = 77.083.
    tally = CaseTally(reply_quality=(1500, 2000), perfunctory=(4, 20))
    assert case_metrics_score(tally, config) == pytest.approx((87.5 + 200 / 3) / 2)


def test_reply_quality_needs_the_minimum_number_of_replies_not_points():
    config = ResidentConfig(case_metrics={"reply_quality": RULES["reply_quality"]})
    # 9 replies (900 points at most) are below min_cases 10: not measured.
    assert case_metrics_score(CaseTally(reply_quality=(900, 900)), config) is None
    assert case_metrics_score(CaseTally(reply_quality=(1000, 1000)), config) == 100.0


def test_a_reply_tally_cannot_claim_more_points_than_replies_allow():
    with pytest.raises(ValueError, match="reply_quality"):
        CaseTally(reply_quality=(201, 200))


@pytest.mark.django_db
def test_a_scheme_with_reply_quality_scores_the_units_replies(
    tree, django_capture_on_commit_callbacks
):
    secretary = actor_for(tree.people[Role.BRANCH_SECRETARY])

    def resolved(moment: datetime, body: str):
        with clock.at(moment):
            case = services.case_submit(
                actor=ANONYMOUS,
                category=Category.objects.get(code="rubbish"),
                area=tree.community_a1,
                title="小区垃圾站满溢",
                description="小区垃圾站已经三天没有清运。",
                channel=Channel.WEB,
            )
            services.case_accept(case=case, actor=secretary)
            services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        with (
            clock.at(moment + timedelta(hours=3)),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.case_resolve(case=case, actor=secretary, body=body)
        return case.replies.get(is_resolution=True)

    good = resolved(
        at(3, 3), "您好！经现场查看，社区已于今天清运垃圾，下一步将每天巡查。感谢您的反映。"
    )
    poor = resolved(at(3, 10), "网友：您好！留言已收悉")
    resolved(at(4, 2), "网友：您好！留言已收悉")  # outside the period
    # Totals fixed by hand so that the arithmetic below is plain.
    ReplyScore.objects.filter(reply=good).update(total=80.4, perfunctory=False)
    ReplyScore.objects.filter(reply=poor).update(total=29.6, perfunctory=True)

    scheme = make_scheme(tree.district)
    Indicator.objects.create(
        scheme=scheme,
        parent=Indicator.objects.get(scheme=scheme, code="outcome"),
        code="reply-quality",
        name="答复质量",
        rule=ScoringRule.METRIC,
        rule_options={"metric": "reply_quality", "target": 0.8, "floor": 0.4},
        scored_by_self=False,
        scored_by_superior=False,
        position=3,
    )
    round_ = make_open_round(
        tree.district,
        [tree.community_a1, tree.community_a2, tree.street_a],
        [scheme, make_scheme(tree.district, UnitClass.STREET)],
        state=RoundState.REVIEW,
        period=(date(2025, 3, 1), date(2025, 3, 31)),
    )
    tallies = case_tallies(round_, now=datetime(2025, 4, 15, tzinfo=SHANGHAI))
    codes = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit__code"))
    by_code = {codes[pk]: tally for pk, tally in tallies.items()}
    # 80 + 30 whole points over 2 replies; one perfunctory. The street above counts its subtree.
    assert by_code["QH-DH-LA"].reply_quality == (110, 200)
    assert by_code["QH-DH-LA"].perfunctory == (1, 2)
    assert by_code["QH-DH"].reply_quality == (110, 200)
    assert by_code["QH-DH-GX"].reply_quality == (0, 0)

    # The scheme's metric indicators: on_time (target .95, floor .6) and reply_quality (.8, .4),
    # each one of the three indicators of weight 1 in the outcome dimension (50 %): 50/3 points.
    config = class_configs(round_.snapshot, ScoringConfig(residents=ResidentConfig(min_cases=2)))
    residents = config["community"].residents
    assert set(residents.case_metrics) == {"on_time", "reply_quality"}
    assert residents.case_metrics["reply_quality"].weight == pytest.approx(50 / 3)
    # reply_quality 110 / 200 = 0.55 → (0.55 − 0.4) / 0.4 = 0.375 → 37.5. On time: both cases
    # resolved within the deadline (2 of 2) → 100. Mean with equal weights: 68.75.
    assert by_code["QH-DH-LA"].on_time == (2, 2)
    assert case_metrics_score(by_code["QH-DH-LA"], residents) == pytest.approx(68.75)
