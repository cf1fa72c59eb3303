"""Evaluation scoring of a whole round: jiceng.evaluation.scoring against plain pandas.

    .venv/bin/python bench/scoring.py [--units 10000] [--answers 1000000] [--cases 10000000]
                                      [--repeats 5] [--seed 20260401] [--json FILE]

Generates, from a fixed seed, a round of units in peer groups (communities, villages, streets),
resident survey answers (5-level satisfaction and yes/no questions), case rows as the case rates
see them (response, resolution time, latest answer, rating, closure), self-assessment scores and
3–9 superior raters per unit. Unit sizes are skewed, so some units fall below the minimum sample
and some units have no self-assessment, to exercise every rule.

Then it times the whole computation from the raw rows — aggregating the case rows and answers
per unit, resident shrinkage, trimmed rater means, composites, grades with gates, ranks in peer
groups and the ±10-point sensitivity view — twice: with `score_round` (numpy) and with a plain
pandas implementation of the same method (groupby, Series arithmetic, groupby rank). Both run
in this process on the same data, alternately, `--repeats` times; the tables show medians. The
two must give the same composites, grades, ranks and sensitivity ranks, or the script fails.

Data generation is not timed; neither is building the DataFrames from the arrays (pandas would
get them that way from its reader).

Publishing (unless `--no-publish`): the round's results written as one `Result` row per unit into
a fresh SQLite database (migrated in a temporary directory, the units and round created
beforehand, not timed), replacing the previous rows in one transaction — with
`result_services.results_store` (what `results_compute` writes with) from the numpy result,
and with `DataFrame.to_sql` from the pandas result as the baseline, alternately, `--repeats`
times each, on the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import make_deployment, markdown_table, write_json
from jiceng.evaluation.scoring import (
    ANSWER_RATING,
    ANSWER_YES_NO,
    CASE_METRICS,
    GRADES,
    NO_GRADE,
    SOURCES,
    CaseRows,
    RoundInput,
    RoundResult,
    ScoringConfig,
    SourceWeights,
    score_round,
    tally_cases,
    tally_resident_answers,
)

SEED = 20260401
CLASS_NAMES = ("community", "village", "street")
CLASS_SHARES = (0.6, 0.3, 0.1)
DISTRICTS = 20
TARGET_SECONDS = 3.0
TARGET_RATIO = 5.0

# Villages weigh the residents a little more, to exercise per-class weights.
CONFIG = ScoringConfig(weights_by_class={"village": SourceWeights(10, 50, 40)})


@dataclass
class Raw:
    """A round as raw rows, the way the database would hand them over."""

    n_units: int
    unit_class: np.ndarray
    peer_group: np.ndarray
    self_score: np.ndarray
    rater_unit: np.ndarray
    rater_score: np.ndarray
    answer_unit: np.ndarray
    answer_kind: np.ndarray
    answer_value: np.ndarray
    cases: CaseRows


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _skewed_units(rng: np.random.Generator, n_units: int, rows: int) -> np.ndarray:
    """Row → unit with lognormal unit sizes: a few large units, many small ones."""
    sizes = rng.lognormal(mean=0.0, sigma=1.0, size=n_units)
    return rng.choice(n_units, size=rows, p=sizes / sizes.sum()).astype(np.int32)


def _levels(rng: np.random.Generator, quality: np.ndarray) -> np.ndarray:
    """Satisfaction levels 1–5 that rise with a unit's quality."""
    latent = 3.9 + 0.6 * quality + rng.normal(0.0, 0.9, quality.size)
    return np.clip(np.rint(latent), 1, 5).astype(np.int8)


