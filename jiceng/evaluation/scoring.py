"""Evaluation scores (基层自评、群众测评、组织考评): pure functions over plain data.

Nothing here touches the database or Django. Services hand in tallies (counts of answers, case
numerators and denominators, rater scores) and get numbers back; tests hand in numbers worked
out by hand. The method, with worked examples that the tests check, is written up in
docs/SCORING.md ("Evaluation scores").

Two ways in, which agree (tests compare them on random rounds):

- per unit: `score_unit` for one unit, `score_units` for a round as a mapping (adds ranks and
  the sensitivity view), built from small functions that each state one rule;
- vectorised: `score_round` over columnar numpy arrays, for rounds of tens of thousands of
  units; `tally_cases` and `tally_resident_answers` turn raw rows into its inputs.

Every score is on a 0–100 scale. A source, a part or a metric with too little data is None
(NaN in arrays), never 0: "not measured" must not rank with "bad".
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Key = TypeVar("Key", bound=Hashable)

# Weights are percentage points; shifted and renormalised weights carry float noise.
WEIGHT_TOLERANCE = 1e-6


class Grade(StrEnum):
    """Grades, best first. Labels: good 好, fairly_good 较好, average 一般, poor 差."""

    GOOD = "good"
    FAIRLY_GOOD = "fairly_good"
    AVERAGE = "average"
    POOR = "poor"


# Arrays hold a grade as its position here; NO_GRADE for a unit without a composite.
GRADES: tuple[Grade, ...] = (Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR)
NO_GRADE = -1


class Source(StrEnum):
    SELF = "self"
    RESIDENTS = "residents"
    SUPERIOR = "superior"


SOURCES: tuple[Source, ...] = (Source.SELF, Source.RESIDENTS, Source.SUPERIOR)


class Gate(StrEnum):
    LOW_SATISFACTION = "low_resident_satisfaction"
    GOOD_NEEDS_RESIDENTS = "good_needs_residents"


# Objective metrics from case data, in the order of every (n, 7) array below; definitions in
# docs/SCORING.md "Case rates" and, for the replies' quality, "Reply quality": `reply_quality`
# is the mean total of the scored resolution replies as a share (Σ points ÷ 100·replies) and
# `perfunctory` the share of them judged perfunctory. The first five come from case rows
# (`tally_cases`), the last two from the stored reply scores.
CASE_METRICS: tuple[str, ...] = (
    "response",
    "resolution",
    "satisfaction",
    "on_time",
    "no_feedback",
    "reply_quality",
    "perfunctory",
)
ROW_CASE_METRICS = 5  # the first five, counted from case rows by `tally_cases`
# Denominator units per case: a reply's quality counts 100 points, so `min_cases` replies make
# a denominator of 100·min_cases.
CASE_METRIC_UNITS: Mapping[str, int] = MappingProxyType({"reply_quality": 100})

# Objective metrics of the guarantees (强化服务保障), scored inside the superior's source, the
# same for every rater of a unit; definitions in docs/SCORING.md "Guarantee metrics in the
# superior's assessment". All are shares from 0 to 1 except `venue_visits` (check-ins per
# posted open hour) and `staff_ratio` (staff per 1,000 residents), whose targets and floors may
# be any numbers of 0 or more.
GUARANTEE_METRICS: tuple[str, ...] = (
    "venue_open",
    "venue_visits",
    "fund_execution",
    "staff_ratio",
    "care_visits",
    "rectification",
)
UNBOUNDED_METRICS: frozenset[str] = frozenset({"venue_visits", "staff_ratio"})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _is_number(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


# --------------------------------------------------------------------------------------------
# Configuration


@dataclass(frozen=True)
class SourceWeights:
    """Weights of the three sources in percentage points; they add up to 100."""

    self_assessment: float = 10.0
    residents: float = 45.0
    superior: float = 45.0

    def __post_init__(self) -> None:
        described = (
            f"self {self.self_assessment:g} + residents {self.residents:g} "
            f"+ superior {self.superior:g}"
        )
        _require(
            all(_is_number(weight) and weight >= 0 for weight in self.as_tuple()),
            f"source weights must be numbers of 0 or more, got {described}",
        )
        total = sum(self.as_tuple())
        _require(
            abs(total - 100) <= WEIGHT_TOLERANCE,
            f"source weights must add up to 100, got {total:g} ({described})",
        )

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.self_assessment, self.residents, self.superior)

    def shifted(self, source: Source, points: float) -> SourceWeights:
        """`source` gains `points` (clamped to 0–100); the others share the rest as before.

        The two other sources keep their ratio to each other; when both had 0 they split the
        rest equally.
        """
        weights = list(self.as_tuple())
        moved = SOURCES.index(source)
        new_weight = min(100.0, max(0.0, weights[moved] + points))
        others = [index for index in range(3) if index != moved]
        others_total = sum(weights[index] for index in others)
        rest = 100.0 - new_weight
        for index in others:
            weights[index] = (
                rest * weights[index] / others_total if others_total > 0 else rest / len(others)
            )
        weights[moved] = new_weight
        return SourceWeights(*weights)


@dataclass(frozen=True)
class GradeCuts:
    """Lowest composite of each grade; below `average` is poor. A score at a cut gets it."""

    good: float = 90.0
    fairly_good: float = 75.0
    average: float = 60.0

    def __post_init__(self) -> None:
        cuts = (self.good, self.fairly_good, self.average)
        _require(
            all(_is_number(cut) and 0 <= cut <= 100 for cut in cuts)
            and self.good > self.fairly_good > self.average,
            "grade cut points must lie within 0–100 and decrease strictly: "
            f"good > fairly_good > average, got good {self.good:g}, "
            f"fairly_good {self.fairly_good:g}, average {self.average:g}",
        )

    def grade(self, composite: float) -> Grade:
        if composite >= self.good:
            return Grade.GOOD
        if composite >= self.fairly_good:
            return Grade.FAIRLY_GOOD
        if composite >= self.average:
            return Grade.AVERAGE
        return Grade.POOR


@dataclass(frozen=True)
class MetricRule:
    """An objective metric scores 100 at `target` or better, 0 at `floor` or worse.

    Linear in between. With `target` below `floor`, lower values are better (no-feedback share).
    """

    target: float
    floor: float
    weight: float = 1.0

    def __post_init__(self) -> None:
        _require(
            _is_number(self.target) and _is_number(self.floor) and self.target != self.floor,
            f"a metric's target and floor must be different numbers, got target "
            f"{self.target!r} and floor {self.floor!r}",
        )
        _require(
            _is_number(self.weight) and self.weight >= 0,
            f"a metric's weight must be 0 or more, got {self.weight!r}",
        )


# The reply-quality metrics are left out: a round measures them only when its scheme chooses
# them (a metric indicator), so that rounds configured before they existed score as they did.
DEFAULT_CASE_METRIC_RULES: Mapping[str, MetricRule] = MappingProxyType(
    {
        "response": MetricRule(target=0.95, floor=0.60),
        "resolution": MetricRule(target=0.90, floor=0.50),
        "satisfaction": MetricRule(target=0.90, floor=0.50),
        "on_time": MetricRule(target=0.95, floor=0.60),
        "no_feedback": MetricRule(target=0.10, floor=0.50),
    }
)


@dataclass(frozen=True)
class ResidentConfig:
    """How resident answers and case metrics become the residents' source score."""

    wilson_z: float = 1.96
    prior_mean: float = 3.0
    prior_weight: float = 10.0
    min_responses: int = 30
    min_cases: int = 10
    rating_weight: float = 40.0
    yes_no_weight: float = 30.0
    cases_weight: float = 30.0
    case_metrics: Mapping[str, MetricRule] = field(
        default_factory=lambda: DEFAULT_CASE_METRIC_RULES
    )

    def __post_init__(self) -> None:
        _require(
            _is_number(self.wilson_z) and self.wilson_z > 0,
            f"wilson_z must be above 0, got {self.wilson_z!r}",
        )
        _require(
            _is_number(self.prior_mean) and 1 <= self.prior_mean <= 5,
            f"prior_mean is a satisfaction level and must lie within 1–5, got {self.prior_mean!r}",
        )
        _require(
            _is_number(self.prior_weight) and self.prior_weight >= 0,
            f"prior_weight must be 0 or more, got {self.prior_weight!r}",
        )
        _require(
            isinstance(self.min_responses, int) and self.min_responses >= 1,
            f"min_responses must be a whole number of at least 1, got {self.min_responses!r}",
        )
        _require(
            isinstance(self.min_cases, int) and self.min_cases >= 1,
            f"min_cases must be a whole number of at least 1, got {self.min_cases!r}",
        )
        parts = (self.rating_weight, self.yes_no_weight, self.cases_weight)
        _require(
            all(_is_number(weight) and weight >= 0 for weight in parts)
            and abs(sum(parts) - 100) <= WEIGHT_TOLERANCE,
            "the residents' part weights must be 0 or more and add up to 100, got rating "
            f"{self.rating_weight:g} + yes/no {self.yes_no_weight:g} + cases "
            f"{self.cases_weight:g}",
        )
        unknown = sorted(set(self.case_metrics) - set(CASE_METRICS))
        _require(
            not unknown,
            f"unknown case metrics {unknown}; known: {', '.join(CASE_METRICS)}",
        )
        object.__setattr__(self, "case_metrics", MappingProxyType(dict(self.case_metrics)))


