"""Reads for rounds, the self-assessment and the superior's assessment.

Object helpers answer 404 for missing and forbidden rows alike. `self_scores` and
`rater_scores` feed the results: one 0–100 score per submitted self-assessment and per
submitted rater, computed from the snapshot's rules (docs/EVALUATION.md). Given the round's
guarantee metrics (`guarantee_metrics.guarantee_metrics`), the superior's scores include the
metric indicators with those keys, scored automatically and the same for every rater.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from jiceng.core.actors import Actor
from jiceng.core.errors import DomainError
from jiceng.core.permissions import access_object, visible
from jiceng.evaluation.models import (
    AssessmentStatus,
    Evidence,
    Rater,
    Round,
    RoundUnit,
    ScoringRule,
    SelfAssessment,
    SelfScore,
    SuperiorRating,
    SuperiorScore,
    UnitClass,
)
from jiceng.evaluation.round_config import scoring_config
from jiceng.evaluation.round_services import belongs_to, indicators_for, rater_of
from jiceng.evaluation.scoring import (
    GUARANTEE_METRICS,
    RaterSummary,
    ScoringConfig,
    SourceWeights,
    aggregate_raters,
    checklist_score,
    deduction_score,
    guarantee_metric_score,
    scale_score,
    weighted_mean,
)
from jiceng.orgs.models import Membership


# --- scores ---------------------------------------------------------------------------------
def indicator_score(
    indicator: dict[str, Any], points: Decimal | float | None, items_met: Iterable[int]
) -> float | None:
    """One indicator's score on 0–100 by its rule; None when it was not answered."""
    rule = indicator["rule"]
    options = indicator.get("rule_options") or {}
    if rule == ScoringRule.CHECKLIST:
        return checklist_score(len(list(items_met)), len(options.get("items", [])))
    if points is None:
        return None
    if rule == ScoringRule.SCALE:
        return scale_score(float(points), float(options["top"]))
    if rule == ScoringRule.DEDUCTION:
        return deduction_score(float(points), float(indicator["max_points"]))
    return None


Answers = dict[str, tuple[Decimal | None, list[int]]]
# A unit's guarantee metrics by key (None: not measured); see guarantee_metrics.py.
Metrics = Mapping[str, float | None]


def _guarantee_key(indicator: dict[str, Any]) -> str | None:
    """The guarantee metric a metric indicator names, None for any other indicator."""
    if indicator["rule"] != ScoringRule.METRIC:
        return None
    key = (indicator.get("rule_options") or {}).get("metric")
    return str(key) if key in GUARANTEE_METRICS else None


def dimension_scores(
    snapshot: dict[str, Any],
    unit_class: str,
    stage: str,
    answers: Answers,
    metrics: Metrics | None = None,
) -> dict[str, float | None]:
    """Per dimension code: its indicators that `stage` scores, weighted (None: none answered).

    With `metrics` (stage "superior" only), the guarantee-metric indicators count too, scored
    from the unit's values against their target and floor; a value of None leaves the indicator
    unscored, so its weight goes to the rest. Without them (a page's cheap aggregate) they are
    left out, as are case-metric indicators always (they belong to the residents' source).
    """
    scheme = snapshot.get("schemes", {}).get(unit_class)
    if scheme is None:
        return {}
    flag = "scored_by_self" if stage == "self" else "scored_by_superior"
    automatic = metrics if stage == "superior" else None
    result: dict[str, float | None] = {}
    for dimension in scheme["dimensions"]:
        scores: list[float | None] = []
        weights: list[float] = []
        for indicator in dimension["indicators"]:
            key = _guarantee_key(indicator)
            if key is not None and automatic is not None:
                value = automatic.get(key)
                scores.append(guarantee_metric_score(value, indicator.get("rule_options")))
                weights.append(float(indicator["weight"]))
                continue
            if not indicator.get(flag) or indicator["rule"] == ScoringRule.METRIC:
                continue
            answer = answers.get(indicator["code"])
            scores.append(indicator_score(indicator, *answer) if answer is not None else None)
            weights.append(float(indicator["weight"]))
        result[dimension["code"]] = weighted_mean(scores, weights) if scores else None
    return result


def source_score(
    snapshot: dict[str, Any],
    unit_class: str,
    stage: str,
    answers: Answers,
    metrics: Metrics | None = None,
) -> float | None:
    """Indicators weighted within their dimension, dimensions weighted into one 0–100 score.

    Only indicators the stage scores count (with `metrics`, the superior's guarantee-metric
    indicators too); a dimension with none of them, or none answered, gives its weight to the
    others (`weighted_mean`).
    """
    scheme = snapshot.get("schemes", {}).get(unit_class)
    if scheme is None:
        return None
    by_dimension = dimension_scores(snapshot, unit_class, stage, answers, metrics)
    return weighted_mean(
        [by_dimension[dimension["code"]] for dimension in scheme["dimensions"]],
        [float(dimension["weight"]) for dimension in scheme["dimensions"]],
    )