def generate(n_units: int, n_answers: int, n_cases: int, seed: int) -> Raw:
    rng = np.random.default_rng(seed)
    unit_class = rng.choice(len(CLASS_NAMES), size=n_units, p=CLASS_SHARES).astype(np.int64)
    district = rng.integers(0, DISTRICTS, n_units)
    peer_group = unit_class * DISTRICTS + district
    quality = rng.normal(0.0, 1.0, n_units)

    self_score = np.clip(75 + 10 * quality + rng.normal(0, 8, n_units), 0, 100)
    inflating = rng.random(n_units) < 0.05
    self_score[inflating] = np.minimum(100, self_score[inflating] + 25)
    self_score[rng.random(n_units) < 0.05] = np.nan
    # Whole points, as raters give them: equal composites and ties happen.
    self_score = np.rint(self_score)

    raters_per_unit = rng.integers(3, 10, n_units)
    rater_unit = np.repeat(np.arange(n_units), raters_per_unit)
    rater_score = np.clip(75 + 10 * quality[rater_unit] + rng.normal(0, 6, rater_unit.size), 0, 100)
    hostile = rng.random(rater_unit.size) < 0.02
    rater_score[hostile] = 20
    rater_score = np.rint(rater_score)
    shuffled = rng.permutation(rater_unit.size)
    rater_unit, rater_score = rater_unit[shuffled], rater_score[shuffled]

    answer_unit = _skewed_units(rng, n_units, n_answers)
    answer_kind = np.where(rng.random(n_answers) < 0.6, ANSWER_RATING, ANSWER_YES_NO).astype(
        np.int8
    )
    answer_quality = quality[answer_unit]
    yes = rng.random(n_answers) < _sigmoid(1.5 + answer_quality)
    answer_value = np.where(
        answer_kind == ANSWER_RATING, _levels(rng, answer_quality), yes.astype(np.int8)
    ).astype(np.int8)

    case_unit = _skewed_units(rng, n_units, n_cases)
    case_quality = quality[case_unit].astype(np.float32)
    due = rng.random(n_cases, dtype=np.float32) < 0.92
    in_time = rng.random(n_cases, dtype=np.float32) < _sigmoid(2.0 + case_quality)
    response = np.where(due, np.where(in_time, 2, 1), 0).astype(np.int8)
    resolved = rng.random(n_cases, dtype=np.float32) < 0.85
    resolved_in_time = rng.random(n_cases, dtype=np.float32) < _sigmoid(1.8 + case_quality)
    resolution_time = np.where(resolved, np.where(resolved_in_time, 2, 1), 0).astype(np.int8)
    answered = resolved & (rng.random(n_cases, dtype=np.float32) < 0.7)
    # 1 solved, 2 partly solved, 3 not solved; better units solve more.
    outcome = np.digitize(rng.random(n_cases, dtype=np.float32) - 0.2 * case_quality, [0.6, 0.8])
    answer = np.where(answered, outcome + 1, 0).astype(np.int8)
    rated = answered & (rng.random(n_cases, dtype=np.float32) < 0.8)
    rating = np.where(rated, _levels(rng, case_quality), 0).astype(np.int8)
    closure_draw = rng.random(n_cases, dtype=np.float32)
    closure = np.where(
        resolved, np.where(closure_draw < 0.2, 2, np.where(closure_draw < 0.85, 1, 0)), 0
    ).astype(np.int8)

    return Raw(
        n_units=n_units,
        unit_class=unit_class,
        peer_group=peer_group,
        self_score=self_score,
        rater_unit=rater_unit,
        rater_score=rater_score,
        answer_unit=answer_unit,
        answer_kind=answer_kind,
        answer_value=answer_value,
        cases=CaseRows(case_unit, response, resolution_time, answer, rating, closure),
    )


# --- the implementation under test ----------------------------------------------------------


def compute_numpy(raw: Raw, config: ScoringConfig) -> RoundResult:
    ratings, yes, yes_no = tally_resident_answers(
        raw.answer_unit, raw.answer_kind, raw.answer_value, raw.n_units
    )
    numerators, denominators = tally_cases(raw.cases, raw.n_units)
    data = RoundInput(
        class_names=CLASS_NAMES,
        unit_class=raw.unit_class,
        peer_group=raw.peer_group,
        self_score=raw.self_score,
        rater_unit=raw.rater_unit,
        rater_score=raw.rater_score,
        ratings=ratings,
        yes=yes,
        yes_no=yes_no,
        case_numerators=numerators,
        case_denominators=denominators,
    )
    return score_round(data, config)


# --- the pandas baseline ---------------------------------------------------------------------


@dataclass
class Frames:
    units: pd.DataFrame
    raters: pd.DataFrame
    answers: pd.DataFrame
    cases: pd.DataFrame