@dataclass(frozen=True)
class ScoringConfig:
    """Every setting of the method; defaults as in docs/SCORING.md."""

    weights: SourceWeights = field(default_factory=SourceWeights)
    weights_by_class: Mapping[str, SourceWeights] = field(default_factory=dict)
    cuts: GradeCuts = field(default_factory=GradeCuts)
    residents: ResidentConfig = field(default_factory=ResidentConfig)
    trim_from_raters: int = 5
    trim_each_end: int = 1
    satisfaction_gate: float = 0.90
    satisfaction_cap: Grade = Grade.AVERAGE
    # None: the fairly_good cut point, so 好 needs residents who alone would say at least 较好.
    good_min_resident_score: float | None = None
    self_inflation_margin: float = 15.0
    sensitivity_shift: float = 10.0

    def __post_init__(self) -> None:
        _require(
            isinstance(self.trim_each_end, int) and self.trim_each_end >= 1,
            f"trim_each_end must be a whole number of at least 1, got {self.trim_each_end!r}",
        )
        _require(
            isinstance(self.trim_from_raters, int)
            and self.trim_from_raters > 2 * self.trim_each_end,
            "trim_from_raters must exceed twice trim_each_end so that a trimmed mean keeps a "
            f"rater, got trim_from_raters {self.trim_from_raters!r} and trim_each_end "
            f"{self.trim_each_end!r}",
        )
        _require(
            _is_number(self.satisfaction_gate) and 0 <= self.satisfaction_gate <= 1,
            f"satisfaction_gate is a share within 0–1, got {self.satisfaction_gate!r}",
        )
        _require(
            self.good_min_resident_score is None
            or (
                _is_number(self.good_min_resident_score)
                and 0 <= self.good_min_resident_score <= 100
            ),
            f"good_min_resident_score must lie within 0–100, got {self.good_min_resident_score!r}",
        )
        _require(
            _is_number(self.self_inflation_margin) and self.self_inflation_margin >= 0,
            f"self_inflation_margin must be 0 or more, got {self.self_inflation_margin!r}",
        )
        _require(
            _is_number(self.sensitivity_shift) and 0 < self.sensitivity_shift <= 100,
            f"sensitivity_shift must lie within 0–100 points, got {self.sensitivity_shift!r}",
        )
        object.__setattr__(self, "satisfaction_cap", Grade(self.satisfaction_cap))
        object.__setattr__(self, "weights_by_class", MappingProxyType(dict(self.weights_by_class)))

    def weights_for(self, unit_class: str) -> SourceWeights:
        return self.weights_by_class.get(unit_class, self.weights)

    @property
    def good_resident_minimum(self) -> float:
        if self.good_min_resident_score is None:
            return self.cuts.fairly_good
        return self.good_min_resident_score

    def sensitivity_scenarios(self) -> tuple[tuple[Source, float], ...]:
        shift = self.sensitivity_shift
        return tuple((source, points) for source in SOURCES for points in (-shift, shift))


# --------------------------------------------------------------------------------------------
# Indicator rules: one indicator's points as 0–100


def checklist_score(ticked: int, items: int) -> float:
    """Share of a checklist's items that are met."""
    _require(items >= 1, f"a checklist needs at least one item, got {items}")
    _require(0 <= ticked <= items, f"ticked items must lie within 0–{items}, got {ticked}")
    return 100.0 * ticked / items


