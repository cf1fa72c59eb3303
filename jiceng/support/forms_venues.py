"""Forms of the venue pages. They parse and check shapes; the services check the rules."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiceng.cases.forms import PhotosField
from jiceng.orgs.models import OrgUnit, User
from jiceng.support.hours import MAX_PERIODS_PER_DAY
from jiceng.support.models import ActivityKind, Condition, ServiceUsed, VenueKind

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
_PERIOD = re.compile(
    r"^([01]?\d|2[0-3])[:：]([0-5]\d)\s*[-–~至到]\s*([01]?\d|2[0-4])[:：]([0-5]\d)$"
)
DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _set_queryset(field: forms.Field, queryset: Any) -> None:
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def parse_periods(raw: str) -> list[tuple[time, time]]:
    """“09:00-12:00, 14:00-18:00” → periods; ValidationError on anything else."""
    raw = raw.strip()
    if not raw:
        return []
    parts = [part.strip() for part in re.split(r"[,，;；、\s]+(?=\d)", raw) if part.strip()]
    if len(parts) > MAX_PERIODS_PER_DAY:
        raise ValidationError(
            _("A day has at most %(count)d periods."), params={"count": MAX_PERIODS_PER_DAY}
        )
    periods = []
    for part in parts:
        match = _PERIOD.match(part)
        if match is None:
            raise ValidationError(
                _("Write periods as 09:00-12:00, separated by commas; “%(part)s” is not one."),
                params={"part": part[:40]},
            )
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        if h2 == 24 and m2:
            raise ValidationError(_("24:00 is the latest closing time."))
        closes = time(0) if h2 == 24 else time(h2, m2)
        periods.append((time(h1, m1), closes))
    return periods


def format_periods(periods: list[tuple[time, time]]) -> str:
    return ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in periods)


class VenueForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=VenueKind.choices)
    address = forms.CharField(label=_("Address"), max_length=200)
    area_m2 = forms.DecimalField(
        label=_("Area (m²)"), min_value=1, max_value=100_000, max_digits=8, decimal_places=1
    )
    capacity = forms.IntegerField(label=_("Capacity (people)"), min_value=1, max_value=10_000)
    facilities = forms.CharField(
        label=_("Facilities"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: meeting room, reading corner, computers, barrier-free toilet."),
    )
    makeup_weekday = forms.TypedChoiceField(
        label=_("On make-up working days, open as on"),
        choices=WEEKDAYS,
        coerce=int,
        initial=0,
    )
    in_service_since = forms.DateField(
        label=_("In service since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for today. Utilisation counts the posted hours from this day."),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, units: Any = None, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["unit"]
            del self.fields["in_service_since"]
        else:
            del self.fields["is_active"]
            _set_queryset(
                self.fields["unit"], units if units is not None else OrgUnit.objects.none()
            )


class HoursForm(forms.Form):
    """One line per weekday: “09:00-12:00, 14:00-18:00”; empty means closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAYS:
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                help_text=_("Leave empty when closed. 19:00-01:00 runs past midnight.")
                if day == 0
                else "",
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        weekly = {}
        for day, _label in WEEKDAYS:
            name = f"day_{day}"
            if name in data:
                try:
                    weekly[day] = parse_periods(data[name])
                except ValidationError as error:
                    self.add_error(name, error)
        data["weekly"] = weekly
        return data


class ExceptionForm(forms.Form):
    day = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    periods = forms.CharField(
        label=_("Hours that day"),
        required=False,
        max_length=200,
        help_text=_("Leave empty to close for the day; otherwise e.g. 09:00-12:00."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def clean_periods(self) -> list[tuple[time, time]]:
        return parse_periods(self.cleaned_data.get("periods", ""))


class DayForm(forms.Form):
    day = forms.DateField()


class ShiftForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person on duty"), queryset=User.objects.none())
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(self.fields["person"], people if people is not None else User.objects.none())


class PhotoForm(forms.Form):
    photos = PhotosField(
        label=_("Photos"),
        required=True,
        help_text=_("Up to 3 photos at a time (JPEG, PNG or WebP, at most 5 MB each)."),
    )


class CheckInForm(forms.Form):
    service = forms.ChoiceField(
        label=_("What did you come for? (optional)"),
        choices=ServiceUsed.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("How well were you served? (optional)"),
        choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, max_value=10_000)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Members attending"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 3 photos (JPEG, PNG or WebP, at most 5 MB each)."),
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_queryset(
            self.fields["attendees"], people if people is not None else User.objects.none()
        )


class ActivityCloseForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    outcome = forms.CharField(
        label=_("Outcome and follow-up"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 3 photos (JPEG, PNG or WebP, at most 5 MB each)."),
    )


class SpotCheckForm(forms.Form):
    checked_at = forms.DateTimeField(
        label=_("Time of the visit"), widget=DATETIME_WIDGET, input_formats=DATETIME_FORMATS
    )
    found_open = forms.TypedChoiceField(
        label=_("What did you find?"),
        choices=[("1", _("Found open")), ("0", _("Found closed"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    staff_present = forms.IntegerField(label=_("Staff present"), min_value=0, max_value=500)
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 3 photos (JPEG, PNG or WebP, at most 5 MB each)."),
    )