def frames_of(raw: Raw) -> Frames:
    units = pd.DataFrame(
        {
            "unit_class": pd.Categorical.from_codes(raw.unit_class, CLASS_NAMES),
            "peer_group": raw.peer_group,
            "self_score": raw.self_score,
        }
    )
    raters = pd.DataFrame({"unit": raw.rater_unit, "score": raw.rater_score})
    answers = pd.DataFrame(
        {"unit": raw.answer_unit, "kind": raw.answer_kind, "value": raw.answer_value}
    )
    c = raw.cases
    cases = pd.DataFrame(
        {
            "unit": c.unit,
            "response": c.response,
            "resolution_time": c.resolution_time,
            "answer": c.answer,
            "rating": c.rating,
            "closure": c.closure,
        }
    )
    return Frames(units, raters, answers, cases)


def _pandas_weighted_mean(values: pd.DataFrame, weights: pd.DataFrame) -> pd.Series:
    present = values.notna()
    used = weights.where(present, 0.0)
    total = (values.fillna(0.0) * used).sum(axis=1)
    weight_total = used.sum(axis=1)
    return (total / weight_total).where(weight_total > 0)


def _pandas_ranks(composite: pd.Series, peer_group: pd.Series) -> pd.Series:
    ranks = composite.groupby(peer_group).rank(method="min", ascending=False)
    return ranks.fillna(0).astype(np.int64)


