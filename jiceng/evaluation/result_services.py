"""Writes for results: computing, publication, appeals (docs/EVALUATION.md "Results, …").

Each service runs in one transaction, checks permission and state, and writes one audit entry.
Scores come from `scoring.score_units` over the stage inputs; corrections granted on appeal are
kept in the round's snapshot under "adjustments" ({round unit id: {source: score}}) so that any
later recomputation keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.evaluation import case_metrics
from jiceng.evaluation.guarantee_metrics import guarantee_metrics
from jiceng.evaluation.models import (
    Appeal,
    AppealStatus,
    Result,
    Round,
    RoundState,
    RoundUnit,
)
from jiceng.evaluation.permissions import configures
from jiceng.evaluation.round_config import scoring_config
from jiceng.evaluation.round_selectors import (
    rater_dimensions,
    rater_scores,
    self_dimensions,
    self_scores,
)
from jiceng.evaluation.scoring import (
    CASE_METRICS,
    MetricRule,
    ScoringConfig,
    Source,
    UnitResult,
    UnitScores,
    judge_unit,
    rank_in_groups,
    score_units,
    sensitivity,
)
from jiceng.evaluation.survey_selectors import answers_kept_out, resident_tallies
from jiceng.orgs.roles import Capability

GROUNDS_MAX = 4000
# Raters disagreeing this much (population standard deviation, points) deserve a look.
RATER_SPREAD_FLAG = 20.0
SOURCE_FIELDS = {
    Source.SELF: "self_assessment",
    Source.RESIDENTS: "residents",
    Source.SUPERIOR: "superior",
}


# --- computing -------------------------------------------------------------------------------
def _require_configurer(actor: Actor) -> None:
    if not configures(actor):
        raise Forbidden()


def _optional(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def class_configs(snapshot: Mapping[str, Any], config: ScoringConfig) -> dict[str, ScoringConfig]:
    """Per unit class of the round: `config` with the case metrics of the class's scheme.

    A scheme's metric indicators choose the metrics and their targets and floors; an indicator's
    weight is its share within its dimension times the dimension's share, so the metrics weigh
    within the cases part as they do in the scheme. A scheme without metric indicators keeps the
    configured metrics.
    """
    configs: dict[str, ScoringConfig] = {}
    for unit_class, scheme in snapshot.get("schemes", {}).items():
        rules: dict[str, MetricRule] = {}
        dimension_total = sum(float(d["weight"]) for d in scheme["dimensions"]) or 1.0
        for dimension in scheme["dimensions"]:
            indicator_total = sum(float(i["weight"]) for i in dimension["indicators"]) or 1.0
            share = float(dimension["weight"]) / dimension_total
            for indicator in dimension["indicators"]:
                options = indicator.get("rule_options") or {}
                if indicator.get("rule") != "metric" or options.get("metric") not in CASE_METRICS:
                    continue
                weight = 100 * share * float(indicator["weight"]) / indicator_total
                known = rules.get(options["metric"])
                rules[options["metric"]] = (
                    replace(known, weight=known.weight + weight)
                    if known
                    else MetricRule(
                        target=float(options["target"]),
                        floor=float(options["floor"]),
                        weight=weight,
                    )
                )
        configs[unit_class] = (
            replace(config, residents=replace(config.residents, case_metrics=rules))
            if rules
            else config
        )
    return configs


def _adjusted(
    results: dict[int, UnitResult],
    units: dict[int, UnitScores],
    adjustments: Mapping[str, Mapping[str, float]],
    config: ScoringConfig,
) -> dict[int, UnitResult]:
    """Results with corrected source scores re-judged and every rank taken again."""
    if not adjustments:
        return results
    changed = dict(results)
    for key, corrections in adjustments.items():
        pk = int(key)
        if pk not in changed:
            continue
        result = changed[pk]
        sources = replace(
            result.sources,
            **{SOURCE_FIELDS[Source(name)]: float(value) for name, value in corrections.items()},
        )
        judgement = judge_unit(
            sources,
            unit_class=units[pk].unit_class,
            satisfaction=result.residents.satisfaction,
            config=config,
        )
        changed[pk] = replace(result, sources=sources, judgement=judgement)
    groups = {pk: unit.peer_group for pk, unit in units.items()}
    ranks = rank_in_groups({pk: result.composite for pk, result in changed.items()}, groups)
    shifts = sensitivity(
        {pk: result.sources for pk, result in changed.items()},
        unit_class={pk: unit.unit_class for pk, unit in units.items()},
        peer_group=groups,
        config=config,
    )
    return {
        pk: replace(result, rank=ranks[pk], rank_shifts=shifts[pk])
        for pk, result in changed.items()
    }


def _assessed(result: UnitResult, unit: UnitScores) -> bool:
    """Whether any source gave the unit anything: a self-assessment, a resident's answer, a
    rating, or a score corrected on appeal. Case metrics alone are no assessment (they only
    refine the residents' survey, docs/SCORING.md)."""
    sources = result.sources
    return (
        any(s is not None for s in (sources.self_assessment, sources.residents, sources.superior))
        or result.residents.responses > 0
        or unit.answers.yes_no > 0
        or result.superior.count > 0
    )


def _flags(
    result: UnitResult, unit: UnitScores, *, config: ScoringConfig, kept_out: int
) -> list[str]:
    """The result's flags, in the order the lists show them.

    A unit nobody assessed gets `not_assessed` instead of flags about a sample it never had
    (it has no composite, grade or rank); answers refused or excluded are still named, as they
    are why some units have no residents' answers.
    """
    if not _assessed(result, unit):
        return ["not_assessed", *(["answers_kept_out"] if kept_out else [])]
    flags = []
    if result.judgement.self_inflated:
        flags.append("self_inflation")
    if result.residents.responses == 0:
        flags.append("no_responses")
    elif result.residents.responses < config.residents.min_responses:
        flags.append("low_responses")
    if kept_out:
        flags.append("answers_kept_out")
    if result.superior.count == 1:
        flags.append("single_rater")
    if result.superior.spread is not None and result.superior.spread > RATER_SPREAD_FLAG:
        flags.append("rater_disagreement")
    return flags


def _details(
    result: UnitResult,
    unit: UnitScores,
    *,
    dimensions: dict[str, Any],
    adjustments: Mapping[str, float],
    config: ScoringConfig,
    guarantees: Mapping[str, float | None] | None = None,
    kept_out: int = 0,
) -> dict[str, Any]:
    residents = result.residents
    raters = result.superior
    flags = _flags(result, unit, config=config, kept_out=kept_out)
    shifted = [shift.rank for shift in result.rank_shifts if shift.rank is not None]
    moves = [abs(shift.movement) for shift in result.rank_shifts if shift.movement is not None]
    return {
        "dimensions": dimensions,
        "residents": {
            "responses": residents.responses,
            "satisfaction": residents.satisfaction,
            "rating": _optional(residents.rating),
            "yes_no": _optional(residents.yes_no),
            "cases": _optional(residents.cases),
            # Refused by the open links (limits, staff devices) or excluded afterwards.
            "kept_out": kept_out,
        },
        "raters": {
            "count": raters.count,
            "trimmed": raters.trimmed,
            "spread": _optional(raters.spread),
            "lowest": raters.lowest,
            "highest": raters.highest,
        },
        "cases": {
            name: list(pair) for name, pair in zip(CASE_METRICS, unit.cases.ratios(), strict=True)
        },
        # The guarantee metrics the superior's source scored (values, not scores; None: not
        # measured), so a report can say where the automatic part came from.
        "guarantees": {
            key: None if value is None else round(value, 4)
            for key, value in (guarantees or {}).items()
        },
        "weights_used": [round(weight, 2) for weight in result.judgement.weights_used],
        "grade_before_gates": result.judgement.grade_before_gates,
        "gates": list(result.judgement.capped_by),
        "flags": flags,
        "adjustments": dict(adjustments),
        "sensitivity": {
            "best": min(shifted) if shifted else None,
            "worst": max(shifted) if shifted else None,
            # The largest rank change over the scenarios; None without a rank.
            "movement": max(moves, default=0) if result.rank is not None else None,
            "shifts": [
                {"source": shift.source, "points": shift.points, "rank": shift.rank}
                for shift in result.rank_shifts
            ],
        },
    }


class ResultRow(NamedTuple):
    """A Result row as stored, in column order (see results_store)."""

    round_unit_id: int
    self_score: float | None
    residents_score: float | None
    superior_score: float | None
    composite: float | None
    grade: str
    rank: int | None
    peers: int
    details: dict[str, Any]
    computed_at: datetime


def results_store(*, round_id: int, rows: Sequence[ResultRow]) -> None:
    """Write a round's Result rows, one computation's, over the previous ones; call inside the
    caller's transaction.

    An upsert on the round unit keeps each result's id, so links to a unit's report survive a
    recomputation after an appeal; results of units no longer in the round go. One executemany
    rather than bulk_create: at 10,000 rows the ORM's per-value preparation and batches capped
    by SQLite's 999 parameters cost about five times the insert itself (docs/PERFORMANCE.md).
    """
    quote = connection.ops.quote_name
    table = quote(Result._meta.db_table)
    units = quote(RoundUnit._meta.db_table)
    # Bound once: the field's own get_db_prep_save looks the connection up again per row.
    adapt_json = connection.ops.adapt_json_value
    encoder = Result._meta.get_field("details").encoder
    names = ResultRow._fields
    columns = ", ".join(quote(name) for name in names)
    marks = ", ".join(["%s"] * len(names))
    updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in names[1:])
    moment = rows[0].computed_at if rows else None
    assert all(row.computed_at == moment for row in rows), "one computation at a time"
    with connection.cursor() as cursor:
        if rows:
            stored_moment = connection.ops.adapt_datetimefield_value(moment)
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 (model names)
                f"ON CONFLICT (round_unit_id) DO UPDATE SET {updates}",
                [(*row[:8], adapt_json(row.details, encoder), stored_moment) for row in rows],
            )
        stale = [round_id] if moment is None else [round_id, stored_moment]
        cursor.execute(
            f"DELETE FROM {table} WHERE round_unit_id IN "  # noqa: S608
            f"(SELECT id FROM {units} WHERE round_id = %s)"
            + ("" if moment is None else " AND computed_at <> %s"),
            stale,
        )