def _self_answers(round_: Round) -> dict[int, Answers]:
    """Per RoundUnit id with a submitted self-assessment: its answers by indicator code."""
    answers: dict[int, Answers] = defaultdict(dict)
    rows = SelfScore.objects.filter(
        assessment__round_unit__round=round_, assessment__status=AssessmentStatus.SUBMITTED
    ).values_list("assessment__round_unit_id", "indicator_code", "points", "items_met")
    for round_unit_id, code, points, items in rows:
        answers[round_unit_id][code] = (points, items)
    return answers


def _rating_answers(
    round_: Round, round_unit_ids: Collection[int] | None
) -> tuple[dict[int, str], dict[tuple[int, int], Answers]]:
    """The units' classes, and per (RoundUnit id, rating id) of submitted ratings the answers."""
    units = RoundUnit.objects.filter(round=round_)
    scores = SuperiorScore.objects.filter(
        rating__round_unit__round=round_, rating__status=AssessmentStatus.SUBMITTED
    )
    if round_unit_ids is not None:
        units = units.filter(pk__in=list(round_unit_ids))
        scores = scores.filter(rating__round_unit_id__in=list(round_unit_ids))
    classes = dict(units.values_list("pk", "unit_class"))
    answers: dict[tuple[int, int], Answers] = defaultdict(dict)
    rows = scores.order_by("rating_id", "pk").values_list(
        "rating__round_unit_id", "rating_id", "indicator_code", "points", "items_met"
    )
    for round_unit_id, rating_id, code, points, items in rows:
        answers[(round_unit_id, rating_id)][code] = (points, items)
    return classes, answers


def self_scores(round_: Round) -> dict[int, float | None]:
    """Per RoundUnit id: the submitted self-assessment's score, None when not submitted."""
    classes = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit_class"))
    answers = _self_answers(round_)
    return {
        pk: (
            source_score(round_.snapshot, unit_class, "self", answers[pk])
            if pk in answers
            else None
        )
        for pk, unit_class in classes.items()
    }


def self_dimensions(round_: Round) -> dict[int, dict[str, float | None]]:
    """Per RoundUnit id with a submitted self-assessment: its score per dimension."""
    classes = dict(RoundUnit.objects.filter(round=round_).values_list("pk", "unit_class"))
    return {
        pk: dimension_scores(round_.snapshot, classes[pk], "self", given)
        for pk, given in _self_answers(round_).items()
    }


def _unit_metrics(metrics: Mapping[int, Metrics] | None, round_unit_id: int) -> Metrics | None:
    return None if metrics is None else metrics.get(round_unit_id, {})


def rater_scores(
    round_: Round,
    round_unit_ids: Collection[int] | None = None,
    metrics: Mapping[int, Metrics] | None = None,
) -> dict[int, list[float]]:
    """Per RoundUnit id: each submitted rater's score, lowest first (units nobody rated: []).

    `round_unit_ids` limits it to some units (a page of them). `metrics` (per RoundUnit id, from
    `guarantee_metrics`) fills the guarantee-metric indicators into every rater's score; without
    it they are left out. A unit nobody rated has no superior score either way.
    """
    classes, answers = _rating_answers(round_, round_unit_ids)
    result: dict[int, list[float]] = {pk: [] for pk in classes}
    for (round_unit_id, _rating), given in answers.items():
        score = source_score(
            round_.snapshot,
            classes[round_unit_id],
            "superior",
            given,
            _unit_metrics(metrics, round_unit_id),
        )
        if score is not None:
            result[round_unit_id].append(score)
    return {pk: sorted(scores) for pk, scores in result.items()}


def rater_dimensions(
    round_: Round, metrics: Mapping[int, Metrics] | None = None
) -> dict[int, list[dict[str, float | None]]]:
    """Per RoundUnit id: each submitted rating's score per dimension (`metrics` as above)."""
    classes, answers = _rating_answers(round_, None)
    result: dict[int, list[dict[str, float | None]]] = defaultdict(list)
    for (round_unit_id, _rating), given in answers.items():
        result[round_unit_id].append(
            dimension_scores(
                round_.snapshot,
                classes[round_unit_id],
                "superior",
                given,
                _unit_metrics(metrics, round_unit_id),
            )
        )
    return dict(result)