def compute_pandas(frames: Frames, config: ScoringConfig) -> dict[str, Any]:
    n = len(frames.units)
    index = pd.RangeIndex(n)
    rc = config.residents

    c = frames.cases
    flags = pd.DataFrame(
        {
            "unit": c["unit"],
            "response_num": c["response"] == 2,
            "response_den": c["response"] >= 1,
            "resolution_num": c["answer"].isin([1, 2]),
            "resolution_den": c["answer"] >= 1,
            "satisfaction_num": c["rating"] >= 4,
            "satisfaction_den": c["rating"] >= 1,
            "on_time_num": c["resolution_time"] == 2,
            "on_time_den": c["resolution_time"] >= 1,
            "no_feedback_num": c["closure"] == 2,
            "no_feedback_den": c["closure"] >= 1,
        }
    )
    case_counts = flags.groupby("unit").sum().reindex(index, fill_value=0)

    a = frames.answers
    rating_answers = a[a["kind"] == ANSWER_RATING]
    ratings = (
        rating_answers.groupby(["unit", "value"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=index, columns=range(1, 6), fill_value=0)
    )
    yes_no_answers = a[a["kind"] == ANSWER_YES_NO]
    yes_no = yes_no_answers.groupby("unit")["value"].agg(["sum", "count"])
    yes_no = yes_no.reindex(index, fill_value=0)

    responses = ratings.sum(axis=1)
    present = responses >= rc.min_responses
    total = (ratings * np.arange(1, 6)).sum(axis=1).astype(float)
    satisfaction = ((ratings[4] + ratings[5]) / responses).where(present)
    mean = (rc.prior_weight * rc.prior_mean + total) / (rc.prior_weight + responses)
    rating_part = ((mean - 1.0) * 25.0).where(present)

    trials = yes_no["count"].astype(float)
    share = yes_no["sum"] / trials
    z = rc.wilson_z
    z2 = z * z
    centre = share + z2 / (2 * trials)
    margin = z * np.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    wilson = (centre - margin) / (1 + z2 / trials)
    yes_no_part = (100.0 * wilson).where(present & (yes_no["count"] >= rc.min_responses))

    metric_scores = {}
    metric_weights = {}
    for name in CASE_METRICS:
        rule = rc.case_metrics.get(name)
        if rule is None:
            continue
        numerator = case_counts[f"{name}_num"]
        denominator = case_counts[f"{name}_den"]
        rate = numerator / denominator
        position = ((rate - rule.floor) / (rule.target - rule.floor)).clip(0.0, 1.0)
        metric_scores[name] = (position * 100.0).where(denominator >= rc.min_cases)
        metric_weights[name] = rule.weight
    metric_frame = pd.DataFrame(metric_scores)
    case_part = _pandas_weighted_mean(
        metric_frame, pd.DataFrame({k: [w] * n for k, w in metric_weights.items()})
    )

    parts = pd.DataFrame({"rating": rating_part, "yes_no": yes_no_part, "cases": case_part})
    part_weights = pd.DataFrame(
        {
            "rating": [rc.rating_weight] * n,
            "yes_no": [rc.yes_no_weight] * n,
            "cases": [rc.cases_weight] * n,
        }
    )
    resident = _pandas_weighted_mean(parts, part_weights).where(present)

    r = frames.raters.sort_values(["unit", "score"])
    grouped = r.groupby("unit")["score"]
    position_in_unit = grouped.cumcount()
    raters_of_unit = grouped.transform("size")
    trimmed = raters_of_unit >= config.trim_from_raters
    cut = config.trim_each_end
    keep = ~trimmed | ((position_in_unit >= cut) & (position_in_unit < raters_of_unit - cut))
    superior = r[keep].groupby("unit")["score"].mean().reindex(index)

    u = frames.units
    sources = pd.DataFrame({"self": u["self_score"], "residents": resident, "superior": superior})

    def composite_for(weights_of_class: dict[str, SourceWeights]) -> pd.Series:
        table = pd.DataFrame(
            {name: weights.as_tuple() for name, weights in weights_of_class.items()},
            index=["self", "residents", "superior"],
        ).T
        weights = table.loc[u["unit_class"].astype(str)].reset_index(drop=True)
        return _pandas_weighted_mean(sources, weights).round(2)

    base_weights = {name: config.weights_for(name) for name in CLASS_NAMES}
    composite = composite_for(base_weights)

    cuts = config.cuts
    grade = pd.Series(
        np.select(
            [composite >= cuts.good, composite >= cuts.fairly_good, composite >= cuts.average],
            [0, 1, 2],
            default=3,
        ),
        index=index,
    ).where(composite.notna(), NO_GRADE)
    cap = GRADES.index(config.satisfaction_cap)
    low_satisfaction = satisfaction.notna() & (satisfaction < config.satisfaction_gate)
    grade = grade.where(~low_satisfaction | (grade == NO_GRADE), np.maximum(grade, cap))
    weak_residents = resident.isna() | (resident < config.good_resident_minimum)
    grade = grade.where(~weak_residents | (grade == NO_GRADE), np.maximum(grade, 1))

    others = sources[["residents", "superior"]]
    self_inflated = (u["self_score"] - others.mean(axis=1)) > config.self_inflation_margin

    rank = _pandas_ranks(composite, u["peer_group"])
    sensitivity = {}
    for source, points in config.sensitivity_scenarios():
        shifted = {name: w.shifted(source, points) for name, w in base_weights.items()}
        sensitivity[f"{source}{points:+g}"] = _pandas_ranks(composite_for(shifted), u["peer_group"])
    return {
        "composite": composite,
        "grade": grade.astype(np.int8),
        "rank": rank,
        "sensitivity": pd.DataFrame(sensitivity),
        "self_inflated": self_inflated,
        # For publishing: the components and counts a result row stores.
        "resident": resident,
        "superior": superior,
        "responses": responses,
        "rater_count": frames.raters.groupby("unit").size().reindex(index, fill_value=0),
    }


# --- running ---------------------------------------------------------------------------------


def compare(mine: RoundResult, baseline: dict[str, Any]) -> list[str]:
    problems = []
    if not np.array_equal(mine.composite, baseline["composite"].to_numpy(), equal_nan=True):
        problems.append("composites differ")
    if not np.array_equal(mine.grade, baseline["grade"].to_numpy()):
        problems.append("grades differ")
    if not np.array_equal(mine.rank, baseline["rank"].to_numpy()):
        problems.append("ranks differ")
    if not np.array_equal(mine.sensitivity_ranks, baseline["sensitivity"].to_numpy()):
        problems.append("sensitivity ranks differ")
    if not np.array_equal(mine.self_inflated, baseline["self_inflated"].to_numpy()):
        problems.append("self-inflation flags differ")
    return problems


# --- publishing ------------------------------------------------------------------------------
@dataclass
class PublishTarget:
    """A migrated database holding the round's units, ready for its results."""

    round_id: int
    round_unit_ids: np.ndarray  # RoundUnit primary key of unit i
    database: str
    root: Path


def publish_setup(raw: Raw) -> PublishTarget:
    """Migrate a fresh SQLite database and create one unit per scored unit (not timed)."""
    deployment = make_deployment()
    os.environ.update(deployment.env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from jiceng.evaluation.models import Round, RoundState, RoundUnit
    from jiceng.orgs.models import OrgUnit

    call_command("createcachetable", verbosity=0)  # migrations announce calendar changes
    call_command("migrate", verbosity=0)
    root = OrgUnit.objects.add_root(instance=OrgUnit(code="BENCH", name="基准区", kind="district"))
    units = [
        OrgUnit(
            code=f"B{index:06d}",
            name=f"单位{index}",
            kind="community",
            depth=2,
            path=OrgUnit._get_path(root.path, 2, index + 1),
        )
        for index in range(raw.n_units)
    ]
    OrgUnit.objects.bulk_create(units, batch_size=2000)
    OrgUnit.objects.filter(pk=root.pk).update(numchild=raw.n_units)
    round_ = Round.objects.create(
        name="基准轮次",
        organiser=root,
        period_start=timezone.now().date(),
        period_end=timezone.now().date(),
        state=RoundState.REVIEW,
    )
    ids = dict(OrgUnit.objects.filter(depth=2).values_list("code", "pk"))
    RoundUnit.objects.bulk_create(
        [
            RoundUnit(
                round=round_,
                unit_id=ids[unit.code],
                unit_class=CLASS_NAMES[int(raw.unit_class[index])],
                unit_path=unit.path,
            )
            for index, unit in enumerate(units)
        ],
        batch_size=2000,
    )
    by_unit = dict(RoundUnit.objects.filter(round=round_).values_list("unit__code", "pk"))
    order = np.array([by_unit[unit.code] for unit in units], dtype=np.int64)
    return PublishTarget(round_.pk, order, deployment.env["DATABASE_URL"][10:], deployment.root)


def _peers(rank: np.ndarray, peer_group: np.ndarray) -> np.ndarray:
    counts = np.bincount(peer_group, weights=(rank > 0).astype(np.float64))
    return counts[peer_group].astype(np.int64)


def _optional_list(values: np.ndarray) -> list[float | None]:
    return [None if value != value else round(value, 2) for value in values.tolist()]


def publish_django(result: RoundResult, raw: Raw, target: PublishTarget) -> int:
    """Result rows from the numpy result, replaced in one transaction by the service's writer."""
    from django.db import transaction
    from django.utils import timezone

    from jiceng.evaluation.result_services import ResultRow, results_store

    grades = [g.value for g in GRADES]
    composite = _optional_list(result.composite)
    self_score = _optional_list(result.self_score)
    residents = _optional_list(result.resident_score)
    superior = _optional_list(result.superior_score)
    spread = _optional_list(result.rater_spread)
    grade = result.grade.tolist()
    rank = result.rank.tolist()
    peers = _peers(result.rank, raw.peer_group).tolist()
    responses = result.responses.tolist()
    raters = result.rater_count.tolist()
    trimmed = result.rater_trimmed.tolist()
    capped_low = result.capped_low_satisfaction.tolist()
    capped_good = result.capped_good_needs_residents.tolist()
    inflated = result.self_inflated.tolist()
    shifts = result.sensitivity_ranks
    best = np.where(shifts > 0, shifts, np.iinfo(np.int64).max).min(axis=1).tolist()
    worst = shifts.max(axis=1).tolist()
    now = timezone.now()
    rows = [
        # Positional: keyword construction of a NamedTuple costs a third of the build.
        ResultRow(
            pk,
            self_score[i],
            residents[i],
            superior[i],
            composite[i],
            grades[grade[i]] if grade[i] >= 0 else "",
            rank[i] or None,
            peers[i],
            {
                "residents": {"responses": responses[i]},
                "raters": {"count": raters[i], "trimmed": trimmed[i], "spread": spread[i]},
                "gates": (["low_resident_satisfaction"] if capped_low[i] else [])
                + (["good_needs_residents"] if capped_good[i] else []),
                "flags": ["self_inflation"] if inflated[i] else [],
                "sensitivity": {"best": best[i] if worst[i] else None, "worst": worst[i] or None},
            },
            now,
        )
        for i, pk in enumerate(target.round_unit_ids.tolist())
    ]
    with transaction.atomic():
        results_store(round_id=target.round_id, rows=rows)
    return len(rows)


def publish_pandas(baseline: dict[str, Any], raw: Raw, target: PublishTarget) -> int:
    """The same rows from the pandas result, written with DataFrame.to_sql (sqlite3)."""
    import sqlite3

    from django.utils import timezone

    frame = pd.DataFrame(
        {
            "round_unit_id": target.round_unit_ids,
            "self_score": raw.self_score,
            "composite": baseline["composite"].to_numpy(),
            "rank": baseline["rank"].to_numpy(),
        }
    )
    frame["residents_score"] = np.round(baseline["resident"].to_numpy(), 2)
    frame["superior_score"] = np.round(baseline["superior"].to_numpy(), 2)
    grade = baseline["grade"].to_numpy()
    frame["grade"] = (
        pd.Series(grade).map({position: g.value for position, g in enumerate(GRADES)}).fillna("")
    )
    frame["rank"] = frame["rank"].where(frame["rank"] > 0)
    frame["peers"] = frame.groupby(raw.peer_group)["rank"].transform("count")
    sensitivity = baseline["sensitivity"].to_numpy()
    worst = sensitivity.max(axis=1)
    best = np.where(sensitivity > 0, sensitivity, np.iinfo(np.int64).max).min(axis=1)
    # The same details as publish_django's; the baseline has no rater spread or gates, so
    # those come from the shared raw data and the numpy result's shape is kept.
    frame["details"] = [
        json.dumps(
            {
                "residents": {"responses": int(responses)},
                "raters": {"count": int(count), "trimmed": int(count) >= 5, "spread": None},
                "gates": [],
                "flags": ["self_inflation"] if inflated else [],
                "sensitivity": {
                    "best": int(low) if high else None,
                    "worst": int(high) or None,
                },
            },
            ensure_ascii=False,
        )
        for responses, count, inflated, low, high in zip(
            baseline["responses"].to_numpy(),
            baseline["rater_count"].to_numpy(),
            baseline["self_inflated"].to_numpy(),
            best,
            worst,
            strict=True,
        )
    ]
    frame["computed_at"] = timezone.now().isoformat()
    connection = sqlite3.connect(target.database)
    try:
        with connection:
            connection.execute(
                "DELETE FROM evaluation_result WHERE round_unit_id IN "
                "(SELECT id FROM evaluation_roundunit WHERE round_id = ?)",
                (target.round_id,),
            )
            frame.to_sql("evaluation_result", connection, if_exists="append", index=False)
    finally:
        connection.close()
    return len(frame)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def phases(raw: Raw, config: ScoringConfig) -> dict[str, float]:
    """Where the numpy time goes, for the record (one run)."""
    seconds: dict[str, float] = {}
    seconds["tally case rows"], _ = timed(lambda: tally_cases(raw.cases, raw.n_units))
    seconds["tally answers"], _ = timed(
        lambda: tally_resident_answers(
            raw.answer_unit, raw.answer_kind, raw.answer_value, raw.n_units
        )
    )
    whole, _ = timed(lambda: compute_numpy(raw, config))
    seconds["score, grade, rank, sensitivity"] = (
        whole - seconds["tally case rows"] - seconds["tally answers"]
    )
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", default="")
    parser.add_argument("--no-publish", dest="publish", action="store_false")
    args = parser.parse_args(argv)

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}"
    )
    generated, raw = timed(lambda: generate(args.units, args.answers, args.cases, args.seed))
    print(
        f"generated {args.units:,} units, {args.answers:,} answers, {args.cases:,} cases, "
        f"{raw.rater_unit.size:,} rater scores in {generated:.1f} s (not timed below)"
    )
    frames = frames_of(raw)

    numpy_seconds: list[float] = []
    pandas_seconds: list[float] = []
    mine: RoundResult | None = None
    baseline: dict[str, Any] | None = None
    for _ in range(args.repeats):
        elapsed, mine = timed(lambda: compute_numpy(raw, CONFIG))
        numpy_seconds.append(elapsed)
        elapsed, baseline = timed(lambda: compute_pandas(frames, CONFIG))
        pandas_seconds.append(elapsed)
    assert mine is not None and baseline is not None

    problems = compare(mine, baseline)
    publish: dict[str, list[float]] = {"django": [], "pandas": []}
    if args.publish:
        target = publish_setup(raw)
        try:
            for _ in range(args.repeats):
                elapsed, written = timed(lambda: publish_django(mine, raw, target))
                publish["django"].append(elapsed)
                assert written == raw.n_units
                elapsed, written = timed(lambda: publish_pandas(baseline, raw, target))
                publish["pandas"].append(elapsed)
                assert written == raw.n_units
        finally:
            import shutil

            shutil.rmtree(target.root, ignore_errors=True)
    numpy_median = statistics.median(numpy_seconds)
    pandas_median = statistics.median(pandas_seconds)
    ratio = pandas_median / numpy_median

    print()
    print(
        markdown_table(
            ["implementation", "median s", "min s", "max s", "runs"],
            [
                [
                    "score_round (numpy)",
                    f"{numpy_median:.3f}",
                    f"{min(numpy_seconds):.3f}",
                    f"{max(numpy_seconds):.3f}",
                    len(numpy_seconds),
                ],
                [
                    "plain pandas",
                    f"{pandas_median:.3f}",
                    f"{min(pandas_seconds):.3f}",
                    f"{max(pandas_seconds):.3f}",
                    len(pandas_seconds),
                ],
            ],
        )
    )
    if args.publish:
        publish_median = statistics.median(publish["django"])
        pandas_publish_median = statistics.median(publish["pandas"])
        print()
        print(
            markdown_table(
                ["publish: write Result rows (SQLite)", "median s", "min s", "max s", "runs"],
                [
                    [
                        label,
                        f"{statistics.median(values):.3f}",
                        f"{min(values):.3f}",
                        f"{max(values):.3f}",
                        len(values),
                    ]
                    for label, values in (
                        ("results_store (executemany) from score_round", publish["django"]),
                        ("pandas DataFrame.to_sql", publish["pandas"]),
                    )
                ],
            )
        )
        print(
            f"compute + publish: {numpy_median + publish_median:.3f} s; pandas "
            f"{pandas_median + pandas_publish_median:.3f} s "
            f"({(pandas_median + pandas_publish_median) / (numpy_median + publish_median):.1f}×)"
        )
    print()
    breakdown = phases(raw, CONFIG)
    print(
        markdown_table(
            ["numpy phase (one run)", "s"], [[k, f"{v:.3f}"] for k, v in breakdown.items()]
        )
    )
    grades = np.bincount(mine.grade[mine.grade >= 0], minlength=len(GRADES))
    print()
    print(
        "round: "
        + ", ".join(f"{g.value} {count:,}" for g, count in zip(GRADES, grades, strict=True))
        + f", ungraded {int((mine.grade == NO_GRADE).sum()):,}; "
        f"capped by low satisfaction {int(mine.capped_low_satisfaction.sum()):,}, "
        f"by weak residents {int(mine.capped_good_needs_residents.sum()):,}; "
        f"self-inflated {int(mine.self_inflated.sum()):,}; "
        f"trimmed rater means {int(mine.rater_trimmed.sum()):,}; "
        f"largest rank movement {int(mine.max_rank_movement.max())} "
        f"(sources {', '.join(SOURCES)})"
    )
    print(
        f"whole computation: median {numpy_median:.3f} s (target ≤ {TARGET_SECONDS:.0f} s); "
        f"pandas {pandas_median:.3f} s; ratio {ratio:.1f}× (target ≥ {TARGET_RATIO:.0f}×)"
    )
    print(
        "same composites, grades, ranks and sensitivity ranks: "
        + ("yes" if not problems else "NO — " + "; ".join(problems))
    )
    write_json(
        args.json,
        {
            "units": args.units,
            "answers": args.answers,
            "cases": args.cases,
            "numpy_seconds": numpy_seconds,
            "pandas_seconds": pandas_seconds,
            "numpy_median": numpy_median,
            "pandas_median": pandas_median,
            "ratio": ratio,
            "numpy_phases": breakdown,
            "publish_django_seconds": publish["django"],
            "publish_pandas_seconds": publish["pandas"],
            "agree": not problems,
        },
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