def scale_score(value: float, top: float) -> float:
    """A point on a 0–`top` scale."""
    _require(top > 0, f"a scale's top must be above 0, got {top:g}")
    _require(0 <= value <= top, f"a scale value must lie within 0–{top:g}, got {value:g}")
    return 100.0 * value / top


def deduction_score(deducted: float, max_points: float) -> float:
    """Full points less deductions; deductions beyond the maximum stop at 0."""
    _require(max_points > 0, f"maximum points must be above 0, got {max_points:g}")
    _require(deducted >= 0, f"deducted points must be 0 or more, got {deducted:g}")
    return 100.0 * max(0.0, max_points - deducted) / max_points


def metric_score(value: float | None, rule: MetricRule) -> float | None:
    """An objective metric against its target and floor; None stays None (not measured)."""
    if value is None:
        return None
    position = (value - rule.floor) / (rule.target - rule.floor)
    return min(1.0, max(0.0, position)) * 100.0


def guarantee_metric_score(
    value: float | None, options: Mapping[str, object] | None
) -> float | None:
    """A guarantee metric's value scored by its indicator's options (`target`, `floor`).

    `metric_score` with the indicator's rule: 100 at the target or better, 0 at the floor or
    worse, linear between; None (not measured) stays None, so the indicator's weight goes to
    the other indicators, as a missing answer's does.
    """
    if value is None:
        return None
    options = options or {}
    target, floor = options.get("target"), options.get("floor")
    _require(
        isinstance(target, int | float) and isinstance(floor, int | float),
        f"a metric indicator needs a numeric target and floor, got {target!r} and {floor!r}",
    )
    return metric_score(value, MetricRule(target=float(target), floor=float(floor)))  # type: ignore[arg-type]


def share(numerator: float, denominator: float) -> float | None:
    """numerator ÷ denominator; None when there is nothing to divide by (not measured)."""
    if denominator <= 0:
        return None
    return numerator / denominator


def weighted_mean(scores: Sequence[float | None], weights: Sequence[float]) -> float | None:
    """Weighted mean over the scores that are there: missing ones give their weight to the rest.

    None when no score with a weight above 0 is there.
    """
    _require(
        len(scores) == len(weights),
        f"{len(scores)} scores but {len(weights)} weights",
    )
    total = 0.0
    weight_total = 0.0
    for score, weight in zip(scores, weights, strict=True):
        if score is not None:
            total += score * weight
            weight_total += weight
    if weight_total <= 0:
        return None
    return total / weight_total


# --------------------------------------------------------------------------------------------
# Residents' source


def wilson_lower_bound(successes: int, trials: int, z: float = 1.96) -> float | None:
    """Lower end of the Wilson score interval for a proportion; None without trials.

    (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), p = successes / n.
    """
    _require(
        0 <= successes <= trials,
        f"successes must lie within 0–{trials}, got {successes}",
    )
    if trials == 0:
        return None
    n = float(trials)
    share = successes / n
    z_squared = z * z
    centre = share + z_squared / (2 * n)
    margin = z * math.sqrt(share * (1 - share) / n + z_squared / (4 * n * n))
    # With no successes the bound is 0, which float cancellation would leave a hair below.
    return max(0.0, (centre - margin) / (1 + z_squared / n))


def bayesian_mean(total: float, count: int, prior_mean: float, prior_weight: float) -> float | None:
    """Mean of `count` answers summing to `total`, as if `prior_weight` more said `prior_mean`."""
    if count + prior_weight <= 0:
        return None
    return (prior_weight * prior_mean + total) / (prior_weight + count)


def rating_mean_to_score(mean: float) -> float:
    """A mean satisfaction level 1–5 on the 0–100 scale (1 → 0, 3 → 50, 5 → 100)."""
    return (mean - 1.0) * 25.0


@dataclass(frozen=True)
class ResidentTally:
    """A unit's survey answers: how many chose each satisfaction level 1–5, and yes/no answers."""

    ratings: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    yes: int = 0
    yes_no: int = 0

    def __post_init__(self) -> None:
        _require(
            len(self.ratings) == 5 and all(count >= 0 for count in self.ratings),
            f"ratings are five counts of 0 or more (levels 1–5), got {self.ratings!r}",
        )
        _require(
            0 <= self.yes <= self.yes_no,
            f"yes answers must lie within 0–{self.yes_no}, got {self.yes}",
        )


@dataclass(frozen=True)
class CaseTally:
    """A unit's case metrics for the round's period as (numerator, denominator) pairs."""

    response: tuple[int, int] = (0, 0)
    resolution: tuple[int, int] = (0, 0)
    satisfaction: tuple[int, int] = (0, 0)
    on_time: tuple[int, int] = (0, 0)
    no_feedback: tuple[int, int] = (0, 0)
    # (Σ reply totals in whole points, 100 × scored replies) and (perfunctory, scored replies).
    reply_quality: tuple[int, int] = (0, 0)
    perfunctory: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        for name, (numerator, denominator) in zip(CASE_METRICS, self.ratios(), strict=True):
            _require(
                0 <= numerator <= denominator,
                f"{name}: numerator must lie within 0–{denominator}, got {numerator}",
            )

    def ratios(self) -> tuple[tuple[int, int], ...]:
        return (
            self.response,
            self.resolution,
            self.satisfaction,
            self.on_time,
            self.no_feedback,
            self.reply_quality,
            self.perfunctory,
        )


@dataclass(frozen=True)
class ResidentScore:
    responses: int
    # Raw share of ratings 4–5, for the satisfaction gate; None below the minimum sample.
    satisfaction: float | None
    rating: float | None
    yes_no: float | None
    cases: float | None
    score: float | None


def case_metrics_score(cases: CaseTally, config: ResidentConfig) -> float | None:
    """Weighted mean of the metric scores whose denominator reaches `min_cases`."""
    scores: list[float | None] = []
    weights: list[float] = []
    for name, (numerator, denominator) in zip(CASE_METRICS, cases.ratios(), strict=True):
        rule = config.case_metrics.get(name)
        if rule is None:
            continue
        enough = denominator >= config.min_cases * CASE_METRIC_UNITS.get(name, 1)
        rate = numerator / denominator if enough else None
        scores.append(metric_score(rate, rule))
        weights.append(rule.weight)
    return weighted_mean(scores, weights)