def _summary(result: Result) -> dict[str, Any]:
    return {"composite": result.composite, "grade": result.grade, "rank": result.rank}


def _compute(round_: Round) -> tuple[list[ResultRow], dict[str, Any]]:
    """Score the round from its inputs and replace its results; (results, before/after)."""
    config = scoring_config(round_.snapshot.get("config"))
    adjustments: dict[str, dict[str, float]] = round_.snapshot.get("adjustments", {})
    round_units = list(RoundUnit.objects.filter(round=round_).select_related("unit"))
    selves = self_scores(round_)
    # Read once and handed to both rater reads: the superior scores guarantee metrics alike.
    guarantees = guarantee_metrics(round_)
    raters = rater_scores(round_, metrics=guarantees)
    answers = resident_tallies(round_)
    kept_out = answers_kept_out(round_)
    cases = case_metrics.case_tallies(round_)
    self_dims = self_dimensions(round_)
    rater_dims = rater_dimensions(round_, metrics=guarantees)
    units = {
        ru.pk: UnitScores(
            unit_class=ru.unit_class,
            peer_group=ru.unit_class,
            self_score=selves.get(ru.pk),
            rater_scores=tuple(raters.get(ru.pk, ())),
            answers=answers[ru.pk],
            cases=cases[ru.pk],
        )
        for ru in round_units
    }
    scored: dict[int, UnitResult] = {}
    # Peers are ranked within their class, so scoring class by class ranks alike; each class's
    # objective metrics are those its scheme chose.
    for unit_class, class_config in class_configs(round_.snapshot, config).items():
        group = {pk: unit for pk, unit in units.items() if unit.unit_class == unit_class}
        scored.update(score_units(group, class_config))
    results = _adjusted(scored, units, adjustments, config)
    peers: dict[str, int] = {}
    for pk, result in results.items():
        if result.rank is not None:
            peers[units[pk].unit_class] = peers.get(units[pk].unit_class, 0) + 1
    now = clock.now()
    before = {
        row.round_unit_id: _summary(row) for row in Result.objects.filter(round_unit__round=round_)
    }
    rows: list[ResultRow] = []
    for ru in round_units:
        result = results[ru.pk]
        superior_dims: dict[str, float] = {}
        rater_rows = rater_dims.get(ru.pk, [])
        for code in {code for dims in rater_rows for code in dims}:
            values = [value for dims in rater_rows if (value := dims.get(code)) is not None]
            if values:
                superior_dims[code] = round(sum(values) / len(values), 2)
        dimensions = {
            "self": {
                code: round(value, 2)
                for code, value in self_dims.get(ru.pk, {}).items()
                if value is not None
            },
            "superior": superior_dims,
        }
        rows.append(
            ResultRow(
                round_unit_id=ru.pk,
                self_score=_optional(result.sources.self_assessment),
                residents_score=_optional(result.sources.residents),
                superior_score=_optional(result.sources.superior),
                composite=result.composite,
                grade=result.grade or "",
                rank=result.rank,
                peers=peers.get(ru.unit_class, 0),
                details=_details(
                    result,
                    units[ru.pk],
                    dimensions=dimensions,
                    adjustments=adjustments.get(str(ru.pk), {}),
                    config=config,
                    guarantees=guarantees.get(ru.pk),
                    kept_out=kept_out.get(ru.pk, 0),
                ),
                computed_at=now,
            )
        )
    results_store(round_id=round_.pk, rows=rows)
    after = {
        row.round_unit_id: {"composite": row.composite, "grade": row.grade, "rank": row.rank}
        for row in rows
    }
    changes = [
        {"round_unit": pk, "unit": str(ru_name), "before": before.get(pk), "after": after[pk]}
        for pk, ru_name in ((ru.pk, ru.unit) for ru in round_units)
        if before.get(pk) != after[pk]
    ]
    return rows, {"units": len(rows), "recomputed": bool(before), "changes": changes}


