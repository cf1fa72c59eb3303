"""Every read of the residents' assessment.

Staff reads take the actor: what residents said about a unit, and the means of answering for
it (tokens, open links), are seen only from above the unit. `resident_tallies` and
`resident_response_counts` serve the results computation, which runs as the system.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible
from jiceng.evaluation.models import (
    Answer,
    Channel,
    OpenLink,
    Question,
    QuestionKind,
    Round,
    RoundUnit,
    Survey,
    SurveyResponse,
    SurveyToken,
    TokenBatch,
)
from jiceng.evaluation.permissions import seen_from_above
from jiceng.evaluation.scoring import ResidentTally

LEVELS = range(1, 6)


# --- the questionnaire ----------------------------------------------------------------------
def survey_rounds(actor: Actor) -> QuerySet[Round]:
    """Rounds the actor sees, with their questionnaire (if any) in the same query."""
    return (
        visible(actor, Round)
        .select_related("organiser", "survey")
        .annotate(question_count=Count("survey__questions"))
        .order_by("-period_end", "-pk")
    )


def round_for_survey(actor: Actor, pk: int) -> Round:
    return access_object(actor, Round, queryset=Round.objects.select_related("organiser"), pk=pk)


def survey_of(round_: Round) -> Survey | None:
    return Survey.objects.filter(round=round_).first()


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.select_related("show_if").order_by("position", "pk"))


def question_for_edit(actor: Actor, pk: int) -> Question:
    return access_object(
        actor,
        Question,
        action="edit",
        queryset=Question.objects.select_related("survey__round"),
        pk=pk,
    )


# --- distribution and response rates --------------------------------------------------------
def _overseen(actor: Actor, queryset: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
    condition = seen_from_above(actor, prefix)
    return queryset if condition is None else queryset.filter(condition)


def round_unit_overseen(actor: Actor, pk: int) -> RoundUnit:
    """A unit in a round seen from above; 404 for the unit itself, siblings and missing ones."""
    return _one(_overseen(actor, RoundUnit.objects.select_related("round", "unit")), pk)


def _one(queryset: QuerySet[Any], pk: int) -> Any:
    found = queryset.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if found is None:
        raise Http404()
    return found


def _count(queryset: QuerySet[Any], outer: str = "round_unit") -> Coalesce:
    counted = (
        queryset.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def response_rates(actor: Actor, round_: Round) -> QuerySet[RoundUnit]:
    """The round's units below the actor, each with its response figures (one query)."""
    issued = (
        TokenBatch.objects.filter(round_unit=OuterRef("pk"), voided_at__isnull=True)
        .order_by()
        .values("round_unit")
        .annotate(n=Sum("count"))
        .values("n")
    )
    return (
        _overseen(actor, RoundUnit.objects.filter(round=round_))
        .select_related("unit")
        .annotate(
            answered=_count(SurveyResponse.objects.filter(excluded_reason="")),
            excluded=_count(SurveyResponse.objects.exclude(excluded_reason="")),
            open_answers=_count(
                SurveyResponse.objects.filter(channel=Channel.OPEN_LINK, excluded_reason="")
            ),
            tokens_issued=Coalesce(Subquery(issued, output_field=IntegerField()), Value(0)),
            tokens_used=_count(
                SurveyToken.objects.filter(used_at__isnull=False), "batch__round_unit"
            ),
        )
        .order_by("unit_path")
    )


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def token_batches(actor: Actor, round_unit: RoundUnit) -> QuerySet[TokenBatch]:
    return (
        _overseen(actor, TokenBatch.objects.filter(round_unit=round_unit), "round_unit__")
        .select_related("created_by")
        .annotate(used=Count("tokens", filter=Q(tokens__used_at__isnull=False)))
        .order_by("-created_at", "-pk")
    )


def token_batch_overseen(actor: Actor, pk: int) -> TokenBatch:
    queryset = TokenBatch.objects.select_related("round_unit__round")
    return _one(_overseen(actor, queryset, "round_unit__"), pk)


