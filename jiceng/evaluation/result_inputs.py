"""What the results read from the stages: self, rater and resident inputs per unit in a round.

These stand in for the stage selectors colleagues are writing (`round_selectors.self_scores`,
`round_selectors.rater_scores`, `survey_selectors.resident_tallies`) with the same signatures,
so that switching is one import line in `result_services`. They compute from the rows directly:

- an indicator's score (0–100): checklist = items met ÷ items (from `items_met` when the
  snapshot lists items, else points ÷ maximum points); scale = points ÷ the scale's top;
  deduction and anything else = points ÷ maximum points (points are the points awarded);
  metric indicators are left out (case data scores them, in the residents' source);
- a dimension's score: the weighted mean of its scored indicators; a source's score: the
  weighted mean of its dimensions (missing ones give their weight to the rest, as scoring does);
- self: submitted self-assessments only; raters: submitted ratings only, one score per rater;
- residents: answers of responses without an `excluded_reason`: every satisfaction answer and
  every matrix row is a rating 1–5; a single-choice question with a `yes_option` is a yes/no
  answer.

Every function is keyed by RoundUnit id and costs a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from jiceng.evaluation.models import (
    Answer,
    AssessmentStatus,
    QuestionKind,
    Round,
    RoundUnit,
    SelfScore,
    SuperiorScore,
)
from jiceng.evaluation.scoring import ResidentTally, weighted_mean

# indicator code → (dimension code, indicator dict, dimension weight)
Indicators = dict[str, tuple[str, dict[str, Any], float]]


def _indicators(round_: Round, unit_class: str, stage_flag: str) -> Indicators:
    scheme = round_.snapshot.get("schemes", {}).get(unit_class)
    found: Indicators = {}
    if scheme is None:
        return found
    for dimension in scheme["dimensions"]:
        for indicator in dimension["indicators"]:
            if indicator.get("rule") == "metric" or not indicator.get(stage_flag, True):
                continue
            found[indicator["code"]] = (dimension["code"], indicator, float(dimension["weight"]))
    return found


def indicator_score(
    indicator: dict[str, Any], points: Decimal | None, items_met: list[Any]
) -> float | None:
    options = indicator.get("rule_options") or {}
    maximum = float(indicator.get("max_points") or 0)
    if indicator.get("rule") == "checklist" and options.get("items"):
        return 100.0 * min(len(set(items_met)), len(options["items"])) / len(options["items"])
    if points is None:
        return None
    top = float(options.get("top") or 0) if indicator.get("rule") == "scale" else maximum
    if top <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * float(points) / top))


def dimension_scores(
    indicators: Indicators, scores: Iterable[tuple[str, Decimal | None, list[Any]]]
) -> dict[str, float]:
    """Weighted mean per dimension over the indicators scored."""
    by_dimension: dict[str, tuple[list[float | None], list[float]]] = defaultdict(lambda: ([], []))
    for code, points, items_met in scores:
        known = indicators.get(code)
        if known is None:
            continue
        dimension, indicator, _weight = known
        values, weights = by_dimension[dimension]
        values.append(indicator_score(indicator, points, items_met))
        weights.append(float(indicator["weight"]))
    result = {}
    for dimension, (values, weights) in by_dimension.items():
        mean = weighted_mean(values, weights)
        if mean is not None:
            result[dimension] = mean
    return result


def source_score(indicators: Indicators, dimensions: dict[str, float]) -> float | None:
    weights = {dimension: weight for dimension, _indicator, weight in indicators.values()}
    codes = list(weights)
    score = weighted_mean([dimensions.get(code) for code in codes], [weights[c] for c in codes])
    return None if score is None else round(score, 4)


def _classes(round_: Round) -> dict[int, str]:
    return dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit_class"))


def self_dimensions(round_: Round) -> dict[int, dict[str, float]]:
    """Dimension scores of each submitted self-assessment."""
    classes = _classes(round_)
    indicators = {cls: _indicators(round_, cls, "scored_by_self") for cls in set(classes.values())}
    rows: dict[int, list[tuple[str, Decimal | None, list[Any]]]] = defaultdict(list)
    for unit_id, code, points, items in SelfScore.objects.filter(
        assessment__round_unit__round=round_, assessment__status=AssessmentStatus.SUBMITTED
    ).values_list("assessment__round_unit_id", "indicator_code", "points", "items_met"):
        rows[unit_id].append((code, points, items or []))
    return {
        unit_id: dimension_scores(indicators[classes[unit_id]], scores)
        for unit_id, scores in rows.items()
    }


def rater_dimensions(round_: Round) -> dict[int, list[dict[str, float]]]:
    """Dimension scores of each submitted rating, per unit (one entry per rater)."""
    classes = _classes(round_)
    indicators = {
        cls: _indicators(round_, cls, "scored_by_superior") for cls in set(classes.values())
    }
    rows: dict[tuple[int, int], list[tuple[str, Decimal | None, list[Any]]]] = defaultdict(list)
    for unit_id, rating_id, code, points, items in (
        SuperiorScore.objects.filter(
            rating__round_unit__round=round_, rating__status=AssessmentStatus.SUBMITTED
        )
        .order_by("rating_id", "pk")
        .values_list("rating__round_unit_id", "rating_id", "indicator_code", "points", "items_met")
    ):
        rows[(unit_id, rating_id)].append((code, points, items or []))
    result: dict[int, list[dict[str, float]]] = defaultdict(list)
    for (unit_id, _rating), scores in rows.items():
        result[unit_id].append(dimension_scores(indicators[classes[unit_id]], scores))
    return dict(result)


def self_scores(round_: Round) -> dict[int, float | None]:
    """Each unit's self-assessment on 0–100; None without a submitted self-assessment."""
    classes = _classes(round_)
    dimensions = self_dimensions(round_)
    indicators = {cls: _indicators(round_, cls, "scored_by_self") for cls in set(classes.values())}
    return {
        unit_id: (
            source_score(indicators[cls], dimensions[unit_id]) if unit_id in dimensions else None
        )
        for unit_id, cls in classes.items()
    }