def resident_score(
    answers: ResidentTally, cases: CaseTally, config: ResidentConfig
) -> ResidentScore:
    """The residents' source: survey ratings, yes/no answers and case metrics, shrunk.

    Without `min_responses` ratings the whole source is missing: case metrics refine what
    residents said but cannot stand in for a survey that did not happen.
    """
    responses = sum(answers.ratings)
    if responses < config.min_responses:
        return ResidentScore(responses, None, None, None, None, None)
    total = float(sum(level * count for level, count in enumerate(answers.ratings, start=1)))
    satisfied = answers.ratings[3] + answers.ratings[4]
    mean = bayesian_mean(total, responses, config.prior_mean, config.prior_weight)
    rating = None if mean is None else rating_mean_to_score(mean)
    yes_no = None
    if answers.yes_no >= config.min_responses:
        lower = wilson_lower_bound(answers.yes, answers.yes_no, config.wilson_z)
        yes_no = None if lower is None else 100.0 * lower
    cases_part = case_metrics_score(cases, config)
    score = weighted_mean(
        [rating, yes_no, cases_part],
        [config.rating_weight, config.yes_no_weight, config.cases_weight],
    )
    return ResidentScore(responses, satisfied / responses, rating, yes_no, cases_part, score)


# --------------------------------------------------------------------------------------------
# Superior's source


@dataclass(frozen=True)
class RaterSummary:
    count: int
    score: float | None
    trimmed: bool
    # Spread over all raters, trimmed ones included: it shows how much they disagreed.
    spread: float | None
    lowest: float | None
    highest: float | None


def aggregate_raters(scores: Sequence[float], config: ScoringConfig) -> RaterSummary:
    """Trimmed mean from `trim_from_raters` raters on (drop `trim_each_end` at each end).

    Fewer raters: the plain mean, as trimming 2 of 4 would leave too little. Spread is the
    population standard deviation (0 for a single rater).
    """
    _require(
        all(_is_number(score) and 0 <= score <= 100 for score in scores),
        f"rater scores must lie within 0–100, got {list(scores)!r}",
    )
    ordered = sorted(float(score) for score in scores)
    count = len(ordered)
    if count == 0:
        return RaterSummary(0, None, False, None, None, None)
    trimmed = count >= config.trim_from_raters
    kept = ordered[config.trim_each_end : count - config.trim_each_end] if trimmed else ordered
    score = sum(kept) / len(kept)
    mean = sum(ordered) / count
    spread = math.sqrt(sum((value - mean) ** 2 for value in ordered) / count)
    return RaterSummary(count, score, trimmed, spread, ordered[0], ordered[-1])


# --------------------------------------------------------------------------------------------
# Composite, grade, gates, flags


@dataclass(frozen=True)
class SourceScores:
    self_assessment: float | None = None
    residents: float | None = None
    superior: float | None = None

    def as_tuple(self) -> tuple[float | None, float | None, float | None]:
        return (self.self_assessment, self.residents, self.superior)


def round_score(value: float) -> float:
    """Two decimals, as shown; grades and ranks use the shown value so equal-looking scores tie.

    numpy's rounding, in both ways in, so that they agree to the bit.
    """
    return float(np.round(value, 2))


def composite_score(
    sources: SourceScores, weights: SourceWeights
) -> tuple[float | None, tuple[float, float, float]]:
    """Weighted mean of the sources that are there, and the weights they effectively got.

    A missing source's weight goes to the others in proportion to theirs: with self 10,
    residents 45, superior 45 and no self-assessment, residents and superior count 50 each.
    """
    total = 0.0
    weight_total = 0.0
    for score, weight in zip(sources.as_tuple(), weights.as_tuple(), strict=True):
        if score is not None:
            total += score * weight
            weight_total += weight
    if weight_total <= 0:
        return None, (0.0, 0.0, 0.0)
    used = tuple(
        100.0 * weight / weight_total if score is not None else 0.0
        for score, weight in zip(sources.as_tuple(), weights.as_tuple(), strict=True)
    )
    return round_score(total / weight_total), (used[0], used[1], used[2])


def is_self_inflated(sources: SourceScores, margin: float) -> bool:
    """Self-assessment above the plain mean of the other sources there by more than `margin`."""
    others = [score for score in (sources.residents, sources.superior) if score is not None]
    if sources.self_assessment is None or not others:
        return False
    return sources.self_assessment - sum(others) / len(others) > margin


@dataclass(frozen=True)
class Judgement:
    composite: float | None
    weights_used: tuple[float, float, float]
    grade_before_gates: Grade | None
    grade: Grade | None
    capped_by: tuple[Gate, ...]
    self_inflated: bool


def _capped(grade: Grade, cap: Grade) -> Grade:
    return GRADES[max(GRADES.index(grade), GRADES.index(cap))]


def judge_unit(
    sources: SourceScores,
    *,
    unit_class: str,
    satisfaction: float | None,
    config: ScoringConfig,
) -> Judgement:
    """Composite, grade and gates of one unit from its source scores.

    Gates only ever lower a grade. `capped_by` lists each gate whose cap is below the grade the
    composite alone gives:
    - residents' satisfaction (share of ratings 4–5) known and below `satisfaction_gate`:
      at most `satisfaction_cap` (一般);
    - residents' source missing or below `good_resident_minimum`: at most 较好, so the
      superior's score (with the self-assessment) alone never produces 好.
    """
    composite, used = composite_score(sources, config.weights_for(unit_class))
    inflated = is_self_inflated(sources, config.self_inflation_margin)
    if composite is None:
        return Judgement(None, used, None, None, (), inflated)
    before = config.cuts.grade(composite)
    grade = before
    capped_by: list[Gate] = []
    if satisfaction is not None and satisfaction < config.satisfaction_gate:
        if GRADES.index(before) < GRADES.index(config.satisfaction_cap):
            capped_by.append(Gate.LOW_SATISFACTION)
        grade = _capped(grade, config.satisfaction_cap)
    if sources.residents is None or sources.residents < config.good_resident_minimum:
        if before is Grade.GOOD:
            capped_by.append(Gate.GOOD_NEEDS_RESIDENTS)
        grade = _capped(grade, Grade.FAIRLY_GOOD)
    return Judgement(composite, used, before, grade, tuple(capped_by), inflated)


# --------------------------------------------------------------------------------------------
# Per-unit API


@dataclass(frozen=True)
class UnitScores:
    """Everything the method needs about one unit in one round."""

    unit_class: str
    peer_group: Hashable
    self_score: float | None = None
    rater_scores: tuple[float, ...] = ()
    answers: ResidentTally = field(default_factory=ResidentTally)
    cases: CaseTally = field(default_factory=CaseTally)

    def __post_init__(self) -> None:
        _require(
            self.self_score is None
            or (_is_number(self.self_score) and 0 <= self.self_score <= 100),
            f"a self-assessment score must lie within 0–100, got {self.self_score!r}",
        )