def rater_summaries(
    round_: Round, round_unit_ids: Collection[int] | None = None
) -> dict[int, RaterSummary]:
    """Per RoundUnit id: the raters' aggregate (trimmed mean from five raters) and spread.

    For pages: without the guarantee metrics (reading them costs the support and conduct
    queries and the venues' hours maths), so these figures are the hand-scored indicators only;
    the results carry the full superior score.
    """
    config = scoring_config(round_.snapshot.get("config"))
    return {
        pk: aggregate_raters(scores, config)
        for pk, scores in rater_scores(round_, round_unit_ids).items()
    }


# --- rounds ---------------------------------------------------------------------------------
def rounds_visible(actor: Actor) -> QuerySet[Round]:
    return visible(actor, Round).select_related("organiser").order_by("-period_end", "-pk")


def round_get(actor: Actor, *, pk: int, action: str = "view") -> Round:
    return access_object(
        actor, Round, action=action, queryset=Round.objects.select_related("organiser"), pk=pk
    )


def round_units_progress(actor: Actor, round_: Round) -> QuerySet[RoundUnit]:
    """The round's units the actor may see, with self-assessment status and ratings submitted."""
    return (
        visible(actor, RoundUnit, RoundUnit.objects.filter(round=round_))
        .select_related("unit", "self_assessment")
        .annotate(
            ratings_submitted=Count(
                "superior_ratings",
                filter=Q(superior_ratings__status=AssessmentStatus.SUBMITTED),
            )
        )
        .order_by("unit_path")
    )


def round_raters(round_: Round) -> QuerySet[Rater]:
    return (
        Rater.objects.filter(round=round_)
        .select_related("membership__user", "membership__unit")
        .annotate(submitted=Count("ratings", filter=Q(ratings__status=AssessmentStatus.SUBMITTED)))
        .order_by("membership__unit__path", "pk")
    )


def rater_candidates(round_: Round) -> QuerySet[Membership]:
    """Active members at or below the organiser who may rate (units above rated ones)."""
    from jiceng.orgs.roles import ROLE_CAPABILITIES, Capability

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.EVAL_RATE in caps]
    appointed = Rater.objects.filter(round=round_).values("membership_id")
    return (
        Membership.objects.active()
        .filter(unit__path__startswith=round_.organiser.path, role__in=roles)
        .exclude(pk__in=appointed)
        .select_related("user", "unit")
        .order_by("unit__path", "user__display_name")
    )


# --- self-assessment ------------------------------------------------------------------------
def self_assessments_of_unit(actor: Actor) -> QuerySet[SelfAssessment]:
    """The self-assessments of the actor's own unit, newest round first."""
    if actor.unit is None:
        return SelfAssessment.objects.none()
    return (
        visible(actor, SelfAssessment)
        .filter(round_unit__unit=actor.unit)
        .select_related("round_unit__round", "round_unit__unit")
        .order_by("-round_unit__round__period_end", "-pk")
    )


def self_assessment_get(
    actor: Actor, *, round_unit_pk: int, action: str = "view"
) -> SelfAssessment:
    return access_object(
        actor,
        SelfAssessment,
        action=action,
        queryset=SelfAssessment.objects.select_related(
            "round_unit__round__organiser", "round_unit__unit", "submitted_by"
        ),
        round_unit_id=round_unit_pk,
    )


@dataclass
class IndicatorRow:
    indicator: dict[str, Any]
    points: Decimal | None = None
    items_met: tuple[int, ...] = ()
    explanation: str = ""
    evidence: tuple[Evidence, ...] = ()

    @property
    def code(self) -> str:
        return str(self.indicator["code"])

    @property
    def items(self) -> list[tuple[int, str, bool]]:
        names = (self.indicator.get("rule_options") or {}).get("items", [])
        return [(index, name, index in self.items_met) for index, name in enumerate(names)]


@dataclass
class DimensionGroup:
    code: str
    name: str
    rows: list[IndicatorRow]


def _group(
    round_: Round, unit_class: str, stage: str, rows: dict[str, IndicatorRow]
) -> list[DimensionGroup]:
    scheme = round_.snapshot.get("schemes", {}).get(unit_class) or {"dimensions": []}
    wanted = {item["code"] for item in indicators_for(round_, unit_class, stage)}
    groups = []
    for dimension in scheme["dimensions"]:
        members = []
        for item in dimension["indicators"]:
            if item["code"] in wanted:
                row = rows.get(item["code"]) or IndicatorRow(indicator=item)
                row.indicator = item
                members.append(row)
        if members:
            groups.append(DimensionGroup(dimension["code"], dimension["name"], members))
    return groups