def rater_scores(round_: Round) -> dict[int, list[float]]:
    """Each unit's scores from its raters on 0–100, one per submitted rating."""
    classes = _classes(round_)
    indicators = {
        cls: _indicators(round_, cls, "scored_by_superior") for cls in set(classes.values())
    }
    result: dict[int, list[float]] = {unit_id: [] for unit_id in classes}
    for unit_id, ratings in rater_dimensions(round_).items():
        for dimensions in ratings:
            score = source_score(indicators[classes[unit_id]], dimensions)
            if score is not None:
                result[unit_id].append(score)
    return result


def resident_tallies(round_: Round) -> dict[int, ResidentTally]:
    """Each unit's counted survey answers; answers of excluded responses are left out."""
    ratings: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    yes: dict[int, int] = defaultdict(int)
    yes_no: dict[int, int] = defaultdict(int)
    # Counted by the database, grouped by answer value: a round's million answers come back as
    # a few rows per unit (five levels, a handful of options, matrix answer patterns).
    rows = (
        Answer.objects.filter(response__round_unit__round=round_, response__excluded_reason="")
        .filter(
            Q(question__kind__in=[QuestionKind.SATISFACTION, QuestionKind.MATRIX])
            | Q(question__kind=QuestionKind.SINGLE, question__yes_option__isnull=False)
        )
        .values("response__round_unit_id", "question__kind", "question__yes_option", "value")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list(
            "response__round_unit_id", "question__kind", "question__yes_option", "value", "count"
        )
    )
    for unit_id, kind, yes_option, value, count in rows:
        levels: list[Any] = []
        if kind == QuestionKind.SATISFACTION:
            levels = [value]
        elif kind == QuestionKind.MATRIX and isinstance(value, list):
            levels = value
        elif kind == QuestionKind.SINGLE and isinstance(value, int):
            yes_no[unit_id] += count
            yes[unit_id] += count if value == yes_option else 0
        for level in levels:
            if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5:
                ratings[unit_id][level - 1] += count
    return {
        unit_id: ResidentTally(
            ratings=(
                ratings[unit_id][0],
                ratings[unit_id][1],
                ratings[unit_id][2],
                ratings[unit_id][3],
                ratings[unit_id][4],
            ),
            yes=yes[unit_id],
            yes_no=yes_no[unit_id],
        )
        for unit_id in _classes(round_)
    }
