"""How many residents back a case ("me too"): one definition for every page that shows it.

A case's support is the number of residents who pressed "me too" on it (`CaseSupport`) plus
the number of requests merged into it (each merge leaves a `supported` event on the case kept):
a resident reading "已有人反映" wants to know how many people raised the problem, and whoever
filed a request that was merged into this one raised it too. The duplicates panel of the staff
case page, residents' suggestions and hot issues all count it here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from jiceng.cases.models import Case, CaseEvent, EventKind
from jiceng.insight.models_routing import CaseSupport

CHUNK = 900


def _count_of(queryset: QuerySet) -> Coalesce:
    """The number of rows of `queryset` (filtered on the outer case), 0 when none."""
    counted = queryset.order_by().values("case_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def support_expression() -> CombinedExpression:
    """An annotation on a `Case` queryset: its "me too" supports plus the requests merged into
    it. Use it where cases are read anyway; `support_counts` reads it for given case ids."""
    me_too = _count_of(CaseSupport.objects.filter(case_id=OuterRef("pk")))
    merged = _count_of(CaseEvent.objects.filter(case_id=OuterRef("pk"), kind=EventKind.SUPPORTED))
    return me_too + merged


def support_counts(
    case_ids: Iterable[int], *, cases: QuerySet[Case] | None = None
) -> Mapping[int, int]:
    """case id → support (`support_expression`); cases without support are left out.

    `cases` narrows the cases read (e.g. to those an actor may see); all cases by default.
    One query per 900 ids.
    """
    ids = list(case_ids)
    base = cases if cases is not None else Case.objects.all()
    found: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        rows = (
            base.filter(pk__in=ids[start : start + CHUNK])
            .order_by()
            .annotate(support=support_expression())
            .filter(support__gt=0)
            .values_list("pk", "support")
        )
        found.update(rows)
    return found
