"""The frozen form of a scheme that a round keeps (`Round.snapshot`).

Everything after a round opens (forms, scoring, reports) reads indicators from here, never from
the `Scheme` rows, so editing a scheme cannot change a running round. The shape:

    {"schemes": {unit_class: {"id", "family", "version", "name",
                              "dimensions": [{"code", "name", "weight",
                                              "indicators": [{"code", "name", "guidance",
                                                              "weight", "max_points", "rule",
                                                              "rule_options", "evidence_required",
                                                              "scored_by_self",
                                                              "scored_by_superior"}]}]}},
     "config": {...}}   # scoring settings, see evaluation.scoring.ScoringConfig

Weights and points are strings (exact decimals survive JSON).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jiceng.evaluation.models import Indicator, Scheme


def scheme_snapshot(scheme: Scheme) -> dict[str, Any]:
    rows = list(scheme.indicators.order_by("position", "pk"))
    children: dict[int, list[Indicator]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    return {
        "id": scheme.pk,
        "family": scheme.family,
        "version": scheme.version,
        "name": scheme.name,
        "dimensions": [
            {
                "code": dimension.code,
                "name": dimension.name,
                "weight": str(dimension.weight),
                "indicators": [_indicator(item) for item in children.get(dimension.pk, [])],
            }
            for dimension in rows
            if dimension.parent_id is None
        ],
    }


def _indicator(item: Indicator) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "guidance": item.guidance,
        "weight": str(item.weight),
        "max_points": str(item.max_points),
        "rule": item.rule,
        "rule_options": item.rule_options,
        "evidence_required": item.evidence_required,
        "scored_by_self": item.scored_by_self,
        "scored_by_superior": item.scored_by_superior,
    }


def snapshot_indicators(snapshot: dict[str, Any], unit_class: str) -> Iterator[dict[str, Any]]:
    """The indicators of one unit class in a round's snapshot, in order, with their dimension."""
    scheme = snapshot.get("schemes", {}).get(unit_class)
    if scheme is None:
        return
    for dimension in scheme["dimensions"]:
        for indicator in dimension["indicators"]:
            yield {**indicator, "dimension": dimension["code"]}
