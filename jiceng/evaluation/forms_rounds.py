"""Forms for rounds, the self-assessment and the superior's assessment.

They check types only; the rules (ranges from the snapshot, states, who may act) are the
services'. Indicator scores are read straight from the POST by `parse_answers`, since the
indicators come from the round's snapshot, not from a fixed form.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.errors import DomainError
from jiceng.evaluation.models import Scheme, SchemeStatus, ScoringRule, UnitClass
from jiceng.evaluation.round_services import MAX_EXPLANATION, MAX_STAGE_DAYS, IndicatorAnswer
from jiceng.evaluation.scoring import ScoringConfig
from jiceng.orgs.models import Membership


class RoundForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    period_start = forms.DateField(
        label=gettext_lazy("Period start"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=gettext_lazy("Period end"), widget=forms.DateInput(attrs={"type": "date"})
    )
    schemes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Schemes"),
        queryset=Scheme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("One published scheme per class of units."),
    )
    self_days = forms.IntegerField(
        label=gettext_lazy("Self-assessment (working days)"), min_value=1, max_value=MAX_STAGE_DAYS
    )
    residents_days = forms.IntegerField(
        label=gettext_lazy("Residents' assessment (working days)"),
        min_value=1,
        max_value=MAX_STAGE_DAYS,
    )
    superior_days = forms.IntegerField(
        label=gettext_lazy("Superior's assessment (working days)"),
        min_value=1,
        max_value=MAX_STAGE_DAYS,
    )
    appeal_days = forms.IntegerField(
        label=gettext_lazy("Appeal period (working days)"), min_value=1, max_value=MAX_STAGE_DAYS
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["schemes"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Scheme.objects.filter(status=SchemeStatus.PUBLISHED).order_by(
            "unit_class", "family", "-version"
        )


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user} · {obj.get_role_display()} · {obj.unit}"


class RaterForm(forms.Form):
    membership = MembershipChoiceField(
        label=gettext_lazy("Rater"), queryset=Membership.objects.none()
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidates


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for returning"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("The unit sees this reason and corrects its self-assessment."),
    )


class EvidenceForm(forms.Form):
    indicator = forms.CharField(max_length=32, widget=forms.HiddenInput)
    file = forms.FileField(
        label=gettext_lazy("Evidence file"),
        help_text=gettext_lazy("PDF, JPEG, PNG, Word (DOCX) or Excel (XLSX), up to 10 MB."),
    )


def parse_answers(data: QueryDict, indicators: list[dict[str, Any]]) -> dict[str, IndicatorAnswer]:
    """The answers posted for `indicators`: `points-<code>`, `items-<code>`, `explanation-<code>`.

    A number that does not parse is a DomainError on its field; ranges are the service's.
    """
    answers = {}
    for indicator in indicators:
        code = indicator["code"]
        explanation = data.get(f"explanation-{code}", "")[: MAX_EXPLANATION + 1]
        if indicator["rule"] == ScoringRule.CHECKLIST:
            raw_items = data.getlist(f"items-{code}")
            try:
                items = tuple(int(value) for value in raw_items)
            except ValueError:
                raise DomainError(
                    _("Tick only items of this checklist, each once."), field=f"items-{code}"
                ) from None
            answers[code] = IndicatorAnswer(items_met=items, explanation=explanation)
            continue
        raw = data.get(f"points-{code}", "").strip()
        points = None
        if raw:
            try:
                points = Decimal(raw)
            except InvalidOperation:
                raise DomainError(_("Enter a number."), field=f"points-{code}") from None
            if not points.is_finite():
                raise DomainError(_("Enter a number."), field=f"points-{code}")
        answers[code] = IndicatorAnswer(points=points, explanation=explanation)
    return answers


WEIGHT_LABELS: dict[str, Any] = {
    "self": gettext_lazy("Self-assessment"),
    "residents": gettext_lazy("Residents"),
    "superior": gettext_lazy("Superior"),
}


def _setting_field(label: Any, help_text: Any = "", *, places: int = 2) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        max_digits=8,
        decimal_places=places,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def _plain(value: float) -> int | float:
    """45.0 → 45, 12.345 → 12.35: how a setting is shown in a field."""
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


class ScoringForm(forms.Form):
    """A round's scoring settings as people think of them: weights and the gate in percent,
    cut points and the margin in points, the prior as a satisfaction level 1–5.

    It checks types only; the rules are `round_services.clean_scoring_settings`', whose
    messages name these fields. `settings()` turns the answers into the stored shape.
    """

    cut_good = _setting_field(gettext_lazy("Lowest composite for “excellent”"))
    cut_fairly_good = _setting_field(gettext_lazy("Lowest composite for “good”"))
    cut_average = _setting_field(
        gettext_lazy("Lowest composite for “fair”"),
        gettext_lazy("Below it the grade is “poor”. A composite exactly at a cut point gets it."),
    )
    satisfaction_gate = _setting_field(
        gettext_lazy("Residents' satisfaction threshold (%)"),
        gettext_lazy("Below this share of satisfied residents the grade is at most “fair”."),
    )
    min_responses = forms.IntegerField(
        label=gettext_lazy("Minimum number of resident responses"),
        help_text=gettext_lazy("With fewer ratings a unit has no residents' score."),
    )
    prior_mean = _setting_field(
        gettext_lazy("Prior mean (satisfaction level 1–5)"),
        gettext_lazy("Small samples are pulled towards this level (Bayesian average)."),
    )
    prior_weight = _setting_field(
        gettext_lazy("Prior weight (imagined responses)"),
        gettext_lazy("How many responses at the prior mean are added to every unit's answers."),
    )
    self_inflation_margin = _setting_field(
        gettext_lazy("Self-inflation margin (points)"),
        gettext_lazy(
            "A self-assessment above the mean of the other sources by more than this is flagged."
        ),
    )

    def __init__(self, *args: Any, unit_classes: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit_classes = list(unit_classes)
        for unit_class in self.unit_classes:
            for source, label in WEIGHT_LABELS.items():
                self.fields[f"weight_{unit_class}_{source}"] = _setting_field(
                    format_lazy("{} (%)", label)
                )
        self.order_fields([name for name in self.fields if name.startswith("weight_")])

    @staticmethod
    def initial_from(config: ScoringConfig, unit_classes: Sequence[str]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "cut_good": _plain(config.cuts.good),
            "cut_fairly_good": _plain(config.cuts.fairly_good),
            "cut_average": _plain(config.cuts.average),
            "satisfaction_gate": _plain(config.satisfaction_gate * 100),
            "min_responses": config.residents.min_responses,
            "prior_mean": _plain(config.residents.prior_mean),
            "prior_weight": _plain(config.residents.prior_weight),
            "self_inflation_margin": _plain(config.self_inflation_margin),
        }
        for unit_class in unit_classes:
            weights = config.weights_for(unit_class)
            for source, value in zip(WEIGHT_LABELS, weights.as_tuple(), strict=True):
                initial[f"weight_{unit_class}_{source}"] = _plain(value)
        return initial

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """The fields in fieldsets: the weights of each class, grades, residents, the flag."""
        groups: list[tuple[Any, list[forms.BoundField]]] = [
            (
                format_lazy(
                    "{} · {}", gettext_lazy("Weights of the sources"), UnitClass(cls).label
                ),
                [self[f"weight_{cls}_{source}"] for source in WEIGHT_LABELS],
            )
            for cls in self.unit_classes
        ]
        groups.append(
            (
                gettext_lazy("Grade cut points"),
                [self["cut_good"], self["cut_fairly_good"], self["cut_average"]],
            )
        )
        groups.append(
            (
                gettext_lazy("Residents' assessment"),
                [
                    self["satisfaction_gate"],
                    self["min_responses"],
                    self["prior_mean"],
                    self["prior_weight"],
                ],
            )
        )
        groups.append((gettext_lazy("Self-inflation flag"), [self["self_inflation_margin"]]))
        return groups

    def settings(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """The round's stored settings `current` with this form's answers put in."""
        data = self.cleaned_data
        config = copy.deepcopy(dict(current))
        by_class = dict(config.get("weights_by_class") or {})
        for unit_class in self.unit_classes:
            by_class[unit_class] = {
                source: float(data[f"weight_{unit_class}_{source}"]) for source in WEIGHT_LABELS
            }
        config["weights_by_class"] = by_class
        config["cuts"] = {
            name: float(data[f"cut_{name}"]) for name in ("good", "fairly_good", "average")
        }
        residents = dict(config.get("residents") or {})
        residents.update(
            min_responses=data["min_responses"],
            prior_mean=float(data["prior_mean"]),
            prior_weight=float(data["prior_weight"]),
        )
        config["residents"] = residents
        config["satisfaction_gate"] = float(data["satisfaction_gate"] / 100)
        config["self_inflation_margin"] = float(data["self_inflation_margin"])
        return config
