"""Forms for rounds, the self-assessment and the superior's assessment.

They check types only; the rules (ranges from the snapshot, states, who may act) are the
services'. Indicator scores are read straight from the POST by `parse_answers`, since the
indicators come from the round's snapshot, not from a fixed form.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core.errors import DomainError
from jiceng.evaluation.models import Scheme, SchemeStatus, ScoringRule
from jiceng.evaluation.round_services import MAX_EXPLANATION, MAX_STAGE_DAYS, IndicatorAnswer
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
