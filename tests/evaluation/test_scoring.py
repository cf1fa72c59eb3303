"""The evaluation scoring rules (docs/SCORING.md "Evaluation scores") with values worked by hand.

No database: scoring is pure. Expected values are written out as the arithmetic that gives them,
so a wrong formula in scoring.py fails here rather than being copied into the expectation.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from jiceng.evaluation import scoring
from jiceng.evaluation.scoring import (
    ANSWER_RATING,
    ANSWER_YES_NO,
    CASE_METRICS,
    DEFAULT_CASE_METRIC_RULES,
    GRADES,
    CaseRows,
    CaseTally,
    Gate,
    Grade,
    GradeCuts,
    MetricRule,
    ResidentConfig,
    ResidentTally,
    RoundInput,
    ScoringConfig,
    Source,
    SourceScores,
    SourceWeights,
    UnitScores,
    aggregate_raters,
    bayesian_mean,
    case_metrics_score,
    checklist_score,
    composite_score,
    deduction_score,
    is_self_inflated,
    judge_unit,
    metric_score,
    rank_in_groups,
    rank_in_groups_columns,
    rating_mean_to_score,
    resident_score,
    scale_score,
    score_round,
    score_unit,
    score_units,
    sensitivity,
    tally_cases,
    tally_resident_answers,
    weighted_mean,
    wilson_lower_bound,
)

DEFAULT = ScoringConfig()
Z = 1.96
Z2 = Z * Z  # 3.8416

# The worked example of docs/SCORING.md: 40 ratings, 45 of 50 yes, four case metrics with
# enough cases (on-time has 8 < 10), five raters.
EXAMPLE_ANSWERS = ResidentTally(ratings=(0, 2, 2, 16, 20), yes=45, yes_no=50)
EXAMPLE_CASES = CaseTally(
    response=(90, 100),
    resolution=(40, 50),
    satisfaction=(36, 40),
    on_time=(5, 8),
    no_feedback=(6, 40),
)
EXAMPLE_RATERS = (100.0, 82.0, 40.0, 84.0, 80.0)
# Wilson, 45 of 50: p = 0.9; centre = 0.9 + 3.8416/100 = 0.938416;
# margin = 1.96·√(0.9·0.1/50 + 3.8416/10000) = 1.96·√0.00218416 = 0.0916006;
# denominator = 1 + 3.8416/50 = 1.076832; lower = 0.8468154 / 1.076832 = 0.7863951.
EXAMPLE_WILSON = 78.63951
# (0.9−0.6)/0.35 = 85.714…, (0.8−0.5)/0.4 = 75, 0.9 meets its target = 100,
# (0.15−0.5)/(0.10−0.5) = 87.5; on-time left out (8 cases < 10).
EXAMPLE_CASE_PART = (300 / 3.5 + 75 + 100 + 87.5) / 4  # 87.0536
# Bayesian mean (10·3 + 174) / (10 + 40) = 4.08 → (4.08 − 1)·25 = 77.0.
EXAMPLE_RESIDENTS = 0.40 * 77.0 + 0.30 * EXAMPLE_WILSON + 0.30 * EXAMPLE_CASE_PART  # 80.508


def sources(self_assessment=None, residents=None, superior=None) -> SourceScores:
    return SourceScores(self_assessment, residents, superior)


def judge(scores: SourceScores, satisfaction=0.95, unit_class="community", config=DEFAULT):
    return judge_unit(scores, unit_class=unit_class, satisfaction=satisfaction, config=config)


# --- indicator rules ------------------------------------------------------------------------


def test_checklist_scale_and_deduction_put_points_on_0_to_100():
    assert checklist_score(3, 4) == 75.0
    assert checklist_score(0, 4) == 0.0
    assert scale_score(4, 5) == 80.0
    assert scale_score(7, 10) == pytest.approx(70.0)
    assert deduction_score(15, 100) == 85.0
    assert deduction_score(3, 20) == 85.0
    # Deductions beyond the maximum stop at 0, not below.
    assert deduction_score(120, 100) == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: checklist_score(1, 0), "at least one item"),
        (lambda: checklist_score(5, 4), "within 0–4"),
        (lambda: scale_score(6, 5), "within 0–5"),
        (lambda: scale_score(1, 0), "top must be above 0"),
        (lambda: deduction_score(-1, 10), "0 or more"),
        (lambda: deduction_score(1, 0), "above 0"),
    ],
)
def test_indicator_rules_reject_impossible_points(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_metric_score_is_linear_between_floor_and_target():
    response = MetricRule(target=0.95, floor=0.60)
    assert metric_score(0.95, response) == 100.0
    assert metric_score(1.00, response) == 100.0
    assert metric_score(0.60, response) == 0.0
    assert metric_score(0.10, response) == 0.0
    # Halfway: (0.775 − 0.60) / (0.95 − 0.60) = 0.5.
    assert metric_score(0.775, response) == pytest.approx(50.0)
    assert metric_score(None, response) is None


def test_metric_score_with_target_below_floor_rewards_lower_values():
    no_feedback = MetricRule(target=0.10, floor=0.50)
    # (0.30 − 0.50) / (0.10 − 0.50) = 0.5.
    assert metric_score(0.30, no_feedback) == pytest.approx(50.0)
    assert metric_score(0.05, no_feedback) == 100.0
    assert metric_score(0.60, no_feedback) == 0.0


def test_weighted_mean_gives_a_missing_score_weight_to_the_others():
    # (80·1 + 60·1) / (1 + 1); the missing one's weight 2 is left out.
    assert weighted_mean([80.0, None, 60.0], [1, 2, 1]) == 70.0
    assert weighted_mean([None, None], [1, 1]) is None
    # A score there with weight 0 cannot carry a mean on its own.
    assert weighted_mean([50.0, None], [0, 1]) is None
    with pytest.raises(ValueError, match="2 scores but 3 weights"):
        weighted_mean([1.0, 2.0], [1, 1, 1])


# --- residents: shrinkage -------------------------------------------------------------------


def test_wilson_lower_bound_worked_by_hand():
    # 27 of 30, z = 1.96: p = 0.9
    # centre = p + z²/2n = 0.9 + 3.8416/60 = 0.9640267
    # margin = z·√(p(1−p)/n + z²/4n²) = 1.96·√(0.003 + 3.8416/3600) = 1.96·√0.0040671
    #        = 1.96 · 0.0637739 = 0.1249969
    # denominator = 1 + z²/n = 1 + 3.8416/30 = 1.1280533
    # lower = (0.9640267 − 0.1249969) / 1.1280533 = 0.8390298 / 1.1280533 = 0.7437856
    assert wilson_lower_bound(27, 30, Z) == pytest.approx(0.7437856, abs=1e-7)
    assert wilson_lower_bound(45, 50, Z) == pytest.approx(EXAMPLE_WILSON / 100, abs=1e-7)


def test_wilson_lower_bound_of_all_successes_is_n_over_n_plus_z_squared():
    # p = 1: margin = z²/2n, so lower = 1 / (1 + z²/n) = n / (n + z²) = 30 / 33.8416.
    assert wilson_lower_bound(30, 30, Z) == pytest.approx(30 / 33.8416)
    assert wilson_lower_bound(30, 30, Z) == pytest.approx(0.8864829, abs=1e-7)
    # A smaller sample of the same share is shrunk harder: 3 of 3 → 3 / 6.8416.
    assert wilson_lower_bound(3, 3, Z) == pytest.approx(3 / 6.8416)


def test_wilson_lower_bound_without_trials_is_none():
    assert wilson_lower_bound(0, 0, Z) is None
    assert wilson_lower_bound(0, 10, Z) == 0.0
    with pytest.raises(ValueError, match="within 0–3"):
        wilson_lower_bound(4, 3, Z)


def test_bayesian_mean_shrinks_a_small_sample_to_the_prior():
    # 10 answers of 5 with 10 imagined answers of 3: (10·3 + 50) / 20 = 4.0 → (4 − 1)·25 = 75.
    mean = bayesian_mean(50, 10, prior_mean=3.0, prior_weight=10)
    assert mean == 4.0
    assert rating_mean_to_score(mean) == 75.0
    # 100 answers of 5: (30 + 500) / 110 = 4.818…
    assert bayesian_mean(500, 100, 3.0, 10) == pytest.approx(530 / 110)
    assert rating_mean_to_score(1.0) == 0.0
    assert rating_mean_to_score(5.0) == 100.0
    assert bayesian_mean(0, 0, 3.0, 0) is None


def test_resident_score_worked_example():
    result = resident_score(EXAMPLE_ANSWERS, EXAMPLE_CASES, DEFAULT.residents)
    assert result.responses == 40
    # 16 + 20 of 40 rated 4 or 5.
    assert result.satisfaction == 0.9
    assert result.rating == pytest.approx(77.0)
    assert result.yes_no == pytest.approx(EXAMPLE_WILSON, abs=1e-5)
    assert result.cases == pytest.approx(87.05357, abs=1e-5)
    assert result.score == pytest.approx(EXAMPLE_RESIDENTS, abs=1e-5)
    assert result.score == pytest.approx(80.50792, abs=1e-5)


def test_residents_source_is_missing_below_the_minimum_sample():
    config = DEFAULT.residents  # 30 ratings at least
    below = resident_score(ResidentTally(ratings=(0, 0, 0, 9, 20)), EXAMPLE_CASES, config)
    assert below.responses == 29
    assert below.score is None
    assert below.satisfaction is None
    # Case metrics cannot stand in for a survey that did not happen.
    assert below.cases is None
    at_minimum = resident_score(ResidentTally(ratings=(0, 0, 0, 10, 20)), CaseTally(), config)
    # (10·3 + 40 + 100) / (10 + 30) = 4.25 → 81.25; no yes/no answers, no cases: rating alone.
    assert at_minimum.score == pytest.approx(81.25)


def test_zero_responses_give_no_residents_source():
    result = resident_score(ResidentTally(), CaseTally(), DEFAULT.residents)
    assert result == result.__class__(0, None, None, None, None, None)


def test_minimum_sample_and_prior_are_configurable():
    config = ResidentConfig(min_responses=5, prior_mean=4.0, prior_weight=5)
    result = resident_score(ResidentTally(ratings=(0, 0, 0, 0, 5)), CaseTally(), config)
    # (5·4 + 25) / (5 + 5) = 4.5 → 87.5.
    assert result.score == pytest.approx(87.5)


def test_yes_no_part_needs_its_own_minimum_and_then_uses_wilson():
    config = ResidentConfig(min_responses=30)
    ratings = (0, 0, 10, 10, 10)  # mean (30 + 120)/(40) = 3.75 → 68.75
    too_few = resident_score(ResidentTally(ratings, yes=29, yes_no=29), CaseTally(), config)
    assert too_few.yes_no is None
    assert too_few.score == pytest.approx(68.75)
    enough = resident_score(ResidentTally(ratings, yes=30, yes_no=30), CaseTally(), config)
    assert enough.yes_no == pytest.approx(100 * 30 / 33.8416)
    # Rating 40 and yes/no 30 share the whole weight when there are no case metrics.
    assert enough.score == pytest.approx((40 * 68.75 + 30 * 100 * 30 / 33.8416) / 70)


def test_case_metrics_need_the_minimum_number_of_cases():
    config = DEFAULT.residents  # 10 cases at least
    assert case_metrics_score(CaseTally(response=(9, 9)), config) is None
    # 10 of 10 responded in time → 100; nothing else measured.
    assert case_metrics_score(CaseTally(response=(10, 10)), config) == 100.0
    weighted = ResidentConfig(
        case_metrics={
            "response": MetricRule(0.95, 0.60, weight=3),
            "resolution": MetricRule(0.90, 0.50, weight=1),
        }
    )
    # response 1.0 → 100 (weight 3), resolution 0.7 → 50 (weight 1): (300 + 50) / 4.
    tally = CaseTally(response=(20, 20), resolution=(14, 20), satisfaction=(0, 20))
    assert case_metrics_score(tally, weighted) == pytest.approx(87.5)


# --- superior ---------------------------------------------------------------------------------


def test_a_single_rater_is_the_superior_score_with_no_spread():
    summary = aggregate_raters([70.0], DEFAULT)
    assert (summary.count, summary.score, summary.trimmed) == (1, 70.0, False)
    assert (summary.spread, summary.lowest, summary.highest) == (0.0, 70.0, 70.0)


def test_four_raters_give_the_plain_mean():
    summary = aggregate_raters([90.0, 60.0, 80.0, 70.0], DEFAULT)
    assert summary.score == 75.0
    assert not summary.trimmed
    # Population deviation: √((15² + 5² + 5² + 15²) / 4) = √125.
    assert summary.spread == pytest.approx(math.sqrt(125))


def test_exactly_five_raters_drop_the_highest_and_the_lowest():
    summary = aggregate_raters(EXAMPLE_RATERS, DEFAULT)
    assert summary.trimmed
    # 40 and 100 dropped: (80 + 82 + 84) / 3; the plain mean would be 77.2.
    assert summary.score == 82.0
    # Spread over all five around 77.2: √((37.2² + 2.8² + 4.8² + 6.8² + 22.8²) / 5) = √396.16.
    assert summary.spread == pytest.approx(math.sqrt(396.16))
    assert (summary.lowest, summary.highest) == (40.0, 100.0)


def test_trimming_is_configurable():
    config = ScoringConfig(trim_from_raters=7, trim_each_end=2)
    six = aggregate_raters([10, 50, 60, 70, 80, 100], config)
    assert not six.trimmed
    assert six.score == pytest.approx(370 / 6)
    seven = aggregate_raters([10, 20, 50, 60, 70, 95, 100], config)
    assert seven.score == 60.0  # 50, 60, 70 kept


def test_no_raters_means_no_superior_source():
    assert aggregate_raters([], DEFAULT).score is None
    with pytest.raises(ValueError, match="within 0–100"):
        aggregate_raters([101.0], DEFAULT)


# --- composite, missing sources, weights ----------------------------------------------------


def test_composite_weighs_the_three_sources():
    composite, used = composite_score(sources(80, 70, 90), SourceWeights())
    assert composite == (10 * 80 + 45 * 70 + 45 * 90) / 100  # 80.0
    assert used == (10.0, 45.0, 45.0)


def test_a_missing_self_assessment_renormalises_to_the_other_two():
    composite, used = composite_score(sources(None, 60, 90), SourceWeights())
    assert composite == (45 * 60 + 45 * 90) / 90  # 75.0
    assert used == (0.0, 50.0, 50.0)


def test_missing_residents_renormalise_to_self_and_superior():
    composite, used = composite_score(sources(80, None, 90), SourceWeights())
    # (10·80 + 45·90) / 55 = 88.1818 → 88.18 as shown.
    assert composite == 88.18
    assert used == pytest.approx((100 * 10 / 55, 0.0, 100 * 45 / 55))


def test_no_source_at_all_gives_no_composite_grade_or_rank():
    judgement = judge(sources(), satisfaction=None)
    assert (judgement.composite, judgement.grade, judgement.capped_by) == (None, None, ())
    assert rank_in_groups({"a": None, "b": 50.0}, {"a": 1, "b": 1}) == {"a": None, "b": 1}


def test_weights_per_unit_class():
    config = ScoringConfig(weights_by_class={"village": SourceWeights(20, 40, 40)})
    scores = sources(100, 70, 90)
    assert judge(scores, config=config).composite == 10 + 0.45 * 70 + 0.45 * 90  # 82.0
    assert judge(scores, unit_class="village", config=config).composite == 20 + 28 + 36


# --- grades and gates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("composite", "grade"),
    [
        (100.0, Grade.GOOD),
        (90.0, Grade.GOOD),
        (89.99, Grade.FAIRLY_GOOD),
        (75.0, Grade.FAIRLY_GOOD),
        (74.99, Grade.AVERAGE),
        (60.0, Grade.AVERAGE),
        (59.99, Grade.POOR),
        (0.0, Grade.POOR),
    ],
)
def test_a_score_exactly_at_a_cut_point_gets_that_grade(composite, grade):
    assert GradeCuts().grade(composite) is grade
    # The same through the whole judgement: equal sources make the composite.
    assert judge(sources(composite, composite, composite)).grade_before_gates is grade


def test_grades_use_the_shown_two_decimal_composite():
    # 89.996 shows as 90.00 and is 好; 89.994 shows as 89.99 and is 较好.
    assert judge(sources(89.996, 89.996, 89.996)).composite == 90.0
    assert judge(sources(89.996, 89.996, 89.996)).grade is Grade.GOOD
    assert judge(sources(89.994, 89.994, 89.994)).grade is Grade.FAIRLY_GOOD


def test_cut_points_are_configurable():
    config = ScoringConfig(cuts=GradeCuts(good=85, fairly_good=70, average=50))
    assert judge(sources(86, 86, 86), config=config).grade is Grade.GOOD
    assert judge(sources(50, 50, 50), config=config).grade is Grade.AVERAGE
    assert judge(sources(49.99, 49.99, 49.99), config=config).grade is Grade.POOR


def test_resident_satisfaction_below_90_percent_caps_the_grade_at_average():
    judgement = judge(sources(92, 92, 92), satisfaction=35 / 40)  # 87.5 %
    assert judgement.grade_before_gates is Grade.GOOD
    assert judgement.grade is Grade.AVERAGE
    assert judgement.capped_by == (Gate.LOW_SATISFACTION,)
    fairly_good = judge(sources(80, 80, 80), satisfaction=0.5)
    assert fairly_good.grade is Grade.AVERAGE
    assert fairly_good.capped_by == (Gate.LOW_SATISFACTION,)


def test_satisfaction_exactly_at_90_percent_is_not_capped():
    judgement = judge(sources(92, 92, 92), satisfaction=36 / 40)
    assert judgement.grade is Grade.GOOD
    assert judgement.capped_by == ()


def test_the_satisfaction_cap_never_raises_a_grade():
    average = judge(sources(65, 65, 65), satisfaction=0.5)
    assert (average.grade, average.capped_by) == (Grade.AVERAGE, ())
    poor = judge(sources(55, 55, 55), satisfaction=0.5)
    assert (poor.grade, poor.capped_by) == (Grade.POOR, ())


def test_satisfaction_gate_and_cap_are_configurable():
    config = ScoringConfig(satisfaction_gate=0.8, satisfaction_cap=Grade.POOR)
    assert judge(sources(92, 92, 92), satisfaction=0.85, config=config).grade is Grade.GOOD
    assert judge(sources(92, 92, 92), satisfaction=0.79, config=config).grade is Grade.POOR


def test_the_superior_alone_cannot_produce_good_without_residents():
    # Self 95 and superior 95, residents missing: composite 95 but 较好.
    judgement = judge(sources(95, None, 95), satisfaction=None)
    assert judgement.composite == 95.0
    assert judgement.grade_before_gates is Grade.GOOD
    assert judgement.grade is Grade.FAIRLY_GOOD
    assert judgement.capped_by == (Gate.GOOD_NEEDS_RESIDENTS,)
    superior_only = judge(sources(None, None, 100), satisfaction=None)
    assert (superior_only.composite, superior_only.grade) == (100.0, Grade.FAIRLY_GOOD)


def test_good_needs_a_residents_score_of_at_least_the_fairly_good_cut():
    # With self 20 / residents 30 / superior 50 a high superior score can lift a weak residents'
    # score over 90: 20 + 0.3·74 + 50 = 92.2.
    config = ScoringConfig(weights=SourceWeights(20, 30, 50))
    weak = judge(sources(100, 74, 100), config=config)
    assert weak.composite == pytest.approx(92.2)
    assert weak.grade is Grade.FAIRLY_GOOD
    assert weak.capped_by == (Gate.GOOD_NEEDS_RESIDENTS,)
    # Residents exactly at 75 (the 较好 cut): 20 + 22.5 + 50 = 92.5, 好.
    enough = judge(sources(100, 75, 100), config=config)
    assert (enough.grade, enough.capped_by) == (Grade.GOOD, ())


def test_the_residents_threshold_for_good_is_configurable():
    config = ScoringConfig(good_min_resident_score=85)
    # 10 + 0.45·80 + 45 = 91 with residents 80 < 85.
    judgement = judge(sources(100, 80, 100), config=config)
    assert judgement.composite == 91.0
    assert judgement.grade is Grade.FAIRLY_GOOD


def test_both_gates_can_apply_and_the_lower_cap_wins():
    config = ScoringConfig(weights=SourceWeights(20, 30, 50))
    # 20 + 0.3·70 + 50 = 91.
    judgement = judge(sources(100, 70, 100), satisfaction=0.5, config=config)
    assert judgement.grade_before_gates is Grade.GOOD
    assert judgement.grade is Grade.AVERAGE
    assert judgement.capped_by == (Gate.LOW_SATISFACTION, Gate.GOOD_NEEDS_RESIDENTS)


# --- self-inflation -----------------------------------------------------------------------------


def test_self_inflation_when_self_exceeds_the_others_mean_by_more_than_the_margin():
    # 95 − (70 + 80)/2 = 20 > 15.
    assert is_self_inflated(sources(95, 70, 80), 15)
    # Exactly the margin is not more than it: 90 − 75 = 15.
    assert not is_self_inflated(sources(90, 70, 80), 15)
    # One other source: 95 − 79 = 16.
    assert is_self_inflated(sources(95, None, 79), 15)
    assert not is_self_inflated(sources(None, 10, 10), 15)
    assert not is_self_inflated(sources(100, None, None), 15)
    assert not is_self_inflated(sources(95, 70, 80), 25)
    assert judge(sources(95, 70, 80)).self_inflated


# --- ranking --------------------------------------------------------------------------------------


def test_ties_share_a_rank_and_the_next_rank_skips():
    scores = {"a": 90.0, "b": 85.0, "c": 85.0, "d": 80.0, "e": None, "f": 70.0, "g": 75.0}
    groups = {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 2, "g": 2}
    assert rank_in_groups(scores, groups) == {
        "a": 1,
        "b": 2,
        "c": 2,
        "d": 4,
        "e": None,
        "f": 2,
        "g": 1,
    }
    assert rank_in_groups({"x": 80.0, "y": 80.0, "z": 80.0}, {"x": 0, "y": 0, "z": 0}) == {
        "x": 1,
        "y": 1,
        "z": 1,
    }


def test_rank_columns_match_the_mapping_version():
    score = np.array([90.0, 85.0, 85.0, 80.0, np.nan, 70.0, 75.0])
    group = np.array([1, 1, 1, 1, 1, 2, 2])
    assert rank_in_groups_columns(score, group).tolist() == [1, 2, 2, 4, 0, 2, 1]
    assert rank_in_groups_columns(np.array([np.nan]), np.array([0])).tolist() == [0]


def test_units_equal_as_shown_tie_in_rank():
    # Superior 80.004 and 79.996 alone both show as 80.00.
    units = {
        "a": UnitScores("community", "g", rater_scores=(80.004,)),
        "b": UnitScores("community", "g", rater_scores=(79.996,)),
        "c": UnitScores("community", "g", rater_scores=(79.99,)),
    }
    results = score_units(units, DEFAULT)
    assert [results[key].rank for key in "abc"] == [1, 1, 3]


# --- sensitivity ------------------------------------------------------------------------------


def test_shifted_weights_keep_the_others_ratio():
    weights = SourceWeights()
    assert weights.shifted(Source.SELF, -10) == SourceWeights(0, 50, 50)
    assert weights.shifted(Source.SELF, 10) == SourceWeights(20, 40, 40)
    # Residents 55; self and superior share 45 as 10 : 45.
    residents_up = weights.shifted(Source.RESIDENTS, 10)
    assert residents_up.as_tuple() == pytest.approx((45 * 10 / 55, 55, 45 * 45 / 55))
    # Clamped at 0; the others share 100 as 50 : 45.
    assert SourceWeights(5, 50, 45).shifted(Source.SELF, -10).as_tuple() == pytest.approx(
        (0, 100 * 50 / 95, 100 * 45 / 95)
    )
    # Others both at 0 split the rest equally.
    assert SourceWeights(100, 0, 0).shifted(Source.SELF, -10) == SourceWeights(90, 5, 5)


def test_sensitivity_shows_where_a_weight_shift_swaps_two_units():
    # A: self 60, residents 90, superior 70 → 6 + 40.5 + 31.5 = 78.0
    # B: self 100, residents 70, superior 86 → 10 + 31.5 + 38.7 = 80.2 → B first.
    # self −10 (0/50/50):            A 80.0, B 78.0 → A first
    # self +10 (20/40/40):           A 76.0, B 82.4
    # residents −10 (11.82/35/53.18): A 75.82, B 82.05
    # residents +10 (8.18/55/36.82):  A 80.18, B 78.35 → A first
    # superior −10 (11.82/53.18/35):  A 79.45, B 79.15 → A first
    # superior +10 (8.18/36.82/55):   A 76.55, B 81.25
    scores = {"A": sources(60, 90, 70), "B": sources(100, 70, 86)}
    shifts = sensitivity(
        scores,
        unit_class={"A": "community", "B": "community"},
        peer_group={"A": 0, "B": 0},
        config=DEFAULT,
    )
    expected_a = [
        (Source.SELF, -10, 1),
        (Source.SELF, 10, 2),
        (Source.RESIDENTS, -10, 2),
        (Source.RESIDENTS, 10, 1),
        (Source.SUPERIOR, -10, 1),
        (Source.SUPERIOR, 10, 2),
    ]
    assert [(s.source, s.points, s.rank) for s in shifts["A"]] == expected_a
    assert [s.movement for s in shifts["A"]] == [-1, 0, 0, -1, -1, 0]
    assert [s.movement for s in shifts["B"]] == [1, 0, 0, 1, 1, 0]


def test_sensitivity_of_an_unranked_unit_has_no_rank():
    shifts = sensitivity(
        {"a": sources(), "b": sources(50, 50, 50)},
        unit_class={"a": "community", "b": "community"},
        peer_group={"a": 0, "b": 0},
        config=ScoringConfig(sensitivity_shift=5),
    )
    assert [s.points for s in shifts["b"]] == [-5, 5, -5, 5, -5, 5]
    assert all(s.rank is None and s.movement is None for s in shifts["a"])
    assert all(s.rank == 1 and s.movement == 0 for s in shifts["b"])


# --- one unit end to end ------------------------------------------------------------------


def test_worked_example_end_to_end():
    unit = UnitScores(
        "community",
        "QH-DH",
        self_score=85,
        rater_scores=EXAMPLE_RATERS,
        answers=EXAMPLE_ANSWERS,
        cases=EXAMPLE_CASES,
    )
    result = score_unit(unit, DEFAULT)
    assert result.sources.residents == pytest.approx(EXAMPLE_RESIDENTS)
    assert result.sources.superior == 82.0
    # (10·85 + 45·80.5079 + 45·82) / 100 = 81.6286 → 81.63, 较好.
    expected = round((10 * 85 + 45 * EXAMPLE_RESIDENTS + 45 * 82) / 100, 2)
    assert result.composite == expected == 81.63
    assert result.grade is Grade.FAIRLY_GOOD
    assert result.judgement.capped_by == ()
    # 85 − (80.51 + 82) / 2 = 3.75: not inflated.
    assert not result.judgement.self_inflated


def test_worked_example_without_enough_ratings_loses_the_residents_source():
    too_few = ResidentTally(ratings=(0, 2, 2, 15, 10), yes=45, yes_no=50)  # 29 ratings
    unit = UnitScores("community", "QH-DH", 85, EXAMPLE_RATERS, too_few, EXAMPLE_CASES)
    result = score_unit(unit, DEFAULT)
    assert result.sources.residents is None
    # (10·85 + 45·82) / 55 = 82.545… → 82.55.
    assert result.composite == 82.55
    assert result.grade is Grade.FAIRLY_GOOD


def test_satisfaction_gate_uses_the_plain_share_not_its_lower_bound():
    # 29 of 30 is 96.7 %; its Wilson lower bound 0.8333 would be below the gate.
    assert wilson_lower_bound(29, 30, Z) == pytest.approx(0.8333, abs=1e-4)
    answers = ResidentTally(ratings=(0, 0, 1, 0, 29))
    residents = resident_score(answers, CaseTally(), DEFAULT.residents)
    assert residents.satisfaction == pytest.approx(29 / 30)
    assert judge(sources(95, 95, 95), satisfaction=residents.satisfaction).grade is Grade.GOOD


# --- bad configuration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SourceWeights(10, 45, 40), r"add up to 100, got 95 \(self 10 \+ residents 45"),
        (lambda: SourceWeights(0, 50, 60), "add up to 100, got 110"),
        (lambda: SourceWeights(-10, 60, 50), "0 or more"),
        (lambda: ScoringConfig(weights_by_class={"village": SourceWeights(50, 50, 10)}), "100"),
        (lambda: GradeCuts(good=75, fairly_good=90, average=60), "decrease strictly"),
        (lambda: GradeCuts(good=90, fairly_good=75, average=75), "decrease strictly"),
        (lambda: GradeCuts(good=110, fairly_good=75, average=60), "within 0–100"),
        (lambda: MetricRule(target=0.9, floor=0.9), "different numbers"),
        (lambda: MetricRule(target=0.9, floor=0.5, weight=-1), "0 or more"),
        (lambda: ResidentConfig(rating_weight=50), "add up to 100"),
        (lambda: ResidentConfig(min_responses=0), "at least 1"),
        (lambda: ResidentConfig(prior_mean=0), "within 1–5"),
        (lambda: ResidentConfig(wilson_z=0), "above 0"),
        (lambda: ResidentConfig(case_metrics={"speed": MetricRule(1, 0)}), "unknown case metric"),
        (lambda: ScoringConfig(trim_from_raters=2, trim_each_end=1), "keeps a rater"),
        (lambda: ScoringConfig(satisfaction_gate=90), "share within 0–1"),
        (lambda: ScoringConfig(satisfaction_cap="excellent"), "not a valid Grade"),
        (lambda: ScoringConfig(good_min_resident_score=101), "within 0–100"),
        (lambda: ScoringConfig(self_inflation_margin=-1), "0 or more"),
        (lambda: ScoringConfig(sensitivity_shift=0), "within 0–100"),
    ],
)
def test_bad_configuration_is_refused_with_a_clear_message(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="yes answers"):
        ResidentTally(yes=5, yes_no=4)
    with pytest.raises(ValueError, match="five counts"):
        ResidentTally(ratings=(1, 2, 3))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="resolution: numerator"):
        CaseTally(resolution=(5, 4))
    with pytest.raises(ValueError, match="self-assessment"):
        UnitScores("community", 0, self_score=120)


def test_configuration_cannot_be_changed_afterwards():
    config = ScoringConfig(weights_by_class={"village": SourceWeights(20, 40, 40)})
    with pytest.raises(AttributeError):
        config.weights = SourceWeights(0, 50, 50)  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.weights_by_class["street"] = SourceWeights()  # type: ignore[index]


# --- raw rows to tallies ----------------------------------------------------------------------


def test_tally_cases_counts_each_metric():
    # unit 0: three cases, unit 1: one case.
    rows = CaseRows(
        unit=np.array([0, 0, 0, 1]),
        response=np.array([2, 1, 0, 2], dtype=np.int8),
        resolution_time=np.array([2, 1, 0, 0], dtype=np.int8),
        answer=np.array([1, 3, 0, 2], dtype=np.int8),
        rating=np.array([5, 2, 0, 4], dtype=np.int8),
        closure=np.array([1, 2, 0, 0], dtype=np.int8),
    )
    numerators, denominators = tally_cases(rows, 2)
    # response: in time / due; resolution: solved or partly / answered; satisfaction: 4–5 /
    # rated; on time: in time / resolved; no feedback: closed for no feedback / closed.
    # The reply-quality columns are not counted from case rows: 0.
    assert numerators.tolist() == [[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0, 0]]
    assert denominators.tolist() == [[2, 2, 2, 2, 2, 0, 0], [1, 1, 1, 0, 0, 0, 0]]


def test_tally_resident_answers_counts_levels_and_yes_no():
    unit = np.array([0, 0, 0, 1, 1, 1])
    kind = np.array([ANSWER_RATING, ANSWER_RATING, ANSWER_YES_NO, ANSWER_YES_NO, ANSWER_YES_NO,
                     ANSWER_RATING])  # fmt: skip
    value = np.array([5, 5, 1, 0, 1, 1])
    ratings, yes, yes_no = tally_resident_answers(unit, kind, value, 3)
    assert ratings.tolist() == [[0, 0, 0, 0, 2], [1, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    assert yes.tolist() == [1, 1, 0]
    assert yes_no.tolist() == [1, 2, 0]


@pytest.mark.parametrize(
    ("unit", "kind", "value", "message"),
    [
        ([0], [ANSWER_RATING], [6], "1–5 for ratings"),
        ([0], [ANSWER_RATING], [0], "1–5 for ratings"),
        ([0], [ANSWER_RATING], [9], "answer value"),
        ([0], [ANSWER_YES_NO], [2], "0 or 1"),
        ([0], [2], [1], "kind"),
        ([5], [ANSWER_RATING], [3], "unit indexes"),
    ],
)
def test_tally_resident_answers_refuses_bad_rows(unit, kind, value, message):
    with pytest.raises(ValueError, match=message):
        tally_resident_answers(np.array(unit), np.array(kind), np.array(value), 2)


def test_tally_cases_of_no_rows_is_all_zero():
    rows = CaseRows(*(np.zeros(0, dtype=np.int8) for _ in range(6)))
    numerators, denominators = tally_cases(rows, 2)
    assert numerators.tolist() == denominators.tolist() == [[0] * 7, [0] * 7]


def test_tally_cases_refuses_unknown_codes():
    rows = CaseRows(*(np.array([value]) for value in (0, 3, 0, 0, 0, 0)))
    with pytest.raises(ValueError, match="response codes"):
        tally_cases(rows, 1)


# --- the vectorised round agrees with the per-unit API -------------------------------------


def random_round(seed: int, n_units: int = 300):
    """Random raw rows covering every rule: tiny and empty units, 0–9 raters, whole points."""
    rng = np.random.default_rng(seed)
    class_names = ("community", "village", "street")
    unit_class = rng.integers(0, 3, n_units)
    peer_group = rng.integers(0, 6, n_units)
    self_score = np.rint(rng.uniform(40, 100, n_units))
    self_score[rng.random(n_units) < 0.15] = np.nan
    raters = rng.integers(0, 10, n_units)
    rater_unit = np.repeat(np.arange(n_units), raters)
    rater_score = np.rint(rng.uniform(30, 100, rater_unit.size))
    size = rng.integers(0, 80, n_units)  # answers per unit: many below the minimum of 30
    answer_unit = np.repeat(np.arange(n_units), size)
    kind = rng.integers(0, 2, answer_unit.size)
    level = rng.choice([1, 2, 3, 4, 5], answer_unit.size, p=[0.05, 0.05, 0.1, 0.35, 0.45])
    value = np.where(kind == ANSWER_RATING, level, rng.random(answer_unit.size) < 0.85)
    cases = rng.integers(0, 40, n_units)
    case_unit = np.repeat(np.arange(n_units), cases)
    n_cases = case_unit.size
    rows = CaseRows(
        unit=case_unit,
        response=rng.integers(0, 3, n_cases),
        resolution_time=rng.integers(0, 3, n_cases),
        answer=rng.integers(0, 4, n_cases),
        rating=rng.integers(0, 6, n_cases),
        closure=rng.integers(0, 3, n_cases),
    )
    return (
        class_names,
        unit_class,
        peer_group,
        self_score,
        rater_unit,
        rater_score,
        (
            answer_unit,
            kind,
            value.astype(np.int64),
        ),
        rows,
    )


def count_cases_by_hand(rows: CaseRows, n_units: int):
    numerators = [[0] * len(CASE_METRICS) for _ in range(n_units)]
    denominators = [[0] * len(CASE_METRICS) for _ in range(n_units)]
    for unit, response, resolution, answer, rating, closure in zip(
        rows.unit.tolist(),
        rows.response.tolist(),
        rows.resolution_time.tolist(),
        rows.answer.tolist(),
        rows.rating.tolist(),
        rows.closure.tolist(),
        strict=True,
    ):
        for metric, (hit, counted) in enumerate(
            [
                (response == 2, response >= 1),
                (answer in (1, 2), answer >= 1),
                (rating >= 4, rating >= 1),
                (resolution == 2, resolution >= 1),
                (closure == 2, closure >= 1),
            ]
        ):
            numerators[unit][metric] += hit
            denominators[unit][metric] += counted
    return numerators, denominators


@pytest.mark.parametrize(("seed", "chunk"), [(1, 1 << 18), (2, 7), (3, 1000)])
def test_tallies_match_counting_row_by_row(seed, chunk, monkeypatch):
    # Small chunks make tally_cases add up several partial tables, as it does for large rounds.
    monkeypatch.setattr(scoring, "CASE_CHUNK", chunk)
    *_, (answer_unit, kind, value), rows = random_round(seed, n_units=60)
    numerators, denominators = tally_cases(rows, 60)
    expected_numerators, expected_denominators = count_cases_by_hand(rows, 60)
    assert numerators.tolist() == expected_numerators
    assert denominators.tolist() == expected_denominators
    ratings, yes, yes_no = tally_resident_answers(answer_unit, kind, value, 60)
    by_hand = Counter(zip(answer_unit.tolist(), kind.tolist(), value.tolist(), strict=True))
    for unit in range(60):
        assert ratings[unit].tolist() == [by_hand[(unit, ANSWER_RATING, v)] for v in range(1, 6)]
        assert yes[unit] == by_hand[(unit, ANSWER_YES_NO, 1)]
        assert yes_no[unit] == by_hand[(unit, ANSWER_YES_NO, 0)] + yes[unit]


@pytest.mark.parametrize("seed", [11, 12, 13, 14])
def test_score_round_agrees_with_score_units(seed):
    n_units = 300
    class_names, unit_class, peer_group, self_score, rater_unit, rater_score, answers, rows = (
        random_round(seed, n_units)
    )
    config = ScoringConfig(
        weights_by_class={"village": SourceWeights(20, 40, 40), "street": SourceWeights(0, 50, 50)},
        residents=ResidentConfig(
            min_responses=20,
            min_cases=5,
            case_metrics={
                **DEFAULT_CASE_METRIC_RULES,
                "reply_quality": MetricRule(0.8, 0.4, weight=2),
                "perfunctory": MetricRule(0.05, 0.5),
            },
        ),
    )
    ratings, yes, yes_no = tally_resident_answers(*answers, n_units)
    numerators, denominators = tally_cases(rows, n_units)
    # Reply-quality columns as case_metrics.case_tallies adds them: (points, 100·replies) and
    # (perfunctory, replies), some units below min_cases replies.
    rng = np.random.default_rng(seed + 100)
    replies = rng.integers(0, 12, n_units)
    quality, perfunctory = CASE_METRICS.index("reply_quality"), CASE_METRICS.index("perfunctory")
    numerators[:, quality] = rng.integers(0, 100 * replies + 1)
    denominators[:, quality] = 100 * replies
    numerators[:, perfunctory] = rng.integers(0, replies + 1)
    denominators[:, perfunctory] = replies
    columns = score_round(
        RoundInput(
            class_names=class_names,
            unit_class=unit_class,
            peer_group=peer_group,
            self_score=self_score,
            rater_unit=rater_unit,
            rater_score=rater_score,
            ratings=ratings,
            yes=yes,
            yes_no=yes_no,
            case_numerators=numerators,
            case_denominators=denominators,
        ),
        config,
    )

    units = {}
    for i in range(n_units):
        units[i] = UnitScores(
            unit_class=class_names[unit_class[i]],
            peer_group=int(peer_group[i]),
            self_score=None if np.isnan(self_score[i]) else float(self_score[i]),
            rater_scores=tuple(rater_score[rater_unit == i].tolist()),
            answers=ResidentTally(tuple(ratings[i].tolist()), int(yes[i]), int(yes_no[i])),
            cases=CaseTally(
                *(
                    (int(numerators[i, m]), int(denominators[i, m]))
                    for m in range(len(CASE_METRICS))
                )
            ),
        )
    per_unit = score_units(units, config)

    for i in range(n_units):
        expected = per_unit[i]
        actual = columns.unit_result(i)
        assert actual.judgement.composite == expected.judgement.composite, i
        assert actual.judgement.grade == expected.judgement.grade, i
        assert actual.judgement.grade_before_gates == expected.judgement.grade_before_gates, i
        assert actual.judgement.capped_by == expected.judgement.capped_by, i
        assert actual.judgement.self_inflated == expected.judgement.self_inflated, i
        assert actual.judgement.weights_used == pytest.approx(expected.judgement.weights_used)
        assert actual.rank == expected.rank, i
        assert actual.rank_shifts == expected.rank_shifts, i
        assert actual.sources == pytest_approx_sources(expected.sources), i
        assert actual.superior.count == expected.superior.count
        assert actual.superior.trimmed == expected.superior.trimmed
        for name in ("score", "spread", "lowest", "highest"):
            assert close(getattr(actual.superior, name), getattr(expected.superior, name)), name
        assert actual.residents.responses == expected.residents.responses
        for name in ("satisfaction", "rating", "yes_no", "cases", "score"):
            assert close(getattr(actual.residents, name), getattr(expected.residents, name)), name

    # The random round did exercise the rules it is meant to compare.
    results = list(per_unit.values())
    assert any(r.superior.trimmed for r in results)
    assert any(r.superior.count == 0 for r in results)
    assert any(r.sources.residents is None for r in results)
    assert any(r.judgement.capped_by for r in results)
    assert any(r.judgement.self_inflated for r in results)
    assert any(r.composite is None for r in results) or any(r.grade is Grade.POOR for r in results)
    ranks_by_group = Counter((units[k].peer_group, r.rank) for k, r in per_unit.items())
    assert any(count > 1 for (_, rank), count in ranks_by_group.items() if rank), "no tie"
    assert any(s.movement for r in results for s in r.rank_shifts)
    assert set(GRADES) >= {r.grade for r in results if r.grade}


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def pytest_approx_sources(expected: SourceScores):
    class Matcher:
        def __eq__(self, other):
            return all(
                close(x, y) for x, y in zip(other.as_tuple(), expected.as_tuple(), strict=True)
            )

        def __repr__(self):
            return repr(expected)

    return Matcher()


def test_score_round_max_rank_movement_and_columns():
    data = RoundInput(
        class_names=("community",),
        unit_class=np.array([0, 0, 0]),
        peer_group=np.array([0, 0, 0]),
        self_score=np.array([60.0, 100.0, np.nan]),
        rater_unit=np.array([0, 1]),
        rater_score=np.array([70.0, 86.0]),
        ratings=np.zeros((3, 5), dtype=np.int64),
        yes=np.zeros(3, dtype=np.int64),
        yes_no=np.zeros(3, dtype=np.int64),
        case_numerators=np.zeros((3, len(CASE_METRICS)), dtype=np.int64),
        case_denominators=np.zeros((3, len(CASE_METRICS)), dtype=np.int64),
    )
    result = score_round(data, DEFAULT)
    # No residents: A (10·60 + 45·70)/55 = 68.18, B (10·100 + 45·86)/55 = 88.55; C nothing.
    assert result.composite[:2].tolist() == [68.18, 88.55]
    assert np.isnan(result.composite[2])
    assert result.rank.tolist() == [2, 1, 0]
    assert result.grade.tolist() == [
        GRADES.index(Grade.AVERAGE),
        GRADES.index(Grade.FAIRLY_GOOD),
        -1,
    ]
    # Only self and superior are there, so a shift never swaps them: B is far ahead.
    assert result.max_rank_movement.tolist() == [0, 0, 0]


def test_round_input_checks_shapes_and_ranges():
    def build(**changes):
        fields = {
            "class_names": ("community",),
            "unit_class": np.array([0]),
            "peer_group": np.array([0]),
            "self_score": np.array([50.0]),
            "rater_unit": np.array([0]),
            "rater_score": np.array([50.0]),
            "ratings": np.zeros((1, 5), dtype=np.int64),
            "yes": np.zeros(1, dtype=np.int64),
            "yes_no": np.zeros(1, dtype=np.int64),
            "case_numerators": np.zeros((1, len(CASE_METRICS)), dtype=np.int64),
            "case_denominators": np.zeros((1, len(CASE_METRICS)), dtype=np.int64),
        }
        return RoundInput(**(fields | changes))

    build()
    with pytest.raises(ValueError, match="ratings must have shape"):
        build(ratings=np.zeros((1, 4)))
    with pytest.raises(ValueError, match="unit_class codes"):
        build(unit_class=np.array([1]))
    with pytest.raises(ValueError, match="rater_unit codes"):
        build(rater_unit=np.array([3]))
    with pytest.raises(ValueError, match="rater scores"):
        build(rater_score=np.array([101.0]))
    with pytest.raises(ValueError, match="self-assessment"):
        build(self_score=np.array([-1.0]))


def test_default_case_metric_rules_cover_every_metric_but_reply_quality():
    # Reply quality counts only where a scheme chooses it.
    assert set(DEFAULT_CASE_METRIC_RULES) == set(CASE_METRICS) - {"reply_quality", "perfunctory"}


def test_scoring_imports_no_django():
    code = (
        "import sys, jiceng.evaluation.scoring; "
        "sys.exit(any(name.split('.')[0] == 'django' for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
