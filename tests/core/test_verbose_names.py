"""Every model field and every model of the apps has a translated name.

Django shows a field's verbose name wherever it names the field to a user: the admin's columns
and read-only pages, form labels, "X with this Y already exists" and other validation messages.
A name Django derives from the attribute ("handling histogram") is English that no catalogue
translates, so the Chinese interface would show it as it is.
"""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db.models import Field, Model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst

from jiceng.cases.admin import RateTallyAdmin
from jiceng.cases.models import RateTally
from jiceng.cases.rate_services import rate_tallies_rebuild, recent_months
from jiceng.orgs.roles import Role

MODELS = [model for model in apps.get_models() if model.__module__.startswith("jiceng.")]


def _fields(model: type[Model]) -> list[Field]:
    return [
        field
        for field in model._meta.get_fields()
        if isinstance(field, Field) and field.concrete and not field.auto_created
    ]


def test_every_field_has_a_translated_name():
    untranslated = [
        f"{model._meta.label}.{field.name}"
        for model in MODELS
        for field in _fields(model)
        if not isinstance(field.verbose_name, Promise)
    ]
    assert not untranslated, untranslated


def test_every_model_has_translated_names():
    """Both names given: Django's derived plural appends an "s" even to a Chinese name."""
    unnamed = [
        model._meta.label
        for model in MODELS
        if not isinstance(model._meta.original_attrs.get("verbose_name"), Promise)
        or not isinstance(model._meta.original_attrs.get("verbose_name_plural"), Promise)
    ]
    assert not unnamed, unnamed


@pytest.fixture
def admin_client(tree) -> Client:
    rate_tallies_rebuild(recent_months())
    client = Client()
    client.force_login(tree.people[Role.SYSTEM_ADMIN])
    return client


def _label(field_name: str) -> str:
    """The field's name as the Chinese admin shows it; never the name derived from the
    attribute (true whether or not the catalogue translates the name yet)."""
    with translation.override("zh-hans"):
        field = RateTally._meta.get_field(field_name)
        assert isinstance(field, Field)
        label = capfirst(str(field.verbose_name))
    assert label != capfirst(field_name.replace("_", " ")), field_name
    return label


def test_rate_tally_columns_show_translated_names(admin_client):
    page = admin_client.get(
        reverse("admin:cases_ratetally_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    headers = [str(header["text"]) for header in page.context["result_headers"]]
    assert all(f">{header}</a>" in page.text for header in headers), headers
    assert headers == [_label(name) for name in RateTallyAdmin.list_display]


def test_rate_tally_page_names_every_field_in_chinese(admin_client):
    tally = RateTally.objects.order_by("pk").first()
    assert tally is not None
    page = admin_client.get(
        reverse("admin:cases_ratetally_change", args=[tally.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 200
    labels = {label.rstrip(":：") for label in re.findall(r"<label>([^<]*)</label>", page.text)}
    for field in _fields(RateTally):
        assert _label(field.name) in labels, (field.name, labels)
        assert capfirst(field.name.replace("_", " ")) not in labels, (field.name, labels)
