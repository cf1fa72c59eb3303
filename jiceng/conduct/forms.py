"""Forms of supervision visits and rectification. They check shapes; services check rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.cases.forms import PhotosField
from jiceng.conduct.models import RectificationStatus
from jiceng.conduct.rectification_rollup import Period
from jiceng.conduct.rectification_services import MAX_EVIDENCE_FILES, MAX_NOTE
from jiceng.conduct.selectors import ROLLUP_SORTS
from jiceng.conduct.supervision_services import (
    DEFAULT_DEADLINE_DAYS,
    MAX_CHECKED,
    MAX_DEADLINE_DAYS,
    MAX_FINDINGS,
    MAX_PEOPLE_MET,
    FindingInput,
)
from jiceng.orgs.models import OrgUnit, User


class FindingPhotosField(PhotosField):
    """Photos of one finding; no file chosen leaves the finding's form unchanged (skipped)."""

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


class UnitChoiceForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Unit visited"), queryset=OrgUnit.objects.none(), to_field_name="code"
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class InspectionForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Date of the visit"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    people_met = forms.CharField(
        label=_("People met"),
        max_length=MAX_PEOPLE_MET,
        help_text=_("Names and positions, such as 张明 (secretary), 李华 (grid worker)."),
    )
    checked = forms.CharField(
        label=_("What was checked"),
        max_length=MAX_CHECKED,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class FindingForm(forms.Form):
    """One finding; a form left empty is skipped."""

    title = forms.CharField(label=_("Finding"), max_length=200)
    note = forms.CharField(
        label=_("Notes"), max_length=MAX_NOTE, required=False, widget=forms.Textarea({"rows": 2})
    )
    owner = forms.ModelChoiceField(
        label=_("Owner at the unit"), queryset=User.objects.none(), required=False
    )
    deadline_days = forms.IntegerField(
        label=_("Deadline (working days from the visit)"),
        min_value=1,
        max_value=MAX_DEADLINE_DAYS,
        initial=DEFAULT_DEADLINE_DAYS,
    )
    weight = forms.IntegerField(label=_("Weight"), min_value=1, max_value=10, initial=1)
    photos = FindingPhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 3 photos (JPEG, PNG or WebP, at most 5 MB each)."),
    )

    def __init__(self, *args: Any, members: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["owner"].queryset = members  # type: ignore[attr-defined]

    def finding(self) -> FindingInput:
        data = self.cleaned_data
        return FindingInput(
            title=data["title"],
            note=data["note"],
            owner=data["owner"],
            deadline_days=data["deadline_days"],
            weight=data["weight"],
            photos=data["photos"],
        )


FindingFormSet = forms.formset_factory(
    FindingForm, extra=3, max_num=MAX_FINDINGS, validate_max=True, absolute_max=MAX_FINDINGS
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Up to MAX_EVIDENCE_FILES files; their content is checked by the service."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_EVIDENCE_FILES:
            raise ValidationError(
                _("Attach at most %(count)d files."), params={"count": MAX_EVIDENCE_FILES}
            )
        return [super(EvidenceField, self).clean(item, initial) for item in files]


class ProgressForm(forms.Form):
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        help_text=_("Reporting 100 percent says the item is done; a supervisor then verifies it."),
    )
    note = forms.CharField(
        label=_("What has been done"), max_length=MAX_NOTE, widget=forms.Textarea({"rows": 3})
    )
    evidence = EvidenceField(
        label=_("Evidence"),
        required=False,
        help_text=_("Up to 5 files: PDF, JPEG, PNG, Word (DOCX) or Excel (XLSX), 10 MB each."),
    )


class VerifyForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=MAX_NOTE, required=False, widget=forms.Textarea({"rows": 2})
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it goes back"), max_length=MAX_NOTE, widget=forms.Textarea({"rows": 2})
    )


class ItemFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *RectificationStatus.choices],
    )
    # A unit of the actor's subtree, by code (the roll-up links here); not a select: a
    # district has hundreds of units.
    unit = forms.ModelChoiceField(
        queryset=OrgUnit.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


SORT_CHOICES = [
    ("name", _("Unit")),
    ("progress", _("Progress, lowest first")),
    ("-progress", _("Progress, highest first")),
    ("overdue", _("Most overdue items first")),
]
assert {value for value, _label in SORT_CHOICES} == set(ROLLUP_SORTS)


class RollupForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError(_("The period must not end before it starts."))
            if (end - start).days > 3 * 366:
                raise ValidationError(_("Choose a period of at most three years."))
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])
