"""Where the "me too" support of cases is read from: one function, so the source can change.

A case's support is the number of residents who pressed "me too" on it (`CaseSupport`) plus
the number of requests merged into it (each merge leaves a `supported` event on the case kept).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Count

from jiceng.cases.models import CaseEvent, EventKind
from jiceng.insight.models_routing import CaseSupport

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
        for case_id, n in rows:
            found[case_id] = found.get(case_id, 0) + n
        supports = (
            CaseSupport.objects.filter(case_id__in=ids[start : start + CHUNK])
            .order_by()
            .values("case_id")
            .annotate(n=Count("id"))
            .values_list("case_id", "n")
        )
        for case_id, n in supports:
            found[case_id] = found.get(case_id, 0) + n
    return found