def results_compute(*, round_: Round, actor: Actor) -> list[Result]:
    """Score every unit of a round under review and store the results (replacing any)."""
    _require_configurer(actor)
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_.pk)
        if round_.state != RoundState.REVIEW:
            raise Conflict(_("Results can be computed only while the round is under review."))
        _rows, data = _compute(round_)
        audit_log(
            actor=actor,
            action="evaluation.result.recomputed"
            if data["recomputed"]
            else "evaluation.result.computed",
            target=round_,
            data=data,
        )
    return list(Result.objects.filter(round_unit__round=round_).select_related("round_unit__unit"))


def round_publish(*, round_: Round, actor: Actor, unscored_confirmed: int = 0) -> Round:
    """Publish a reviewed round's results; appeals stay open for `appeal_days` working days.

    Units without a composite (nobody assessed them, or no source with weight did) are
    published as such only when the administrator confirmed that many (`unscored_confirmed`,
    the number the review page showed): a round where most units have no score is more likely
    a mistake than a result, and results computed again after the page was shown may leave a
    different number unscored. The audit entry records how many there were.
    """
    _require_configurer(actor)
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_.pk)
        if round_.state != RoundState.REVIEW:
            raise Conflict(_("Only a round under review can be published."))
        counts = Result.objects.filter(round_unit__round=round_).aggregate(
            units=Count("pk"), unscored=Count("pk", filter=Q(composite__isnull=True))
        )
        if not counts["units"]:
            raise DomainError(_("Compute the results before publishing them."))
        if counts["unscored"] and unscored_confirmed != counts["unscored"]:
            raise DomainError(
                ngettext(
                    "%(count)d of %(total)d units has no score; confirm that you want to "
                    "publish the results anyway.",
                    "%(count)d of %(total)d units have no score; confirm that you want to "
                    "publish the results anyway.",
                    counts["unscored"],
                )
                % {"count": counts["unscored"], "total": counts["units"]},
                field="unscored_confirmed",
            )
        now = clock.now()
        round_.state = RoundState.PUBLISHED
        round_.published_at = now
        round_.appeal_deadline = get_calendar().add_working_days(now, round_.appeal_days)
        round_.save(update_fields=["state", "published_at", "appeal_deadline", "updated_at"])
        audit_log(
            actor=actor,
            action="evaluation.result.published",
            target=round_,
            data={
                "appeal_deadline": round_.appeal_deadline.isoformat(),
                "units": counts["units"],
                "unscored": counts["unscored"],
            },
        )
    return round_