def self_assessment_form_rows(assessment: SelfAssessment) -> list[DimensionGroup]:
    """The indicators to score, grouped by dimension, with what was saved and its evidence."""
    round_unit = assessment.round_unit
    scores = assessment.scores.prefetch_related(
        Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "pk"))
    )
    rows = {
        score.indicator_code: IndicatorRow(
            indicator={},
            points=score.points,
            items_met=tuple(score.items_met),
            explanation=score.explanation,
            evidence=tuple(score.evidence.all()),
        )
        for score in scores
    }
    return _group(round_unit.round, round_unit.unit_class, "self", rows)


def evidence_get(actor: Actor, *, pk: int) -> Evidence:
    return access_object(
        actor,
        Evidence,
        queryset=Evidence.objects.select_related("score__assessment__round_unit__round"),
        pk=pk,
    )


# --- superior's assessment ------------------------------------------------------------------
@dataclass(frozen=True)
class WorkItem:
    round_unit: RoundUnit
    rating: SuperiorRating | None


def rating_worklist(actor: Actor, round_: Round) -> list[WorkItem]:
    """The units an appointed rater rates: below the rater's unit, never one they belong to."""
    rater = rater_of(actor, round_)
    if rater is None:
        return []
    path = rater.membership.unit.path
    own_paths = list(
        Membership.objects.active()
        .filter(user_id=rater.membership.user_id)
        .values_list("unit__path", flat=True)
    )
    units = (
        RoundUnit.objects.filter(round=round_, unit_path__startswith=path)
        .exclude(unit_path=path)
        .select_related("unit")
        .order_by("unit_path")
    )
    ratings = {
        rating.round_unit_id: rating for rating in SuperiorRating.objects.filter(rater=rater)
    }
    return [
        WorkItem(round_unit, ratings.get(round_unit.pk))
        for round_unit in units
        if not any(own.startswith(round_unit.unit_path) for own in own_paths)
    ]


def rounds_to_rate(actor: Actor) -> QuerySet[Round]:
    if actor.membership is None:
        return Round.objects.none()
    return (
        Round.objects.filter(raters__membership=actor.membership)
        .select_related("organiser")
        .order_by("-period_end", "-pk")
    )


def rating_target(actor: Actor, *, round_unit_pk: int) -> tuple[RoundUnit, Rater]:
    """The unit a rater is about to rate; 404 unless the actor is its appointed rater."""
    round_unit = (
        RoundUnit.objects.select_related("round__organiser", "unit")
        .filter(pk=round_unit_pk)
        .first()
    )
    if round_unit is None:
        raise Http404()
    rater = rater_of(actor, round_unit.round)
    if rater is None:
        raise Http404()
    path = rater.membership.unit.path
    if not round_unit.unit_path.startswith(path) or round_unit.unit_path == path:
        raise Http404()
    if belongs_to(rater.membership.user_id, round_unit):
        raise Http404()
    return round_unit, rater


def rating_form_rows(round_unit: RoundUnit, rating: SuperiorRating | None) -> list[DimensionGroup]:
    rows: dict[str, IndicatorRow] = {}
    if rating is not None:
        for score in rating.scores.all():
            rows[score.indicator_code] = IndicatorRow(
                indicator={},
                points=score.points,
                items_met=tuple(score.items_met),
                explanation=score.comment,
            )
    return _group(round_unit.round, round_unit.unit_class, "superior", rows)


# --- scoring settings -----------------------------------------------------------------------
def round_unit_classes(round_: Round) -> list[str]:
    """The classes of units the round scores: its frozen schemes once open, else its choice."""
    frozen = round_.snapshot.get("schemes")
    classes = set(frozen) if frozen else set(round_.schemes.values_list("unit_class", flat=True))
    return [unit_class for unit_class in UnitClass.values if unit_class in classes]


@dataclass(frozen=True)
class ScoringSettings:
    """A round's effective scoring settings (its own merged over the defaults), for pages."""

    config: ScoringConfig | None  # None: the stored settings are invalid
    unit_classes: list[str]  # of the round's schemes, in UnitClass order
    weights: list[tuple[str, Any, SourceWeights]]  # (class, its label, its weights)
    custom: bool  # the round has settings of its own

    @property
    def gate_percent(self) -> float | None:
        return None if self.config is None else round(self.config.satisfaction_gate * 100, 2)


def scoring_settings(round_: Round) -> ScoringSettings:
    raw = round_.snapshot.get("config") or {}
    classes = round_unit_classes(round_)
    try:
        config = scoring_config(raw)
    except DomainError:
        return ScoringSettings(config=None, unit_classes=classes, weights=[], custom=True)
    return ScoringSettings(
        config=config,
        unit_classes=classes,
        weights=[
            (unit_class, UnitClass(unit_class).label, config.weights_for(unit_class))
            for unit_class in classes
        ],
        custom=bool(raw),
    )