@dataclass(frozen=True)
class RankShift:
    """A unit's rank when `source`'s weight moves by `points`; movement > 0 means lower down."""

    source: Source
    points: float
    rank: int | None
    movement: int | None


@dataclass(frozen=True)
class UnitResult:
    sources: SourceScores
    residents: ResidentScore
    superior: RaterSummary
    judgement: Judgement
    rank: int | None = None
    rank_shifts: tuple[RankShift, ...] = ()

    @property
    def composite(self) -> float | None:
        return self.judgement.composite

    @property
    def grade(self) -> Grade | None:
        return self.judgement.grade


def score_unit(unit: UnitScores, config: ScoringConfig) -> UnitResult:
    """One unit's sources, composite, grade and flags; ranks need its peers (`score_units`)."""
    residents = resident_score(unit.answers, unit.cases, config.residents)
    superior = aggregate_raters(unit.rater_scores, config)
    sources = SourceScores(unit.self_score, residents.score, superior.score)
    judgement = judge_unit(
        sources,
        unit_class=unit.unit_class,
        satisfaction=residents.satisfaction,
        config=config,
    )
    return UnitResult(sources, residents, superior, judgement)


def rank_in_groups(
    scores: Mapping[Key, float | None], groups: Mapping[Key, Hashable]
) -> dict[Key, int | None]:
    """Competition ranking ("1224") by score, highest first, within each peer group.

    Units with equal scores share the best of their places and the next unit's rank counts
    them all. A unit without a score has no rank.
    """
    by_group: dict[Hashable, list[float]] = {}
    for key, score in scores.items():
        if score is not None:
            by_group.setdefault(groups[key], []).append(score)
    for group_scores in by_group.values():
        group_scores.sort(reverse=True)
    ranks: dict[Key, int | None] = {}
    for key, score in scores.items():
        if score is None:
            ranks[key] = None
        else:
            ranks[key] = 1 + sum(1 for other in by_group[groups[key]] if other > score)
    return ranks


def sensitivity(
    sources: Mapping[Key, SourceScores],
    *,
    unit_class: Mapping[Key, str],
    peer_group: Mapping[Key, Hashable],
    config: ScoringConfig,
) -> dict[Key, tuple[RankShift, ...]]:
    """Each unit's rank when each source's weight moves by ±`sensitivity_shift` points.

    The other two sources share the rest in their former ratio (`SourceWeights.shifted`), per
    unit class; missing sources renormalise as always. Movement is against the rank under the
    configured weights.
    """
    base = rank_in_groups(
        {
            key: composite_score(scores, config.weights_for(unit_class[key]))[0]
            for key, scores in sources.items()
        },
        peer_group,
    )
    shifts: dict[Key, list[RankShift]] = {key: [] for key in sources}
    for source, points in config.sensitivity_scenarios():
        composites = {
            key: composite_score(
                scores, config.weights_for(unit_class[key]).shifted(source, points)
            )[0]
            for key, scores in sources.items()
        }
        for key, rank in rank_in_groups(composites, peer_group).items():
            before = base[key]
            movement = None if rank is None or before is None else rank - before
            shifts[key].append(RankShift(source, points, rank, movement))
    return {key: tuple(unit_shifts) for key, unit_shifts in shifts.items()}


def score_units(units: Mapping[Key, UnitScores], config: ScoringConfig) -> dict[Key, UnitResult]:
    """A whole round unit by unit: results with ranks within peer groups and rank shifts."""
    results = {key: score_unit(unit, config) for key, unit in units.items()}
    groups = {key: unit.peer_group for key, unit in units.items()}
    ranks = rank_in_groups({key: result.composite for key, result in results.items()}, groups)
    shifts = sensitivity(
        {key: result.sources for key, result in results.items()},
        unit_class={key: unit.unit_class for key, unit in units.items()},
        peer_group=groups,
        config=config,
    )
    return {
        key: replace(result, rank=ranks[key], rank_shifts=shifts[key])
        for key, result in results.items()
    }


# --------------------------------------------------------------------------------------------
# Vectorised API: raw rows to tallies


# Codes of `tally_resident_answers`' `kind`.
ANSWER_RATING = 0
ANSWER_YES_NO = 1


def _check_codes(name: str, codes: NDArray[np.integer], top: int) -> None:
    if codes.size and (int(codes.min()) < 0 or int(codes.max()) > top):
        raise ValueError(f"{name} codes must lie within 0–{top}")


def _unit_keys(unit: NDArray[np.integer], code: NDArray[np.integer], width: int) -> IntArray:
    key = np.multiply(unit, width, dtype=np.int64)
    key += code
    return key


def _count_keys(key: IntArray, width: int, n_units: int) -> IntArray:
    """Counts of `unit·width + code` keys as an (n_units, width) table, in one bincount.

    A narrow table stays in the CPU cache, which is what makes ten million rows cheap.
    """
    counts = np.bincount(key, minlength=n_units * width)
    if counts.size != n_units * width:
        raise ValueError(f"unit indexes must lie within 0–{n_units - 1}")
    return counts.reshape(n_units, width)


def tally_resident_answers(
    unit: NDArray[np.integer],
    kind: NDArray[np.integer],
    value: NDArray[np.integer],
    n_units: int,
) -> tuple[IntArray, IntArray, IntArray]:
    """Survey answer rows to (ratings (n, 5) by level 1–5, yes (n,), yes/no answers (n,)).

    `kind` is ANSWER_RATING (value 1–5) or ANSWER_YES_NO (value 1 yes, 0 no).
    """
    _check_codes("kind", kind, 1)
    _check_codes("answer value", value, 7)
    # Ratings land in columns 1–5 and yes/no answers in 8 ("no") and 9 ("yes"); a count in any
    # other column is a bad value, found without a pass over the rows of its own.
    table = _count_keys(_unit_keys(unit, kind * np.int8(8) + value, 16), 16, n_units)
    _require(
        not table[:, [0, 6, 7, *range(10, 16)]].any(),
        "answer values must be 1–5 for ratings and 0 or 1 for yes/no questions",
    )
    return (
        np.ascontiguousarray(table[:, 1:6]),
        np.ascontiguousarray(table[:, 9]),
        table[:, 8] + table[:, 9],
    )


