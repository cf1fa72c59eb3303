"""Forms of the library: search, upload and edit, review, disputes, citations.

They check shape (required, lengths, choices, dates); the services check the rules again.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jiceng.core.receipts import MAX_CODE
from jiceng.library.models import (
    DisputeAction,
    DisputeDecision,
    Document,
    DocumentKind,
    Visibility,
)
from jiceng.library.services import MAX_TAGS, DocumentFields, UploadedAttachment
from jiceng.orgs.models import OrgUnit

MAX_FILES = 5


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("All kinds")), *DocumentKind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2100, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=30, required=False)
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=_("All units"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            OrgUnit.objects.filter(is_active=True).exclude(kind="grid").order_by("path")
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    widget = MultipleFileInput(attrs={"accept": ".pdf,.docx,.txt"})

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise ValidationError(
                _("At most %(n)d files can be attached."), params={"n": MAX_FILES}
            )
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    authors = forms.CharField(label=_("Authors"), max_length=300, required=False)
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        required=False,
        help_text=_("Journal and issue, or the issuing body."),
    )
    published_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    tags = forms.CharField(
        label=_("Tags"),
        max_length=300,
        required=False,
        help_text=_("Separated by commas."),
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"), choices=Visibility.choices, initial=Visibility.PUBLIC
    )
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}), required=False
    )
    attachments = AttachmentsField(
        label=_("Attachments (PDF, DOCX, TXT)"),
        required=False,
        help_text=_("Their text is extracted and searched."),
    )
    note = forms.CharField(label=_("Note for the reviewer"), max_length=500, required=False)

    def clean_tags(self) -> list[str]:
        tags = [t for t in re.split(r"[,，;；、\s]+", self.cleaned_data["tags"]) if t]
        if len(tags) > MAX_TAGS:
            raise ValidationError(_("At most %(n)d tags."), params={"n": MAX_TAGS})
        return tags

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("body") or "").strip() and not data.get("attachments"):
            raise ValidationError(_("Write the text or attach a file."))
        return data

    def fields_value(self) -> DocumentFields:
        data = self.cleaned_data
        return DocumentFields(
            title=data["title"],
            body=data["body"],
            authors=data["authors"],
            source=data["source"],
            published_on=data["published_on"],
            kind=data["kind"],
            tags=data["tags"],
            visibility=data["visibility"],
        )

    def uploads(self) -> list[UploadedAttachment]:
        out = []
        for upload in self.cleaned_data["attachments"]:
            upload.seek(0)
            out.append(UploadedAttachment(filename=upload.name or "", data=upload.read()))
        return out

    @staticmethod
    def initial_for(document: Document) -> dict[str, Any]:
        return {
            "title": document.title,
            "authors": document.authors,
            "source": document.source,
            "published_on": document.published_on,
            "kind": document.kind,
            "tags": ", ".join(document.tag_list),
            "visibility": document.visibility,
            "body": document.body,
        }


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Publish")), ("0", _("Send back"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class DisputeForm(forms.Form):
    claimant = forms.CharField(label=_("Rights holder"), max_length=100)
    contact = forms.CharField(label=_("Contact (telephone or email)"), max_length=200)
    evidence = forms.CharField(
        label=_("Evidence of your rights"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example the original publication, a contract or a registration."),
    )
    requested_action = forms.ChoiceField(
        label=_("What do you ask us to do?"),
        choices=DisputeAction.choices,
        widget=forms.RadioSelect,
    )


class DisputeLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=MAX_CODE,
        help_text=_("The code shown once when you filed the claim."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=DisputeDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CiteForm(forms.Form):
    document = forms.IntegerField(
        label=_("Document number"), min_value=1, help_text=_("The number shown on its page.")
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
