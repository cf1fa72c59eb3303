"""Forms of the care-list pages. They check types and lengths; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.cases.models import Category
from jiceng.cases.selectors import leaf_categories
from jiceng.core.choices import choice_label
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role
from jiceng.support.care_selectors import CareFilter
from jiceng.support.care_services import (
    CARE_UNIT_KINDS,
    MAX_NEED_LENGTH,
    MAX_NEEDS,
    SUGGESTED_CASE_CATEGORY,
    CareDetails,
    support_recorder_roles,
)
from jiceng.support.models.care import CareCategory, CareTarget, VisitForm, VisitFrequency

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MembershipChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name} · {choice_label(Role, obj.role)} · {obj.unit.name}"


class SingleMembershipChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name} · {obj.unit.name}"


def care_units(unit: OrgUnit | None) -> QuerySet[OrgUnit]:
    """Units whose care list the actor keeps: communities, villages and grids of its subtree."""
    if unit is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(
        path__startswith=unit.path, kind__in=CARE_UNIT_KINDS, is_active=True
    ).order_by("path")


def staff_to_pair(unit: OrgUnit | None) -> QuerySet[Membership]:
    if unit is None:
        return Membership.objects.none()
    return (
        Membership.objects.active()
        .filter(unit__path__startswith=unit.path, role__in=support_recorder_roles())
        .select_related("user", "unit")
        .order_by("unit__path", "user__display_name", "pk")
    )


class CareTargetForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Community, village or grid"), queryset=OrgUnit.objects.none()
    )
    category = forms.ChoiceField(label=_("Category"), choices=CareCategory.choices)
    name = forms.CharField(label=_("Name"), max_length=50)
    address = forms.CharField(label=_("Address"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    id_last4 = forms.CharField(
        label=_("ID card number, last 4 characters"),
        max_length=18,  # a full number gets the service's clear message, not a length error
        required=False,
        help_text=_("Only the last 4 characters. Never enter a full ID card number."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    frequency = forms.ChoiceField(label=_("Visit frequency"), choices=VisitFrequency.choices)
    interval_days = forms.IntegerField(
        label=_("Every how many days"),
        min_value=1,
        max_value=366,
        required=False,
        help_text=_("Only for “every N days”."),
    )
    first_due_on = forms.DateField(
        label=_("First visit due on"), required=False, widget=DATE_WIDGET
    )
    responsible = MembershipChoice(
        label=_("Members responsible"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(
        self, *args: Any, actor_unit: OrgUnit | None, target: CareTarget | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        responsible = self.fields["responsible"]
        assert isinstance(responsible, forms.ModelMultipleChoiceField)
        if target is not None:
            del self.fields["unit"]
            responsible.queryset = staff_to_pair(target.unit)
        else:
            unit_field.queryset = care_units(actor_unit)
            responsible.queryset = staff_to_pair(actor_unit)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("frequency") == VisitFrequency.EVERY_N_DAYS and not data.get("interval_days"):
            self.add_error("interval_days", _("Say every how many days to visit."))
        return data

    def details(self) -> CareDetails:
        data = self.cleaned_data
        return CareDetails(
            category=data["category"],
            name=data["name"],
            address=data["address"],
            phone=data["phone"],
            id_last4=data["id_last4"],
            notes=data["notes"],
            frequency=data["frequency"],
            interval_days=data["interval_days"],
            first_due_on=data["first_due_on"],
        )

    @staticmethod
    def initial_for(target: CareTarget) -> dict[str, Any]:
        return {
            "category": target.category,
            "name": target.name,
            "address": target.address,
            "phone": target.phone,
            "id_last4": target.id_last4,
            "notes": target.notes,
            "frequency": target.frequency,
            "interval_days": target.interval_days,
            "first_due_on": target.first_due_on,
            "responsible": list(target.responsible.all()),
        }


class CareVisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date of the visit"), widget=DATE_WIDGET)
    form = forms.ChoiceField(
        label=_("Form"),
        choices=VisitForm.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    findings = forms.CharField(
        label=_("What was found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    needs = forms.CharField(
        label=_("Needs raised"),
        required=False,
        max_length=MAX_NEEDS * (MAX_NEED_LENGTH + 2),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One need per line. Each can become a request with one click afterwards."),
    )
    visitor = SingleMembershipChoice(
        label=_("Visited by"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=_("Me"),
    )

    def __init__(self, *args: Any, target: CareTarget, **kw: Any) -> None:
        super().__init__(*args, **kw)
        visitor = self.fields["visitor"]
        assert isinstance(visitor, forms.ModelChoiceField)
        visitor.queryset = target.responsible.select_related("user", "unit").order_by("pk")

    def need_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["needs"].splitlines() if line.strip()]


class CareCloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


def case_category_choices() -> list[tuple[int, str]]:
    """The active leaf categories, read once per page for every need's form."""
    return [(category.pk, category.display_name) for category in leaf_categories()]


def case_category_initial(care_category: str, choices: list[tuple[int, str]]) -> int | None:
    """The category suggested for a kind of household, when it is offered."""
    code = SUGGESTED_CASE_CATEGORY.get(CareCategory(care_category))
    category = Category.objects.filter(code=code).only("pk").first() if code else None
    offered = {pk for pk, _label in choices}
    return category.pk if category is not None and category.pk in offered else None


class RaiseCaseForm(forms.Form):
    category = forms.TypedChoiceField(label=_("Category of the request"), coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_category(self) -> Category:
        category = leaf_categories().filter(pk=self.cleaned_data["category"]).first()
        if category is None:
            raise forms.ValidationError(_("Choose a specific, active category."))
        return category


class CareFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=50, required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All")), *CareCategory.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    closed = forms.BooleanField(label=_("Taken off the list"), required=False)

    def filters(self) -> CareFilter:
        if not self.is_valid():
            return CareFilter()
        data = self.cleaned_data
        return CareFilter(
            category=data["category"],
            overdue=data["overdue"],
            closed=data["closed"],
            query=data["q"].strip(),
        )


class CareExportForm(CareFilterForm):
    format = forms.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")])
