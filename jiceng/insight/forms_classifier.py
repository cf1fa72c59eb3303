from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.cases.forms import grouped_category_choices
from jiceng.cases.lookups import leaf_category_by_id
from jiceng.cases.models import Category


class RecategoriseForm(forms.Form):
    """One category: a suggestion's button sends its id, the select any other."""

    category = forms.TypedChoiceField(
        label=_("Another category"),
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = grouped_category_choices  # type: ignore[attr-defined]

    def clean_category(self) -> Category:
        category = leaf_category_by_id(self.cleaned_data["category"])
        if category is None:
            raise forms.ValidationError(_("Choose a specific, active category."))
        return category
