"""Where the "me too" support of cases is read from: one function, so the source can change.

Today a case's support is the number of requests merged into it (each merge leaves a
`supported` event on the case kept). When residents can press "me too" on a case
(`CaseSupport`), `support_counts` reads that instead; nothing else in hot issues changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Count

from jiceng.cases.models import CaseEvent, EventKind

CHUNK = 900


def support_counts(case_ids: Iterable[int]) -> Mapping[int, int]:
    """case id → "me too" supports; cases without support are left out."""
    ids = list(case_ids)
    found: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        rows = (
            CaseEvent.objects.filter(
                case_id__in=ids[start : start + CHUNK], kind=EventKind.SUPPORTED
            )
            .order_by()
            .values("case_id")
            .annotate(n=Count("id"))
            .values_list("case_id", "n")
        )
        found.update(rows)
    return found
