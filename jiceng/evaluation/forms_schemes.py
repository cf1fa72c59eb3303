"""Forms of the scheme pages. They parse; the services check the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.core.errors import DomainError
from jiceng.evaluation import scheme_xlsx
from jiceng.evaluation.models import ScoringRule, UnitClass
from jiceng.evaluation.scheme_services import IndicatorData, parse_rule_options

FAMILY_HELP = _("A short code in letters, digits and hyphens, such as community-2027.")


class SchemeForm(forms.Form):
    family = forms.SlugField(label=_("Scheme code"), max_length=50, help_text=FAMILY_HELP)
    name = forms.CharField(label=_("Name"), max_length=100)
    unit_class = forms.ChoiceField(label=_("Unit class"), choices=UnitClass.choices)
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The code and the unit class are fixed once the scheme exists.
            del self.fields["family"]
            del self.fields["unit_class"]


class DimensionForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    guidance = forms.CharField(
        label=_("Guidance"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=Decimal("0"),
        max_digits=6,
        decimal_places=2,
        help_text=_("Relative to the other dimensions; the page shows it as a percentage."),
    )

    def to_data(self) -> IndicatorData:
        data = self.cleaned_data
        return IndicatorData(
            code=data["code"], name=data["name"], guidance=data["guidance"], weight=data["weight"]
        )


class IndicatorForm(DimensionForm):
    max_points = forms.DecimalField(
        label=_("Maximum points"), min_value=Decimal("0.01"), max_digits=6, decimal_places=2
    )
    rule = forms.ChoiceField(label=_("Scoring rule"), choices=ScoringRule.choices)
    options = forms.CharField(
        label=_("Rule options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Checklist: one item per line. Scale: top=5. Deduction: per_item=2. "
            "Metric: metric=on_time; target=0.95; floor=0.6, where the metric is response, "
            "resolution, satisfaction, on_time, no_feedback, reply_quality (mean reply quality "
            "÷ 100) or perfunctory (share of perfunctory replies) (case data, in the residents' "
            "score), or venue_open, venue_visits, fund_execution, staff_ratio, care_visits or "
            "rectification (guarantees, in the superior's score); targets and floors are shares "
            "from 0 to 1, except venue_visits (check-ins per open hour, such as target=2; "
            "floor=0.5) and staff_ratio (staff per 1,000 residents, such as target=3; "
            "floor=1), and a target below the floor means lower is better."
        ),
    )
    evidence_required = forms.BooleanField(label=_("Evidence required"), required=False)
    scored_by_self = forms.BooleanField(label=_("Scored in the self-assessment"), required=False)
    scored_by_superior = forms.BooleanField(
        label=_("Scored by the superior"),
        required=False,
        help_text=_(
            "Metric indicators are computed from case data or from the support and "
            "rectification records; no one scores them by hand."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["weight"].help_text = _(
            "Relative to the other indicators of the dimension; shown as a percentage."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "rule" in data:
            try:
                data["rule_options"] = parse_rule_options(data["rule"], data.get("options", ""))
            except DomainError as error:
                self.add_error("options", str(error.message))
        return data

    def to_data(self) -> IndicatorData:
        data = self.cleaned_data
        return IndicatorData(
            code=data["code"],
            name=data["name"],
            guidance=data["guidance"],
            weight=data["weight"],
            max_points=data["max_points"],
            rule=data["rule"],
            rule_options=data["rule_options"],
            evidence_required=data["evidence_required"],
            scored_by_self=data["scored_by_self"],
            scored_by_superior=data["scored_by_superior"],
        )


class CloneForm(forms.Form):
    family = forms.SlugField(
        label=_("Code of the new scheme"), max_length=50, help_text=FAMILY_HELP
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    unit_class = forms.ChoiceField(label=_("Unit class"), choices=UnitClass.choices)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[("up", "up"), ("down", "down"), ("into", "into")], widget=forms.HiddenInput
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SchemeImportForm(forms.Form):
    content: bytes = b""

    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel workbook (.xlsx) as the export writes it, or a CSV file."),
    )
    family = forms.SlugField(
        label=_("Scheme code"),
        max_length=50,
        help_text=_(
            "The code of an existing scheme to import its next version, or a new code for a new "
            "scheme."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("Required for a new scheme; an existing scheme keeps its name if left empty."),
    )
    unit_class = forms.ChoiceField(
        label=_("Unit class"),
        choices=[("", _("(as the existing scheme)")), *UnitClass.choices],
        required=False,
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = scheme_xlsx.MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                _("The file is larger than %(mb)d MB."), params={"mb": limit // (1024 * 1024)}
            )
        upload.seek(0)
        self.content = upload.read(limit + 1)
        return upload
