"""Forms of misconduct reports: the resident's report and lookup, the inspectors' steps.

The forms check shape (required, lengths, choices); the services check the rules again, so
every caller is held to them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.conduct.misconduct_models import MisconductKind, MisconductOutcome, MisconductStatus
from jiceng.conduct.misconduct_services import (
    MAX_DETAILS,
    MAX_EVIDENCE_FILES,
    MAX_NOTE,
    MAX_PASSPHRASE,
    MIN_PASSPHRASE,
    reportable_units,
)
from jiceng.orgs.models import OrgUnit


class MultipleEvidenceInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Up to MAX_EVIDENCE_FILES files; their content is checked by the service."""

    widget = MultipleEvidenceInput(attrs={"accept": "image/jpeg,image/png,image/webp,.pdf"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_EVIDENCE_FILES:
            raise ValidationError(
                _("At most %(n)d evidence files can be attached."),
                params={"n": MAX_EVIDENCE_FILES},
            )
        return [super(EvidenceField, self).clean(item, initial) for item in files]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return str(obj.name)


class MisconductReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of misconduct"), choices=MisconductKind.choices)
    unit = UnitChoiceField(label=_("Unit concerned"), queryset=OrgUnit.objects.none())
    person = forms.CharField(
        label=_("Person concerned (optional)"),
        max_length=100,
        required=False,
        help_text=_("A name or a description, if you know it."),
    )
    details = forms.CharField(
        label=_("What happened"),
        max_length=MAX_DETAILS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("When, where, who, what was asked or refused. At most 4,000 characters."),
    )
    evidence = EvidenceField(
        label=_("Evidence"),
        required=False,
        help_text=_("Up to 5 photos (JPEG, PNG, WebP) or PDF files, at most 5 MB each."),
    )
    anonymous = forms.TypedChoiceField(
        label=_("Report as"),
        choices=[("1", _("Anonymous")), ("0", _("Named (the inspectors may contact you)"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Your telephone"), max_length=20, required=False)
    passphrase = forms.CharField(
        label=_("Choose a passphrase"),
        min_length=MIN_PASSPHRASE,
        max_length=MAX_PASSPHRASE,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters. With the receipt code it lets you read the answer."),
    )
    passphrase_again = forms.CharField(
        label=_("Passphrase again"),
        max_length=MAX_PASSPHRASE,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = OrgUnit.objects.filter(  # type: ignore[attr-defined]
            pk__in=[unit.pk for unit in reportable_units()]
        ).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("passphrase") and data.get("passphrase") != data.get("passphrase_again"):
            self.add_error("passphrase_again", _("The two passphrases differ."))
        if data.get("anonymous") is False:
            for field in ("name", "phone"):
                if not data.get(field):
                    self.add_error(field, _("This field is required for a named report."))
        return data


class MisconductLookupForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=64)
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=MAX_PASSPHRASE,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class MisconductInfoForm(forms.Form):
    text = forms.CharField(
        label=_("Add information"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence = EvidenceField(
        label=_("Evidence"),
        required=False,
        help_text=_("Up to 5 photos (JPEG, PNG, WebP) or PDF files, at most 5 MB each."),
    )


class TriageForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept for investigation")), ("reject", _("Not in scope"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (shown to the reporter)"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Investigation note (inspectors only)"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=MisconductOutcome.choices)
    action_taken = forms.CharField(
        label=_("Action taken"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to the reporter"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InboxFilterForm(forms.Form):
    """The inbox's filters, from the query string; the conduct dashboard links here with them."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *MisconductStatus.choices],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All")), *MisconductKind.choices], required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("All")), *MisconductOutcome.choices], required=False
    )
    unit = forms.CharField(label=_("Unit code"), max_length=32, required=False)
    start = forms.DateField(
        label=_("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("Received until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_unit(self) -> str:
        """The unit's path (the unit and the units below it); any unit code is accepted, the
        selector keeps to the inspector's own scope whatever is asked."""
        code = self.cleaned_data["unit"].strip()
        if not code:
            return ""
        path = OrgUnit.objects.filter(code=code).values_list("path", flat=True).first()
        if path is None:
            raise ValidationError(_("There is no unit with this code."))
        return str(path)
