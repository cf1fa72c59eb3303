"""Forms of the fund, staff and equipment pages. They parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.support.fund_services import MAX_VOUCHERS
from jiceng.support.models import (
    Employment,
    EquipmentCondition,
    EquipmentKind,
    ExpenseCategory,
    FundSource,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT_HELP = _("In yuan, to the fen, such as 1280.50.")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class VouchersField(forms.FileField):
    """Up to MAX_VOUCHERS files; their content is checked by the service."""

    widget = MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_VOUCHERS:
            raise ValidationError(
                _("Attach at most %(count)d vouchers."), params={"count": MAX_VOUCHERS}
            )
        return [super(VouchersField, self).clean(item, initial) for item in files]


def _amount_field() -> forms.CharField:
    # Text, not DecimalField: the service gives the one clear message for every bad amount.
    return forms.CharField(
        label=_("Amount (yuan)"),
        max_length=20,
        help_text=AMOUNT_HELP,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class AllocationForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    source = forms.ChoiceField(label=_("Source"), choices=FundSource.choices)
    amount = _amount_field()
    entry_date = forms.DateField(label=_("Date received"), widget=DATE)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ExpenseForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=ExpenseCategory.choices)
    amount = _amount_field()
    payee = forms.CharField(label=_("Payee"), max_length=100)
    spent_on = forms.DateField(label=_("Date paid"), widget=DATE)
    purpose = forms.CharField(
        label=_("Purpose"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    vouchers = VouchersField(
        label=_("Vouchers"),
        required=False,
        help_text=_("Receipts or invoices: PDF, JPEG or PNG, up to 10 MB each."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note (required when rejecting)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the reversal"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class VoucherForm(forms.Form):
    file = forms.FileField(
        label=_("Voucher"),
        help_text=_("PDF, JPEG or PNG, up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class StaffForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    position = forms.CharField(label=_("Position"), max_length=50)
    employment = forms.ChoiceField(
        label=_("Employment"), choices=Employment.choices, widget=forms.RadioSelect
    )
    phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=DATE)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DATE)
    reason = forms.CharField(label=_("Reason for leaving"), max_length=200)


class TrainingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    hours = forms.CharField(
        label=_("Hours"), max_length=10, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class EquipmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=EquipmentKind.choices)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000)
    condition = forms.ChoiceField(label=_("Condition"), choices=EquipmentCondition.choices)
    last_checked_on = forms.DateField(label=_("Last checked on"), required=False, widget=DATE)
    next_check_due = forms.DateField(label=_("Next check due"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class EquipmentCheckForm(forms.Form):
    checked_on = forms.DateField(label=_("Checked on"), widget=DATE)
    condition = forms.ChoiceField(label=_("Condition found"), choices=EquipmentCondition.choices)
    next_check_due = forms.DateField(label=_("Next check due"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
