"""Reads for results and appeals, restricted to what the actor may see (ResultPolicy, AppealPolicy).

A unit sees its own result only once the round is published; those above it see results from
the review on. Peer comparisons on a unit's report are aggregates (mean and best of the peer
group), so a unit never learns a sibling's individual scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible
from jiceng.evaluation.models import Appeal, Result, Round, RoundState
from jiceng.evaluation.scoring import Grade

GRADE_LABELS: dict[str, Any] = {
    Grade.GOOD: _("Excellent"),
    Grade.FAIRLY_GOOD: _("Good"),
    Grade.AVERAGE: _("Fair"),
    Grade.POOR: _("Poor"),
}

FLAG_LABELS: dict[str, Any] = {
    "self_inflation": _("Self-assessment well above the others"),
    "not_assessed": _("No assessment from any source"),
    "no_responses": _("No resident responses"),
    "low_responses": _("Too few resident responses"),
    "answers_kept_out": _("Resident answers refused or excluded"),
    "single_rater": _("Only one rater"),
    "rater_disagreement": _("Raters disagree strongly"),
}

GATE_LABELS: dict[str, Any] = {
    "low_resident_satisfaction": _("Grade capped: residents' satisfaction below the threshold"),
    "good_needs_residents": _("Grade capped: “excellent” needs the residents' assessment"),
}

# ?sort= value → ordering; nulls last so unscored units sink to the bottom.
SORTS: dict[str, tuple[str, ...]] = {
    "rank": ("round_unit__unit_class", "rank", "round_unit__unit_path"),
    "composite": ("-composite", "round_unit__unit_path"),
    "self": ("-self_score", "round_unit__unit_path"),
    "residents": ("-residents_score", "round_unit__unit_path"),
    "superior": ("-superior_score", "round_unit__unit_path"),
    "unit": ("round_unit__unit_path",),
}


# Units without a score listed on the review page before publishing; the rest are counted.
UNSCORED_SHOWN = 20


def grade_label(grade: str) -> Any:
    return GRADE_LABELS.get(grade, "—")


def flag_labels(details: dict[str, Any] | None) -> list[Any]:
    """A result's flags as shown, the same on the list, the reports and the export."""
    return [FLAG_LABELS.get(flag, flag) for flag in (details or {}).get("flags", [])]


def round_get(actor: Actor, pk: int) -> Round:
    return access_object(actor, Round, pk=pk, queryset=Round.objects.select_related("organiser"))


def round_results(actor: Actor, round_: Round, *, sort: str = "rank") -> QuerySet[Result]:
    ordering = SORTS.get(sort, SORTS["rank"])
    order_by = [
        F(field[1:]).desc(nulls_last=True)
        if field.startswith("-")
        else F(field).asc(nulls_last=True)
        for field in ordering
    ]
    return (
        visible(actor, Result)
        .filter(round_unit__round=round_)
        .select_related("round_unit__unit")
        .order_by(*order_by, "pk")
    )


@dataclass(frozen=True)
class UnscoredBlock:
    """The round's results without a composite, for the review before publishing."""

    count: int
    total: int
    results: list[Result]  # at most UNSCORED_SHOWN, by unit
    more: int  # how many more than those listed


def unscored_results(actor: Actor, round_: Round) -> UnscoredBlock:
    """How many of the round's results (that the actor sees) have no composite, and the first
    UNSCORED_SHOWN of them by unit. Two queries, whatever the number of units."""
    results = visible(actor, Result).filter(round_unit__round=round_)
    counts = results.aggregate(
        total=Count("pk"), count=Count("pk", filter=Q(composite__isnull=True))
    )
    shown = list(
        results.filter(composite__isnull=True)
        .select_related("round_unit__unit")
        .order_by("round_unit__unit_path", "pk")[:UNSCORED_SHOWN]
    )
    return UnscoredBlock(counts["count"], counts["total"], shown, counts["count"] - len(shown))


def organised_round(actor: Actor, pk: int) -> Round:
    """A round the actor organises (district administrators at or above its organiser); 404
    for any other, as if it did not exist."""
    round_ = access_object(
        actor, Round, action="edit", pk=pk, queryset=Round.objects.select_related("organiser")
    )
    if not actor.system and (
        actor.unit is None or not round_.organiser.path.startswith(actor.unit.path)
    ):
        raise Http404()
    return round_


def sensitivity_results(actor: Actor, round_: Round) -> QuerySet[Result]:
    """The round's ranked results, those whose rank moves most under weight shifts first."""
    return (
        visible(actor, Result)
        .filter(round_unit__round=round_, rank__isnull=False)
        .select_related("round_unit__unit")
        .order_by(
            F("details__sensitivity__movement").desc(nulls_last=True),
            "round_unit__unit_class",
            "rank",
            "round_unit__unit_path",
            "pk",
        )
    )


def result_get(actor: Actor, pk: int) -> Result:
    return access_object(
        actor,
        Result,
        pk=pk,
        queryset=Result.objects.select_related("round_unit__unit", "round_unit__round"),
    )


@dataclass(frozen=True)
class PeerSummary:
    count: int
    mean: dict[str, float | None]
    best: dict[str, float | None]


COMPONENTS = ("self_score", "residents_score", "superior_score", "composite")


def peer_summary(result: Result) -> PeerSummary:
    """Mean and best of each component over the unit's peer group (same round and class)."""
    aggregates: dict[str, Any] = {"count": Count("pk")}
    for name in COMPONENTS:
        aggregates[f"mean_{name}"] = Avg(name)
        aggregates[f"best_{name}"] = Max(name)
    row = Result.objects.filter(
        round_unit__round_id=result.round_unit.round_id,
        round_unit__unit_class=result.round_unit.unit_class,
    ).aggregate(**aggregates)
    return PeerSummary(
        count=row["count"],
        mean={name: row[f"mean_{name}"] for name in COMPONENTS},
        best={name: row[f"best_{name}"] for name in COMPONENTS},
    )


def result_trend(actor: Actor, result: Result, *, limit: int = 12) -> list[Result]:
    """The unit's results over its rounds up to this one, oldest first (what the actor sees)."""
    rows = (
        visible(actor, Result)
        .filter(
            round_unit__unit_id=result.round_unit.unit_id,
            round_unit__round__period_end__lte=result.round_unit.round.period_end,
        )
        .select_related("round_unit__round")
        .order_by("-round_unit__round__period_end", "-pk")[:limit]
    )
    return list(rows)[::-1]


def appeals_visible(actor: Actor) -> QuerySet[Appeal]:
    return (
        visible(actor, Appeal)
        .select_related("round_unit__unit", "round_unit__round", "filed_by", "decided_by")
        .order_by("-created_at", "-pk")
    )


def appeal_get(actor: Actor, pk: int) -> Appeal:
    return access_object(
        actor,
        Appeal,
        pk=pk,
        queryset=Appeal.objects.select_related(
            "round_unit__unit", "round_unit__round", "filed_by", "decided_by"
        ),
    )


def is_published(round_: Round) -> bool:
    return round_.state in (RoundState.PUBLISHED, RoundState.ARCHIVED)
