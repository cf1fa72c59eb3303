"""Evaluation state for tests, built through the services where they exist."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from jiceng.core.actors import SYSTEM
from jiceng.evaluation.models import (
    ROUND_STATE_ORDER,
    Indicator,
    Round,
    RoundState,
    Scheme,
    SchemeStatus,
    ScoringRule,
    UnitClass,
)
from jiceng.evaluation.round_services import (
    ROUND_FIELDS,
    round_advance,
    round_create,
    round_open,
)
from jiceng.orgs.models import OrgUnit


def make_scheme(
    owner: OrgUnit, unit_class: str = UnitClass.COMMUNITY, *, published: bool = True
) -> Scheme:
    """Two dimensions of two indicators: a checklist, a scale, a metric and a deduction."""
    scheme = Scheme.objects.create(
        family=f"test-{unit_class}",
        name=f"测试指标体系 {unit_class}",
        unit_class=unit_class,
        owner=owner,
        status=SchemeStatus.PUBLISHED if published else SchemeStatus.DRAFT,
        published_at=timezone.now() if published else None,
    )
    service = Indicator.objects.create(
        scheme=scheme, code="service", name="服务意识", weight=Decimal("50"), position=1
    )
    outcome = Indicator.objects.create(
        scheme=scheme, code="outcome", name="群众满意", weight=Decimal("50"), position=2
    )
    Indicator.objects.create(
        scheme=scheme,
        parent=service,
        code="duty-roster",
        name="值班制度落实",
        rule=ScoringRule.CHECKLIST,
        rule_options={"items": ["公示值班表", "按时开门", "登记来访"]},
        evidence_required=True,
        position=1,
    )
    Indicator.objects.create(
        scheme=scheme,
        parent=service,
        code="visits",
        name="入户走访",
        rule=ScoringRule.SCALE,
        rule_options={"top": 5},
        max_points=Decimal("5"),
        position=2,
    )
    Indicator.objects.create(
        scheme=scheme,
        parent=outcome,
        code="on-time",
        name="按时办结率",
        rule=ScoringRule.METRIC,
        rule_options={"metric": "on_time", "target": 0.95, "floor": 0.6},
        scored_by_self=False,
        scored_by_superior=False,
        position=1,
    )
    Indicator.objects.create(
        scheme=scheme,
        parent=outcome,
        code="complaints",
        name="有效投诉扣分",
        rule=ScoringRule.DEDUCTION,
        rule_options={"per_item": 2},
        position=2,
    )
    return scheme


def add_conduct_dimension(scheme: Scheme) -> Indicator:
    """A third dimension, 服务作风, of one 0–5 scale indicator (`meetings`): with it a unit's
    report draws a radar."""
    conduct = Indicator.objects.create(
        scheme=scheme, code="conduct", name="服务作风", weight=Decimal("50"), position=3
    )
    return Indicator.objects.create(
        scheme=scheme,
        parent=conduct,
        code="meetings",
        name="议事协商",
        rule=ScoringRule.SCALE,
        rule_options={"top": 5},
        max_points=Decimal("5"),
        position=1,
    )


def make_open_round(
    organiser: OrgUnit,
    units: list[OrgUnit],
    schemes: list[Scheme],
    *,
    state: str = RoundState.SELF,
    period: tuple[date, date] = (date(2026, 1, 1), date(2026, 6, 30)),
    **fields: Any,
) -> Round:
    """A round already opened through the services, its schemes snapshotted and `units` in it.

    States up to review are reached by `round_advance`; published and archived belong to the
    results' services, so they are set directly here (stage deadline cleared).
    """
    create_fields = {name: fields.pop(name) for name in list(fields) if name in ROUND_FIELDS}
    create_fields.setdefault("name", "2026年上半年基层服务力评价")
    round_ = round_create(
        actor=SYSTEM,
        organiser=organiser,
        period_start=period[0],
        period_end=period[1],
        schemes=schemes,
        **create_fields,
    )
    if state == RoundState.DRAFT:
        return round_
    round_open(actor=SYSTEM, round_=round_, units=units)
    order = list(ROUND_STATE_ORDER)
    target = order.index(state)
    while order.index(round_.state) < min(target, order.index(RoundState.REVIEW)):
        round_advance(actor=SYSTEM, round_=round_)
    if target > order.index(RoundState.REVIEW):
        Round.objects.filter(pk=round_.pk).update(state=state, stage_deadline=None)
        round_.state = state
        round_.stage_deadline = None
    if fields:
        Round.objects.filter(pk=round_.pk).update(**fields)
        for name, value in fields.items():
            setattr(round_, name, value)
    return round_