# --- appeals ---------------------------------------------------------------------------------
def appeal_file(*, round_unit: RoundUnit, actor: Actor, grounds: str) -> Appeal:
    """The unit appeals its published result, before the appeal deadline."""
    unit = actor.unit
    if not (
        actor.has_capability(Capability.EVAL_SELF_ASSESS)
        and unit is not None
        and unit.pk == round_unit.unit_id
    ):
        raise Forbidden(_("Only the unit itself can appeal its result."))
    grounds = (grounds or "").strip()
    if not grounds:
        raise DomainError(_("Please state the grounds of the appeal."), field="grounds")
    if len(grounds) > GROUNDS_MAX:
        raise DomainError(
            _("Please keep the grounds within %(count)d characters.") % {"count": GROUNDS_MAX},
            field="grounds",
        )
    assert actor.user is not None  # a member: has_capability needs a membership
    with transaction.atomic():
        round_ = Round.objects.select_for_update().get(pk=round_unit.round_id)
        if round_.state != RoundState.PUBLISHED:
            raise Conflict(_("Appeals can be filed only while the results are published."))
        if round_.appeal_deadline is None or clock.now() > round_.appeal_deadline:
            raise Conflict(_("The time for appeals has ended."))
        if Appeal.objects.filter(round_unit=round_unit, status=AppealStatus.PENDING).exists():
            raise Conflict(_("Your unit already has an appeal awaiting a decision."))
        appeal = Appeal.objects.create(round_unit=round_unit, filed_by=actor.user, grounds=grounds)
        audit_log(
            actor=actor,
            action="evaluation.appeal.filed",
            target=appeal,
            data={"round": round_.pk, "round_unit": round_unit.pk},
        )
    return appeal