@dataclass(frozen=True)
class CaseRows:
    """One entry per case, as small state codes (the case rates' definitions decide them).

    - response: 0 not due yet, 1 due and not responded to in time, 2 responded in time
    - resolution_time: 0 not resolved in the period, 1 resolved late, 2 resolved in time
    - answer (latest feedback round): 0 none, 1 solved, 2 partly solved, 3 not solved
    - rating: 0 none, 1–5
    - closure: 0 not closed after a resolution, 1 closed on feedback, 2 closed for no feedback
    """

    unit: NDArray[np.integer]
    response: NDArray[np.integer]
    resolution_time: NDArray[np.integer]
    answer: NDArray[np.integer]
    rating: NDArray[np.integer]
    closure: NDArray[np.integer]


# Rows per chunk in `tally_cases`: 2 MiB of keys, which stay in cache while counted.
CASE_CHUNK = 1 << 18


def tally_cases(rows: CaseRows, n_units: int) -> tuple[IntArray, IntArray]:
    """Case rows to numerators and denominators, each (n_units, 7) in CASE_METRICS order.

    Only the first ROW_CASE_METRICS come from the rows; the reply-quality columns are 0 (not
    measured) here: the caller adds them from the stored reply scores.
    """
    _check_codes("response", rows.response, 2)
    _check_codes("resolution_time", rows.resolution_time, 2)
    _check_codes("closure", rows.closure, 2)
    _check_codes("answer", rows.answer, 3)
    _check_codes("rating", rows.rating, 5)
    # Two narrow tables rather than one of 3·3·3·4·6 codes, so that each stays in cache; the
    # second reuses the first's keys in place, as building keys costs as much as counting. In
    # chunks, so that the keys too are counted from cache rather than from memory.
    width = 27
    timing_counts = np.zeros((n_units, width), dtype=np.int64)
    answer_counts = np.zeros((n_units, width), dtype=np.int64)
    for start in range(0, rows.unit.shape[0], CASE_CHUNK):
        chunk = slice(start, start + CASE_CHUNK)
        timing_code = (
            rows.response[chunk] * np.int8(9)
            + rows.resolution_time[chunk] * np.int8(3)
            + rows.closure[chunk]
        )
        answer_code = rows.answer[chunk] * np.int8(6) + rows.rating[chunk]
        key = _unit_keys(rows.unit[chunk], timing_code, width)
        timing_counts += _count_keys(key, width, n_units)
        key += np.subtract(answer_code, timing_code, dtype=np.int16)
        answer_counts += _count_keys(key, width, n_units)
    timing = timing_counts.reshape(n_units, 3, 3, 3)
    answers = answer_counts[:, :24].reshape(n_units, 4, 6)
    by_response = timing.sum(axis=(2, 3))
    by_resolution_time = timing.sum(axis=(1, 3))
    by_closure = timing.sum(axis=(1, 2))
    by_answer = answers.sum(axis=2)
    by_rating = answers.sum(axis=1)
    numerators = np.stack(
        [
            by_response[:, 2],
            by_answer[:, 1] + by_answer[:, 2],
            by_rating[:, 4] + by_rating[:, 5],
            by_resolution_time[:, 2],
            by_closure[:, 2],
        ],
        axis=1,
    )
    denominators = np.stack(
        [
            by_response[:, 1] + by_response[:, 2],
            by_answer[:, 1:].sum(axis=1),
            by_rating[:, 1:].sum(axis=1),
            by_resolution_time[:, 1] + by_resolution_time[:, 2],
            by_closure[:, 1] + by_closure[:, 2],
        ],
        axis=1,
    )
    padding = np.zeros((n_units, len(CASE_METRICS) - ROW_CASE_METRICS), dtype=np.int64)
    return (
        np.hstack([numerators.astype(np.int64), padding]),
        np.hstack([denominators.astype(np.int64), padding]),
    )


# --------------------------------------------------------------------------------------------
# Vectorised API: the round


@dataclass(frozen=True)
class RoundInput:
    """A round as columns: unit i is row i of every per-unit array.

    - unit_class: index into `class_names` (whose weights come from the configuration)
    - peer_group: any integer code; ranks are per code
    - self_score: NaN where no self-assessment was submitted
    - rater_unit / rater_score: one entry per superior rater's score (0–100)
    - ratings (n, 5), yes, yes_no: from `tally_resident_answers`
    - case_numerators / case_denominators (n, 7): from `tally_cases` (reply columns added)
    """

    class_names: tuple[str, ...]
    unit_class: NDArray[np.integer]
    peer_group: NDArray[np.integer]
    self_score: FloatArray
    rater_unit: NDArray[np.integer]
    rater_score: FloatArray
    ratings: NDArray[np.integer]
    yes: NDArray[np.integer]
    yes_no: NDArray[np.integer]
    case_numerators: NDArray[np.integer]
    case_denominators: NDArray[np.integer]

    @property
    def n_units(self) -> int:
        return int(self.unit_class.shape[0])

    def __post_init__(self) -> None:
        n = self.n_units
        for name, shape in (
            ("peer_group", (n,)),
            ("self_score", (n,)),
            ("ratings", (n, 5)),
            ("yes", (n,)),
            ("yes_no", (n,)),
            ("case_numerators", (n, len(CASE_METRICS))),
            ("case_denominators", (n, len(CASE_METRICS))),
        ):
            actual = getattr(self, name).shape
            _require(actual == shape, f"{name} must have shape {shape}, got {actual}")
        _require(
            self.rater_unit.shape == self.rater_score.shape,
            "rater_unit and rater_score must have the same length",
        )
        if n:
            _check_codes("unit_class", self.unit_class, len(self.class_names) - 1)
        if self.rater_unit.size:
            _check_codes("rater_unit", self.rater_unit, n - 1)
            _require(
                bool(np.all((self.rater_score >= 0) & (self.rater_score <= 100))),
                "rater scores must lie within 0–100",
            )
        present_self = self.self_score[~np.isnan(self.self_score)]
        _require(
            bool(np.all((present_self >= 0) & (present_self <= 100))),
            "self-assessment scores must lie within 0–100",
        )


