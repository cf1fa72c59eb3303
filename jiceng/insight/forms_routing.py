from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from jiceng.insight.models_routing import PlaceKind
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import UnitKind


class GazetteerEntryForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=PlaceKind.choices)
    name = forms.CharField(label=_("Name"), max_length=60)
    aliases = forms.CharField(
        label=_("Other names"),
        max_length=300,
        required=False,
        help_text=_("Other names residents use, separated by commas."),
    )
    number_from = forms.IntegerField(label=_("From number"), min_value=0, required=False)
    number_to = forms.IntegerField(label=_("To number"), min_value=0, required=False)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units.filter(  # type: ignore[attr-defined]
            kind__in=(UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID), is_active=True
        ).order_by("path")
