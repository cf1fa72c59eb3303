"""A round's scoring settings: `Round.snapshot["config"]` merged over the defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

from django.utils.translation import gettext as _

from jiceng.core.errors import DomainError
from jiceng.evaluation.scoring import (
    GradeCuts,
    MetricRule,
    ResidentConfig,
    ScoringConfig,
    SourceWeights,
)


def _weights(raw: Mapping[str, Any]) -> SourceWeights:
    return SourceWeights(
        self_assessment=float(raw.get("self", raw.get("self_assessment", 10))),
        residents=float(raw.get("residents", 45)),
        superior=float(raw.get("superior", 45)),
    )


def scoring_config(raw: Mapping[str, Any] | None) -> ScoringConfig:
    """A round's `snapshot["config"]` merged over the defaults; DomainError if it is invalid.

    Keys: weights {self, residents, superior}, weights_by_class {class: weights},
    cuts {good, fairly_good, average}, residents {ResidentConfig fields, case_metrics
    {metric: {target, floor, weight}}}, and ScoringConfig's scalar fields.
    """
    raw = dict(raw or {})
    try:
        config = ScoringConfig()
        changes: dict[str, Any] = {}
        if "weights" in raw:
            changes["weights"] = _weights(raw.pop("weights"))
        if "weights_by_class" in raw:
            changes["weights_by_class"] = {
                cls: _weights(value) for cls, value in raw.pop("weights_by_class").items()
            }
        if "cuts" in raw:
            changes["cuts"] = replace(GradeCuts(), **raw.pop("cuts"))
        if "residents" in raw:
            residents = dict(raw.pop("residents"))
            if "case_metrics" in residents:
                residents["case_metrics"] = {
                    name: MetricRule(**rule) for name, rule in residents["case_metrics"].items()
                }
            changes["residents"] = replace(ResidentConfig(), **residents)
        scalars = {f.name for f in fields(ScoringConfig)} - {
            "weights",
            "weights_by_class",
            "cuts",
            "residents",
        }
        unknown = sorted(set(raw) - scalars)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        changes.update(raw)
        return replace(config, **changes)
    except (TypeError, ValueError, AttributeError) as error:
        raise DomainError(
            _("The round's scoring settings are invalid: %(error)s") % {"error": error}
        ) from None