@dataclass(frozen=True)
class RoundResult:
    """Per-unit columns; NaN where a score is missing, rank 0 where there is none.

    Grades are positions in GRADES, NO_GRADE (-1) without a composite. `sensitivity_ranks`
    has one column per `scenarios` entry (source, points).
    """

    self_score: FloatArray
    resident_score: FloatArray
    superior_score: FloatArray
    responses: IntArray
    satisfaction: FloatArray
    rating_score: FloatArray
    yes_no_score: FloatArray
    case_score: FloatArray
    rater_count: IntArray
    rater_trimmed: BoolArray
    rater_spread: FloatArray
    rater_lowest: FloatArray
    rater_highest: FloatArray
    composite: FloatArray
    weights_used: FloatArray
    grade_before_gates: NDArray[np.int8]
    grade: NDArray[np.int8]
    capped_low_satisfaction: BoolArray
    capped_good_needs_residents: BoolArray
    self_inflated: BoolArray
    rank: IntArray
    scenarios: tuple[tuple[Source, float], ...]
    sensitivity_ranks: IntArray

    @property
    def max_rank_movement(self) -> IntArray:
        """Largest rank change of each unit over the scenarios (0 for unranked units)."""
        ranked = (self.sensitivity_ranks > 0) & (self.rank > 0)[:, None]
        moved = np.where(ranked, np.abs(self.sensitivity_ranks - self.rank[:, None]), 0)
        result: IntArray = moved.max(axis=1, initial=0)
        return result

    def unit_result(self, index: int) -> UnitResult:
        """Row `index` in the per-unit shape (for pages and for comparing the two ways in)."""

        def optional(array: FloatArray) -> float | None:
            value = float(array[index])
            return None if math.isnan(value) else value

        def optional_grade(array: NDArray[np.int8]) -> Grade | None:
            position = int(array[index])
            return None if position == NO_GRADE else GRADES[position]

        capped_by: list[Gate] = []
        if self.capped_low_satisfaction[index]:
            capped_by.append(Gate.LOW_SATISFACTION)
        if self.capped_good_needs_residents[index]:
            capped_by.append(Gate.GOOD_NEEDS_RESIDENTS)
        rank = int(self.rank[index]) or None
        shifts = []
        for column, (source, points) in enumerate(self.scenarios):
            shifted = int(self.sensitivity_ranks[index, column]) or None
            movement = None if shifted is None or rank is None else shifted - rank
            shifts.append(RankShift(source, points, shifted, movement))
        used = self.weights_used[index]
        count = int(self.rater_count[index])
        return UnitResult(
            sources=SourceScores(
                optional(self.self_score),
                optional(self.resident_score),
                optional(self.superior_score),
            ),
            residents=ResidentScore(
                int(self.responses[index]),
                optional(self.satisfaction),
                optional(self.rating_score),
                optional(self.yes_no_score),
                optional(self.case_score),
                optional(self.resident_score),
            ),
            superior=RaterSummary(
                count,
                optional(self.superior_score),
                bool(self.rater_trimmed[index]),
                optional(self.rater_spread),
                optional(self.rater_lowest),
                optional(self.rater_highest),
            ),
            judgement=Judgement(
                optional(self.composite),
                (float(used[0]), float(used[1]), float(used[2])),
                optional_grade(self.grade_before_gates),
                optional_grade(self.grade),
                tuple(capped_by),
                bool(self.self_inflated[index]),
            ),
            rank=rank,
            rank_shifts=tuple(shifts),
        )


