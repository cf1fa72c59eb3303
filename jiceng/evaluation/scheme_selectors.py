"""Reads of indicator schemes, already restricted to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from jiceng.core.actors import Actor
from jiceng.core.permissions import visible
from jiceng.evaluation.models import Indicator, Scheme, SchemeStatus, ScoringRule
from jiceng.evaluation.scoring import GUARANTEE_METRICS, UNBOUNDED_METRICS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def schemes_visible(actor: Actor) -> QuerySet[Scheme]:
    return visible(actor, Scheme)


@dataclass
class Family:
    """The versions of one scheme, newest first."""

    code: str
    versions: list[Scheme] = field(default_factory=list)

    @property
    def current(self) -> Scheme:
        """The published version, else the newest."""
        published = [s for s in self.versions if s.status == SchemeStatus.PUBLISHED]
        return published[0] if published else self.versions[0]

    @property
    def draft(self) -> Scheme | None:
        return next((s for s in self.versions if s.status == SchemeStatus.DRAFT), None)


def scheme_families(actor: Actor) -> list[Family]:
    """Every visible scheme grouped by family, in one query; families by unit class and code."""
    rows = (
        schemes_visible(actor)
        .annotate(indicator_count=Count("indicators"))
        .order_by("unit_class", "family", "-version")
    )
    families: dict[str, Family] = {}
    for scheme in rows:
        families.setdefault(scheme.family, Family(scheme.family)).versions.append(scheme)
    return list(families.values())


METRIC_LABELS: dict[str, StrOrPromise] = {
    "response": _("response rate"),
    "resolution": _("resolution rate"),
    "satisfaction": _("satisfaction rate"),
    "on_time": _("on-time rate"),
    "no_feedback": _("share of cases without feedback"),
    "reply_quality": _("mean reply quality"),
    "perfunctory": _("share of perfunctory replies"),
    "venue_open": _("venues found open at spot checks"),
    "venue_visits": _("venue check-ins per open hour"),
    "fund_execution": _("fund execution rate"),
    "staff_ratio": _("staff per 1,000 residents"),
    "care_visits": _("care visits on time"),
    "rectification": _("rectification progress"),
}


def describe_rule(indicator: Indicator) -> str:
    """The rule's options in a sentence (checklist items are listed separately)."""
    options = indicator.rule_options or {}
    if indicator.rule == ScoringRule.CHECKLIST:
        return ngettext(
            "%(count)d item; points in proportion to the items met",
            "%(count)d items; points in proportion to the items met",
            len(options.get("items", [])),
        ) % {"count": len(options.get("items", []))}
    if indicator.rule == ScoringRule.SCALE:
        return gettext("scored 0 to %(top)s") % {"top": options.get("top")}
    if indicator.rule == ScoringRule.DEDUCTION:
        return gettext("%(points)s points off per finding") % {"points": options.get("per_item")}
    if indicator.rule == ScoringRule.METRIC:
        target, floor = options.get("target", 0), options.get("floor", 0)
        if options.get("metric") in UNBOUNDED_METRICS:
            return gettext("%(metric)s: full points at %(target)s, none at %(floor)s") % {
                "metric": METRIC_LABELS.get(str(options.get("metric"))),
                "target": f"{float(target):g}",
                "floor": f"{float(floor):g}",
            }
        return gettext("%(metric)s: full points at %(target)s%%, none at %(floor)s%%") % {
            "metric": METRIC_LABELS.get(str(options.get("metric")), options.get("metric")),
            "target": _percent(target),
            "floor": _percent(floor),
        }
    return ""


def _percent(value: object) -> str:
    try:
        return f"{float(str(value)) * 100:g}"
    except ValueError:
        return str(value)


@dataclass
class Node:
    """A dimension or indicator with its weight as a share of its siblings' (in per cent)."""

    indicator: Indicator
    share: Decimal
    children: list[Node] = field(default_factory=list)

    @property
    def rule_summary(self) -> str:
        return describe_rule(self.indicator)

    @property
    def scored_by(self) -> StrOrPromise | None:
        """Who scores an objective metric: case data (residents) or guarantees (superior)."""
        if self.indicator.rule != ScoringRule.METRIC:
            return None
        if (self.indicator.rule_options or {}).get("metric") in GUARANTEE_METRICS:
            return _("computed from support and rectification records, in the superior's score")
        return _("computed from case data")

    @property
    def items(self) -> list[str]:
        if self.indicator.rule != ScoringRule.CHECKLIST:
            return []
        return [str(item) for item in (self.indicator.rule_options or {}).get("items", [])]


def _shares(rows: list[Indicator]) -> list[Decimal]:
    total = sum((row.weight for row in rows), Decimal("0"))
    if total <= 0:
        return [Decimal("0") for _row in rows]
    return [(row.weight * 100 / total).quantize(Decimal("0.1")) for row in rows]


def scheme_tree(rows: list[Indicator]) -> list[Node]:
    """The tree of a scheme's indicators (read in order, see `scheme_rows`), with shares."""
    dimensions = [row for row in rows if row.parent_id is None]
    children: dict[int, list[Indicator]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    tree: list[Node] = []
    for dimension, share in zip(dimensions, _shares(dimensions), strict=True):
        below = children.get(dimension.pk, [])
        tree.append(
            Node(
                dimension,
                share,
                [Node(item, s) for item, s in zip(below, _shares(below), strict=True)],
            )
        )
    return tree
