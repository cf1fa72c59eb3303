"""Forms of the import and export pages, and the case-list filter they share with the queue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiceng.cases import importing
from jiceng.cases.models import Category, Channel, Status
from jiceng.cases.selectors import TEXT_SEARCH_DAYS, CaseFilter
from jiceng.core.actors import Actor
from jiceng.core.process_cache import ProcessCache
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.selectors import units_visible


@dataclass(frozen=True)
class FilterCategory:
    code: str
    name: str
    name_en: str

    @property
    def label(self) -> str:
        english = (get_language() or "").startswith("en")
        return self.name_en if english and self.name_en else self.name


def _filter_categories() -> list[FilterCategory]:
    return [
        FilterCategory(code, name, name_en)
        for code, name, name_en in Category.objects.filter(is_active=True)
        .order_by("position", "code")
        .values_list("code", "name", "name_en")
    ]


# The active categories, kept in every process; jiceng.cases.signals invalidates it when a
# category changes. The queue page no longer asks the database for them on every request.
filter_categories: ProcessCache[list[FilterCategory]] = ProcessCache(
    "cases.filter_categories", _filter_categories
)


class CategoryChoices(BaseChoiceIterator):
    """The category filter's choices, read from the process cache in the current language
    each time the field is rendered or validated (not once, when the form class is made)."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        yield ("", str(_("Any category")))
        for category in filter_categories.get():
            yield (category.code, category.label)


class FlatSelect(forms.Select):
    """A `<select>` written in one pass.

    Django's Select renders a template for every option; with the ~55 categories the filter
    form took 8 of the 18.5 ms of an empty queue page (docs/PERFORMANCE.md, section 2).
    Single choice, no option groups.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = {str(item) for item in self.format_value(value)}
        selected = mark_safe(" selected")
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, selected if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class CaseFilterForm(forms.Form):
    """The filters of the case list, read from the query string (all optional).

    Parameters: `q`, `status`, `category` (a code; a group means all its categories), `unit`
    (a unit code within the actor's subtree), `channel`, `overdue`, `escalated`, `open`,
    `submitted_from`, `submitted_to` (YYYY-MM-DD).
    """

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Status.choices],
        required=False,
        widget=FlatSelect,
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=CategoryChoices(), required=False, widget=FlatSelect
    )
    unit = forms.CharField(label=_("Unit code"), max_length=32, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", _("Any channel")), *Channel.choices],
        required=False,
        widget=FlatSelect,
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)
    open = forms.BooleanField(label=_("Open only"), required=False)
    needs_routing = forms.BooleanField(label=_("Needs routing"), required=False)
    submitted_from = forms.DateField(
        label=_("Submitted from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    submitted_to = forms.DateField(
        label=_("Submitted until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        # Formatted here, in the request's language (a lazy string would be fixed at import).
        self.fields["q"].help_text = _(
            "A tracking code finds that request. Other words are looked for in titles and "
            "addresses of the last %(days)d days, unless you give dates."
        ) % {"days": TEXT_SEARCH_DAYS}

    def clean_category(self) -> Category | None:
        """The category chosen by its code (a valid choice: active when the cache was made)."""
        code = self.cleaned_data["category"]
        if not code:
            return None
        category = Category.objects.filter(code=code, is_active=True).first()
        if category is None:  # made inactive since the choices were cached
            field = self.fields["category"]
            raise ValidationError(
                field.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": code},
            )
        return category

    def clean_unit(self) -> OrgUnit | None:
        code = self.cleaned_data["unit"].strip()
        if not code:
            return None
        unit = units_visible(self.actor).filter(code=code).first()
        if unit is None:
            raise ValidationError(
                _("No unit with the code %(code)s is among the units you serve."),
                params={"code": code},
            )
        return unit

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("submitted_from"), cleaned.get("submitted_to")
        if start and end and start > end:
            self.add_error("submitted_to", _("The end date cannot lie before the start date."))
        return cleaned

    def filters(self) -> CaseFilter:
        """The filters of the fields given validly; no filter for an unbound form.

        A wrong value (an unknown unit, a malformed date) is left out and shown on its field.
        """
        if not self.is_bound:
            return CaseFilter()
        self.is_valid()  # keeps the valid fields in cleaned_data
        return self.to_filter()

    def to_filter(self) -> CaseFilter:
        """The CaseFilter of the fields that passed validation."""
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        unit: OrgUnit | None = data.get("unit")
        return CaseFilter(
            query=data.get("q") or "",
            status=data.get("status") or "",
            category=data.get("category"),
            unit_path=unit.path if unit is not None else "",
            overdue=bool(data.get("overdue")),
            channel=data.get("channel") or "",
            submitted_from=data.get("submitted_from"),
            submitted_to=data.get("submitted_to"),
            escalated=bool(data.get("escalated")),
            open_only=bool(data.get("open")),
            needs_routing=bool(data.get("needs_routing")),
        )

    def first_error(self) -> str:
        for field_name, errors in self.errors.items():
            label = self.fields[field_name].label if field_name in self.fields else ""
            return f"{label}: {errors[0]}" if label else str(errors[0])
        return ""


class CaseExportForm(CaseFilterForm):
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", "CSV"), ("xlsx", "Excel (XLSX)")],
        required=False,
    )


class CaseImportForm(forms.Form):
    content: bytes = b""

    file = forms.FileField(
        label=_("File"),
        help_text=_("A CSV file (UTF-8 or GB18030) or an Excel workbook (.xlsx)."),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = importing.max_bytes()
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                _("The file is larger than %(mb)d MB. Split it into smaller files."),
                params={"mb": limit // (1024 * 1024)},
            )
        upload.seek(0)
        self.content = upload.read(limit + 1)
        return upload