def open_links(actor: Actor, round_unit: RoundUnit) -> QuerySet[OpenLink]:
    return (
        _overseen(actor, OpenLink.objects.filter(round_unit=round_unit), "round_unit__")
        .annotate(answers=Count("responses"))
        .order_by("-is_active", "-created_at", "-pk")
    )


def open_link_overseen(actor: Actor, pk: int) -> OpenLink:
    queryset = OpenLink.objects.select_related("round_unit__round", "round_unit__unit")
    return _one(_overseen(actor, queryset, "round_unit__"), pk)


def text_answers(actor: Actor, round_unit: RoundUnit) -> QuerySet[Answer]:
    """Residents' written answers about a unit, newest first; only from above the unit."""
    return (
        _overseen(actor, Answer.objects.all(), "response__round_unit__")
        .filter(response__round_unit=round_unit, question__kind=QuestionKind.TEXT)
        .select_related("question", "response")
        .order_by("-response__submitted_at", "-pk")
    )


# --- the public side ------------------------------------------------------------------------
def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_lookup(raw: str) -> SurveyToken | None:
    """The unused, unvoided token with this secret, with its unit and round; None otherwise."""
    if not raw or len(raw) > 64:
        return None
    return (
        SurveyToken.objects.select_related("batch__round_unit__round", "batch__round_unit__unit")
        .filter(digest=token_digest(raw), used_at__isnull=True, batch__voided_at__isnull=True)
        .first()
    )


def open_link_by_slug(slug: str) -> OpenLink | None:
    if not slug or len(slug) > 32 or "\x00" in slug:  # PostgreSQL refuses NUL in text
        return None
    return (
        OpenLink.objects.select_related("round_unit__round", "round_unit__unit")
        .filter(slug=slug, is_active=True)
        .first()
    )


# --- for the results computation -----------------------------------------------------------
def resident_tallies(round_: Round) -> dict[int, ResidentTally]:
    """Per unit of the round: satisfaction levels counted over satisfaction questions and matrix
    rows, and answers to "was it solved" questions (yes / all). Excluded responses are left out;
    every unit of the round is present, with zeros when nobody answered. Two queries."""
    ratings: dict[int, list[int]] = {
        pk: [0, 0, 0, 0, 0]
        for pk in RoundUnit.objects.filter(round=round_).values_list("pk", flat=True)
    }
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
        counts = ratings.get(unit_id)
        if counts is None:
            continue
        if kind == QuestionKind.SINGLE:
            yes_no[unit_id] += count
            yes[unit_id] += count if value == yes_option else 0
            continue
        for level in value if isinstance(value, list) else [value]:
            if level in LEVELS:
                counts[level - 1] += count
    return {
        unit_id: ResidentTally(
            ratings=(counts[0], counts[1], counts[2], counts[3], counts[4]),
            yes=yes[unit_id],
            yes_no=yes_no[unit_id],
        )
        for unit_id, counts in ratings.items()
    }


def resident_response_counts(round_: Round) -> dict[int, int]:
    """Responses counted for scoring (not excluded) per unit of the round; one query."""
    return dict(
        RoundUnit.objects.filter(round=round_)
        .annotate(n=Count("responses", filter=Q(responses__excluded_reason="")))
        .values_list("pk", "n")
    )


def answers_kept_out(round_: Round) -> dict[int, int]:
    """Per unit of the round with any: answers its open links refused (over a limit, or from a
    staff device) plus responses excluded afterwards. Two queries."""
    kept_out: dict[int, int] = defaultdict(int)
    refused = (
        OpenLink.objects.filter(round_unit__round=round_, refused__gt=0)
        .values("round_unit_id")
        .annotate(n=Sum("refused"))
        .order_by()
        .values_list("round_unit_id", "n")
    )
    excluded = (
        SurveyResponse.objects.filter(round_unit__round=round_)
        .exclude(excluded_reason="")
        .values("round_unit_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("round_unit_id", "n")
    )
    for unit_id, n in [*refused, *excluded]:
        kept_out[unit_id] += n
    return dict(kept_out)
