from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.cases.lookups import leaf_category_by_id
from jiceng.cases.models import Level, Priority, Satisfaction, Solved
from jiceng.cases.selectors import leaf_categories
from jiceng.cases.services import RESIDENT_AREA_KINDS
from jiceng.orgs.lookups import unit_by_id
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import UnitKind

CONTACT_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to CASE_MAX_PHOTOS images; their content is checked by the intake service."""

    widget = MultiplePhotoInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > settings.CASE_MAX_PHOTOS:
            raise ValidationError(
                _("Attach at most %(count)d photos."), params={"count": settings.CASE_MAX_PHOTOS}
            )
        return [super(PhotosField, self).clean(item, initial) for item in files]


def grouped_category_choices() -> list[Any]:
    """Leaf categories under their group's name, for a select with option groups."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for category in leaf_categories():
        assert category.parent is not None
        groups.setdefault(category.parent.display_name, []).append(
            (category.pk, category.display_name)
        )
    return [("", "---------"), *groups.items()]


COMMUNITY_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE)


def area_queryset(units: Any = None, *, include_grids: bool = False) -> Any:
    kinds = RESIDENT_AREA_KINDS if include_grids else COMMUNITY_KINDS
    base = units if units is not None else OrgUnit.objects.all()
    return base.filter(kind__in=kinds, is_active=True).order_by("path")


def grouped_area_choices(units: Iterable[OrgUnit]) -> list[Any]:
    """Units under their parent's name (communities under their street)."""
    units = list(units)
    parent_paths = {unit.path[: -OrgUnit.steplen] for unit in units}
    parents = dict(OrgUnit.objects.filter(path__in=parent_paths).values_list("path", "name"))
    groups: dict[str, list[tuple[int, str]]] = {}
    for unit in units:
        group = parents.get(unit.path[: -OrgUnit.steplen], "")
        groups.setdefault(group, []).append((unit.pk, unit.name))
    return [("", "---------"), *groups.items()]


def _check_contact_phone(value: str) -> str:
    value = value.strip().replace(" ", "")
    if value and not CONTACT_PHONE.match(value):
        raise ValidationError(
            _("Enter a mobile number (11 digits) or a landline such as 0571-86010000.")
        )
    return value


class KeptChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that validates against objects kept per process (cases.lookups,
    orgs.lookups) instead of asking the database on every submission."""

    def __init__(self, *args: Any, lookup: Callable[[int], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lookup = lookup

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            found = self.lookup(int(value))
        except (TypeError, ValueError):
            found = None
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found


def _resident_area(pk: int) -> OrgUnit | None:
    unit = unit_by_id(pk)
    if unit is None or not unit.is_active or unit.kind not in COMMUNITY_KINDS:
        return None
    return unit


class ReportForm(forms.Form):
    """The resident's request, on a phone; no account needed."""

    # Optional: left empty, the classifier chooses (jiceng/insight, docs/INSIGHT.md).
    category = KeptChoiceField(
        label=_("What is it about?"),
        queryset=leaf_categories(),
        lookup=leaf_category_by_id,
        required=False,
        help_text=_("Not sure? Leave it empty and we will choose from what you write."),
    )
    area = KeptChoiceField(
        label=_("Community or village"), queryset=area_queryset(), lookup=_resident_area
    )
    title = forms.CharField(label=_("Title"), max_length=100)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What, where, since when; at most 4,000 characters."),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Estate, building, road or a landmark nearby."),
    )
    latitude = forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
        widget=forms.HiddenInput,
    )
    longitude = forms.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        widget=forms.HiddenInput,
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 3 photos (JPEG, PNG or WebP, at most 5 MB each)."),
    )
    is_anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_("Staff will not see your name. You can still leave a number for a call back."),
    )
    reporter_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("Contact phone"),
        max_length=20,
        required=False,
        help_text=_("Optional; only the staff handling your request see it."),
    )
    # Also for anonymous requests, like the phone number: staff see both, never the name.
    reporter_email = forms.EmailField(
        label=_("E-mail me about this request"),
        max_length=254,
        required=False,
        help_text=_(
            "Optional; we send the tracking code, and the answer with a link to rate it, "
            "to this address. Only the staff handling your request see it."
        ),
        error_messages={"invalid": _("Enter an e-mail address such as name@example.org.")},
    )

    field_order = [
        "category",
        "area",
        "title",
        "description",
        "address",
        "photos",
        "is_anonymous",
        "reporter_name",
        "reporter_phone",
        "reporter_email",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built only when the form is shown: a valid submission never renders them.
        _choices(self, "category", grouped_category_choices)
        _choices(self, "area", lambda: grouped_area_choices(self._field_queryset("area")))

    def _field_queryset(self, name: str) -> Any:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field.queryset

    def clean_reporter_phone(self) -> str:
        return _check_contact_phone(self.cleaned_data.get("reporter_phone", ""))


def _choices(form: forms.Form, name: str, choices: list[Any] | Callable[[], list[Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class StaffEntryForm(ReportForm):
    """A request taken by phone or at the counter, entered by staff."""

    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[("phone", _("Phone call")), ("walk_in", _("Walk-in"))],
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)

    field_order = ["channel", "priority", *ReportForm.field_order]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = area_queryset(units, include_grids=True)
        self.fields["area"] = forms.ModelChoiceField(
            label=_("Community, village or grid"), queryset=areas
        )
        _choices(self, "area", lambda: grouped_area_choices(areas))
        self.order_fields(self.field_order)


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=24,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class FeedbackForm(forms.Form):
    solved = forms.ChoiceField(
        label=_("Was the problem solved?"),
        choices=Solved.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with how it was handled?"),
        choices=[("", _("Rather not say")), *Satisfaction.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    comment = forms.CharField(
        label=_("Anything to add?"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the resident"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what was done, by whom and when, and what happens next."),
    )


class UnitChoiceForm(forms.Form):
    """Pick a unit among those offered (dispatch and transfer targets)."""

    to_unit = forms.ModelChoiceField(label=_("To unit"), queryset=OrgUnit.objects.none())
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, units: Any, reason_required: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["to_unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
        if reason_required:
            self.fields["note"].required = True
            self.fields["note"].label = _("Reason")


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Deny"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Tracking code of the request to keep"), max_length=24)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CategoryForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "Letters, digits and hyphens; it is the Open311 service code and never changes."
        ),
    )
    name = forms.CharField(label=_("Name (Chinese)"), max_length=60)
    name_en = forms.CharField(label=_("Name (English)"), max_length=80)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    keywords = forms.CharField(label=_("Keywords"), max_length=200, required=False)
    responsible_level = forms.ChoiceField(label=_("Goes first to"), choices=Level.choices)
    respond_hours = forms.IntegerField(
        label=_("Respond within (working hours)"), min_value=1, max_value=168
    )
    resolve_days = forms.IntegerField(
        label=_("Resolve within (working days)"), min_value=1, max_value=90
    )
    urgent_respond_hours = forms.IntegerField(
        label=_("Urgent: respond within (working hours)"), min_value=1, max_value=168
    )
    urgent_resolve_days = forms.IntegerField(
        label=_("Urgent: resolve within (working days)"), min_value=1, max_value=90
    )
    position = forms.IntegerField(label=_("Position in the list"), min_value=0, max_value=999)
    is_active = forms.BooleanField(label=_("In use"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]


class ResponseTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=60)
    body = forms.CharField(
        label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    category = forms.ModelChoiceField(
        label=_("Only for the category"), queryset=leaf_categories(), required=False
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