def _valid_adjustments(raw: Mapping[str, Any] | None) -> dict[str, float]:
    adjustments: dict[str, float] = {}
    for name, value in (raw or {}).items():
        if name not in Source.__members__.values():
            raise DomainError(_("Unknown source: %(name)s") % {"name": name}, field="source")
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not 0 <= number <= 100:
            raise DomainError(
                _("An adjusted score must lie between 0 and 100."), field="adjusted_score"
            )
        adjustments[str(name)] = number
    return adjustments


def appeal_decide(
    *,
    appeal: Appeal,
    actor: Actor,
    upheld: bool,
    reason: str,
    adjustments: Mapping[str, Any] | None = None,
) -> Appeal:
    """Uphold (optionally correcting source scores, then re-rank) or dismiss (with a reason)."""
    _require_configurer(actor)
    reason = (reason or "").strip()
    if not upheld and not reason:
        raise DomainError(_("Please give the reason for dismissing the appeal."), field="reason")
    if len(reason) > GROUNDS_MAX:
        raise DomainError(
            _("Please keep the reason within %(count)d characters.") % {"count": GROUNDS_MAX},
            field="reason",
        )
    corrections = _valid_adjustments(adjustments) if upheld else {}
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != AppealStatus.PENDING:
            raise Conflict(_("This appeal has already been decided."))
        round_ = Round.objects.select_for_update().get(pk=appeal.round_unit.round_id)
        if round_.state not in (RoundState.PUBLISHED, RoundState.REVIEW):
            raise Conflict(_("Appeals of an archived round can no longer be decided."))
        appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.DISMISSED
        appeal.decided_by = actor.user
        appeal.decided_at = clock.now()
        appeal.decision_reason = reason
        appeal.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
        )
        data: dict[str, Any] = {"status": appeal.status, "adjustments": corrections}
        if corrections:
            stored = dict(round_.snapshot.get("adjustments", {}))
            key = str(appeal.round_unit_id)
            data["adjustments_before"] = stored.get(key, {})
            stored[key] = {**stored.get(key, {}), **corrections}
            round_.snapshot = {**round_.snapshot, "adjustments": stored}
            round_.save(update_fields=["snapshot", "updated_at"])
            _rows, recomputed = _compute(round_)
            data["changes"] = recomputed["changes"]
        audit_log(
            actor=actor,
            action=f"evaluation.appeal.{appeal.status}",
            target=appeal,
            data=data,
            reason=reason,
        )
    return appeal