def _weighted_mean_columns(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Row-wise `weighted_mean`: NaN entries give their weight to the others; NaN if none."""
    present = ~np.isnan(values)
    used_weights = np.where(present, weights, 0.0)
    weighted = np.where(present, values, 0.0) * used_weights
    weight_total = used_weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: FloatArray = weighted.sum(axis=1) / weight_total
    mean[weight_total <= 0] = np.nan
    return mean


def _wilson_columns(successes: IntArray, trials: IntArray, z: float) -> FloatArray:
    n = trials.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = successes / n
        z_squared = z * z
        centre = share + z_squared / (2 * n)
        margin = z * np.sqrt(share * (1 - share) / n + z_squared / (4 * n * n))
        lower: FloatArray = np.maximum((centre - margin) / (1 + z_squared / n), 0.0)
    return lower


def _resident_columns(
    data: RoundInput, config: ResidentConfig
) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    ratings = data.ratings.astype(np.int64)
    responses = ratings.sum(axis=1)
    present = responses >= config.min_responses
    total = (ratings * np.arange(1, 6)).sum(axis=1).astype(np.float64)
    satisfied = ratings[:, 3] + ratings[:, 4]
    with np.errstate(invalid="ignore", divide="ignore"):
        satisfaction = np.where(present, satisfied / responses, np.nan)
    mean = (config.prior_weight * config.prior_mean + total) / (config.prior_weight + responses)
    rating = np.where(present, (mean - 1.0) * 25.0, np.nan)

    yes_no_present = data.yes_no >= config.min_responses
    wilson = _wilson_columns(
        data.yes.astype(np.int64), data.yes_no.astype(np.int64), config.wilson_z
    )
    yes_no = np.where(present & yes_no_present, 100.0 * wilson, np.nan)

    names = [name for name in CASE_METRICS if name in config.case_metrics]
    columns = [CASE_METRICS.index(name) for name in names]
    rules = [config.case_metrics[name] for name in names]
    numerators = data.case_numerators[:, columns].astype(np.float64)
    denominators = data.case_denominators[:, columns]
    targets = np.array([rule.target for rule in rules])
    floors = np.array([rule.floor for rule in rules])
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = numerators / denominators
        metric_scores = np.clip((rates - floors) / (targets - floors), 0.0, 1.0) * 100.0
    units = np.array([CASE_METRIC_UNITS.get(name, 1) for name in names], dtype=np.int64)
    metric_scores[denominators < config.min_cases * units] = np.nan
    cases = _weighted_mean_columns(
        metric_scores, np.array([rule.weight for rule in rules], dtype=np.float64)
    )

    parts = np.stack([rating, yes_no, cases], axis=1)
    part_weights = np.array(
        [config.rating_weight, config.yes_no_weight, config.cases_weight], dtype=np.float64
    )
    score = _weighted_mean_columns(parts, part_weights)
    score[~present] = np.nan
    cases[~present] = np.nan
    return responses, satisfaction, rating, yes_no, cases, score


def _rater_columns(
    data: RoundInput, config: ScoringConfig
) -> tuple[FloatArray, IntArray, BoolArray, FloatArray, FloatArray, FloatArray]:
    n = data.n_units
    order = np.lexsort((data.rater_score, data.rater_unit))
    unit = data.rater_unit[order].astype(np.int64)
    score = data.rater_score[order].astype(np.float64)
    count = np.bincount(unit, minlength=n)
    start = np.cumsum(count) - count
    position = np.arange(unit.size) - start[unit]
    trimmed = count >= config.trim_from_raters
    cut = config.trim_each_end
    keep = ~trimmed[unit] | ((position >= cut) & (position < count[unit] - cut))
    kept_count = np.bincount(unit, weights=keep, minlength=n)
    kept_total = np.bincount(unit, weights=np.where(keep, score, 0.0), minlength=n)
    total = np.bincount(unit, weights=score, minlength=n)
    has_raters = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        aggregate = np.where(has_raters, kept_total / kept_count, np.nan)
        mean = total / count
        squares = np.bincount(unit, weights=(score - mean[unit]) ** 2, minlength=n)
        spread = np.where(has_raters, np.sqrt(squares / count), np.nan)
    lowest = np.full(n, np.nan)
    highest = np.full(n, np.nan)
    lowest[has_raters] = score[start[has_raters]]
    highest[has_raters] = score[start[has_raters] + count[has_raters] - 1]
    return aggregate, count.astype(np.int64), trimmed, spread, lowest, highest


def _composite_columns(sources: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    present = ~np.isnan(sources)
    used_weights = np.where(present, weights, 0.0)
    weight_total = used_weights.sum(axis=1)
    weighted = np.where(present, sources, 0.0) * used_weights
    with np.errstate(invalid="ignore", divide="ignore"):
        composite = np.round(weighted.sum(axis=1) / weight_total, 2)
        used: FloatArray = 100.0 * used_weights / weight_total[:, None]
    missing = weight_total <= 0
    composite[missing] = np.nan
    used[missing] = 0.0
    return composite, used


def rank_in_groups_columns(score: FloatArray, group: NDArray[np.integer]) -> IntArray:
    """`rank_in_groups` over arrays: competition ranks per group, 0 where the score is NaN."""
    rank = np.zeros(score.shape[0], dtype=np.int64)
    scored = np.flatnonzero(~np.isnan(score))
    if scored.size == 0:
        return rank
    order = scored[np.lexsort((-score[scored], group[scored]))]
    sorted_group = group[order]
    sorted_score = score[order]
    position = np.arange(order.size)
    group_starts = np.empty(order.size, dtype=bool)
    group_starts[0] = True
    group_starts[1:] = sorted_group[1:] != sorted_group[:-1]
    value_starts = group_starts.copy()
    value_starts[1:] |= sorted_score[1:] != sorted_score[:-1]
    group_start = np.maximum.accumulate(np.where(group_starts, position, 0))
    value_start = np.maximum.accumulate(np.where(value_starts, position, 0))
    rank[order] = value_start - group_start + 1
    return rank


def _grade_columns(composite: FloatArray, cuts: GradeCuts) -> NDArray[np.int8]:
    grade = np.select(
        [composite >= cuts.good, composite >= cuts.fairly_good, composite >= cuts.average],
        [0, 1, 2],
        default=3,
    ).astype(np.int8)
    grade[np.isnan(composite)] = NO_GRADE
    return grade


def score_round(data: RoundInput, config: ScoringConfig) -> RoundResult:
    """The whole round at once; the same numbers as `score_units`, unit by unit."""
    responses, satisfaction, rating, yes_no, cases, resident = _resident_columns(
        data, config.residents
    )
    superior, rater_count, trimmed, spread, lowest, highest = _rater_columns(data, config)
    self_score = data.self_score.astype(np.float64)
    sources = np.stack([self_score, resident, superior], axis=1)

    class_weights = np.array(
        [config.weights_for(name).as_tuple() for name in data.class_names], dtype=np.float64
    ).reshape(len(data.class_names), 3)
    composite, used = _composite_columns(sources, class_weights[data.unit_class])

    before = _grade_columns(composite, config.cuts)
    graded = before != NO_GRADE
    satisfaction_cap = GRADES.index(config.satisfaction_cap)
    low_satisfaction = ~np.isnan(satisfaction) & (satisfaction < config.satisfaction_gate)
    capped_low_satisfaction = graded & low_satisfaction & (before < satisfaction_cap)
    weak_residents = np.isnan(resident) | (resident < config.good_resident_minimum)
    capped_good = graded & weak_residents & (before == GRADES.index(Grade.GOOD))
    grade = before.copy()
    grade[graded & low_satisfaction] = np.maximum(
        grade[graded & low_satisfaction], satisfaction_cap
    )
    fairly_good = GRADES.index(Grade.FAIRLY_GOOD)
    grade[graded & weak_residents] = np.maximum(grade[graded & weak_residents], fairly_good)

    others = sources[:, 1:]
    others_present = ~np.isnan(others)
    others_count = others_present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        others_mean = np.where(others_present, others, 0.0).sum(axis=1) / others_count
        self_inflated = (
            ~np.isnan(self_score)
            & (others_count > 0)
            & (self_score - others_mean > config.self_inflation_margin)
        )

    rank = rank_in_groups_columns(composite, data.peer_group)
    scenarios = config.sensitivity_scenarios()
    sensitivity_ranks = np.zeros((data.n_units, len(scenarios)), dtype=np.int64)
    for column, (source, points) in enumerate(scenarios):
        shifted = np.array(
            [
                config.weights_for(name).shifted(source, points).as_tuple()
                for name in data.class_names
            ],
            dtype=np.float64,
        ).reshape(len(data.class_names), 3)
        shifted_composite, _ = _composite_columns(sources, shifted[data.unit_class])
        sensitivity_ranks[:, column] = rank_in_groups_columns(shifted_composite, data.peer_group)

    return RoundResult(
        self_score=self_score,
        resident_score=resident,
        superior_score=superior,
        responses=responses,
        satisfaction=satisfaction,
        rating_score=rating,
        yes_no_score=yes_no,
        case_score=cases,
        rater_count=rater_count,
        rater_trimmed=trimmed,
        rater_spread=spread,
        rater_lowest=lowest,
        rater_highest=highest,
        composite=composite,
        weights_used=used,
        grade_before_gates=before,
        grade=grade,
        capped_low_satisfaction=capped_low_satisfaction,
        capped_good_needs_residents=capped_good,
        self_inflated=self_inflated,
        rank=rank,
        scenarios=scenarios,
        sensitivity_ranks=sensitivity_ranks,
    )
