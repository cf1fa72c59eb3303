"""Reads of reply-quality scores, for the dashboard and evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import Round, Substr

from jiceng.conduct.reply_quality_models import ReplyScore


def perfunctory_share(
    *, path: str, branch_length: int, start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """Per branch of the subtree at `path`: (perfunctory replies, scored replies) among resolution
    replies in [start, end) given by a unit of the subtree. One grouped query.

    A branch is the first `branch_length` characters of the replying unit's path (the path of the
    unit one level below when `branch_length` is `len(path) + OrgUnit.steplen`). Branches without
    a scored reply in the period are absent; the caller decides what "no data" shows.
    """
    rows = (
        ReplyScore.objects.filter(
            unit__path__startswith=path, replied_at__gte=start, replied_at__lt=end
        )
        .order_by()
        .values(branch=Substr("unit__path", 1, branch_length))
        .annotate(scored=Count("id"), perfunctory=Count("id", filter=Q(perfunctory=True)))
    )
    return {row["branch"]: (row["perfunctory"], row["scored"]) for row in rows}


def reply_quality_by_unit(
    *, unit_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, tuple[int, int, int]]:
    """Per unit (its own replies, not its subtree's): (Σ totals in whole points, scored replies,
    perfunctory replies) among resolution replies given in [start, end). One grouped query.

    Each total is rounded to a whole point before summing, so the figures are integers that
    evaluation's case metrics can carry as numerator and denominator (docs/SCORING.md).
    """
    rows = (
        ReplyScore.objects.filter(
            unit_id__in=list(unit_ids), replied_at__gte=start, replied_at__lt=end
        )
        .values("unit_id")
        .annotate(
            points=Sum(Round("total")),
            scored=Count("id"),
            perfunctory=Count("id", filter=Q(perfunctory=True)),
        )
    )
    return {
        row["unit_id"]: (int(row["points"] or 0), row["scored"], row["perfunctory"]) for row in rows
    }
