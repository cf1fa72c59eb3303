"""The Django admin of the apps' set-up records: categories, rate tallies, evaluation schemes,
rounds and questionnaires, classifier versions and the gazetteer.

System administrators do not see residents' requests, guarantees, supervision, misconduct
reports, library documents or anyone's assessments (docs/CASES.md, SUPPORT.md, CONDUCT.md,
LIBRARY.md): none of those models is in the admin. The demo data (built through the services,
misconduct reports included) plus a few records the demo leaves out are loaded once for the
module and rolled back after it. For every model the apps register: the changelist and a change
page answer 200 to a system administrator, the changelist runs as many queries for one row as
for a full page, and nothing can be added, changed or deleted (the admin refuses, and a POST
changes nothing). No admin page shows anything of a misconduct report.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.admin import admin_site
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role
from tests.factories import actor_for

APPS = ("cases", "support", "conduct", "evaluation", "insight", "library")
# The set-up records, the only ones of these apps in the admin.
SETUP = {
    "cases.Category",
    "cases.RateTally",
    "evaluation.Indicator",
    "evaluation.Question",
    "evaluation.Round",
    "evaluation.RoundUnit",
    "evaluation.Scheme",
    "evaluation.Survey",
    "insight.ClassifierModel",
    "insight.GazetteerEntry",
}
REGISTERED = sorted(
    (model for model in admin_site._registry if model._meta.app_label in APPS),
    key=lambda model: model._meta.label,
)
LABELS = [model._meta.label for model in REGISTERED]


def _seed() -> None:
    from jiceng.orgs.management.commands.seed_demo import Command

    with translation.override(settings.LANGUAGE_CODE):
        Command(stdout=StringIO()).handle(cases=60, evaluation=True, support=True, library=True)
    _extras()


def _member(role: str, unit: OrgUnit | None = None) -> Actor:
    memberships = Membership.objects.active().filter(role=role).select_related("user", "unit")
    if unit is not None:
        memberships = memberships.filter(unit=unit)
    membership = memberships.order_by("unit__path", "pk").first()
    assert membership is not None, (role, unit)
    return actor_for(membership.user, membership.unit)


def _extras() -> None:
    """Set-up records the demo does not create, each through its service: rate tallies, and a
    round open for the residents' survey with its questionnaire."""
    from jiceng.cases.rate_services import rate_tallies_rebuild, recent_months
    from jiceng.evaluation.models import Scheme, SchemeStatus
    from jiceng.evaluation.round_services import round_create, round_open
    from jiceng.evaluation.survey_services import survey_create_default

    rate_tallies_rebuild(recent_months())
    organiser = _member(Role.DISTRICT_ADMIN)
    today = timezone.localdate(clock.now())
    round_ = round_create(
        actor=organiser,
        name="后台测试轮次",
        period_start=today - timedelta(days=60),
        period_end=today - timedelta(days=1),
        schemes=list(Scheme.objects.filter(status=SchemeStatus.PUBLISHED)),
    )
    survey_create_default(round_=round_open(actor=organiser, round_=round_), actor=organiser)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        _seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def admin_client(seeded, db) -> Client:
    membership = (
        Membership.objects.active().filter(role=Role.SYSTEM_ADMIN).select_related("user").first()
    )
    assert membership is not None
    client = Client()
    client.force_login(membership.user)
    return client


def _model(label: str) -> type[Model]:
    return next(model for model in REGISTERED if model._meta.label == label)


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _first(model: type[Model]) -> Model | None:
    return model._default_manager.order_by("pk").first()


def test_only_set_up_records_are_in_the_admin():
    """Requests, care lists, funds, venues, rectification, misconduct reports, library documents
    and assessments stay with the roles the pages give them to."""
    assert set(LABELS) == SETUP


@pytest.mark.parametrize("label", LABELS)
def test_changelist_and_change_page_answer(admin_client, label):
    model = _model(label)
    response = admin_client.get(_url(model, "changelist"))
    assert response.status_code == 200
    obj = _first(model)
    assert obj is not None, f"no {label} to open"
    response = admin_client.get(_url(model, "change", obj.pk))
    assert response.status_code == 200
    # The read-only view: no save button.
    assert 'name="_save"' not in response.content.decode()


@pytest.mark.parametrize("label", LABELS)
def test_changelist_runs_as_many_queries_for_one_row_as_for_a_page(
    admin_client, monkeypatch, label
):
    model = _model(label)
    rows = model._default_manager.count()
    assert rows, f"no {label} to count queries on"
    if rows < 2:
        pytest.skip(f"one {label} only: see test_related_columns_are_selected")
    model_admin = admin_site._registry[model]
    counts = []
    for per_page in (1, 100):
        monkeypatch.setattr(model_admin, "list_per_page", per_page)
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(_url(model, "changelist"))
        assert response.status_code == 200
        shown = min(per_page, rows)
        assert len(response.context["cl"].result_list) == shown
        counts.append(len(queries))
    assert counts[0] == counts[1], (label, counts)


@pytest.mark.parametrize("label", LABELS)
def test_related_columns_are_selected(label):
    """Every column showing a related record is fetched with the rows (for the models with a
    single row in the data, where counting queries per row proves nothing)."""
    model = _model(label)
    model_admin = admin_site._registry[model]
    selected = model_admin.list_select_related or ()
    assert isinstance(selected, (list, tuple))
    for column in model_admin.list_display:
        if not isinstance(column, str):
            continue
        try:
            field = model._meta.get_field(column)
        except FieldDoesNotExist:
            continue
        if field.is_relation:
            assert any(path.split("__")[0] == column for path in selected), (label, column)


@pytest.mark.parametrize("label", LABELS)
def test_every_heading_and_filter_is_translatable(label):
    """Column headings and filter titles come from translated verbose names or labels, never
    from bare field names (which no catalogue translates)."""
    model = _model(label)
    model_admin = admin_site._registry[model]
    assert isinstance(model._meta.verbose_name_plural, Promise), label
    for shown in (*model_admin.list_display, *model_admin.list_filter):
        if callable(shown):
            assert isinstance(shown.short_description, Promise), (label, shown)
            continue
        if shown == "pk":  # Django's own "ID"
            continue
        try:
            field = model._meta.get_field(shown)
        except FieldDoesNotExist:
            description = getattr(getattr(model_admin, shown), "short_description", None)
            assert isinstance(description, Promise), (label, shown)
            continue
        name = getattr(field, "verbose_name", None)
        assert isinstance(name, Promise), (label, shown)


@pytest.mark.parametrize("label", LABELS)
def test_nothing_can_be_added_changed_or_deleted(admin_client, label):
    model = _model(label)
    changelist = admin_client.get(_url(model, "changelist"))
    assert _url(model, "add") not in changelist.content.decode()
    assert "delete_selected" not in changelist.content.decode()
    assert admin_client.get(_url(model, "add")).status_code == 403
    assert admin_client.post(_url(model, "add"), {}).status_code == 403
    obj = _first(model)
    if obj is None:
        return
    before = model._default_manager.count()
    assert admin_client.post(_url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    admin_client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert model._default_manager.count() == before
    fresh = model._default_manager.get(pk=obj.pk)
    assert [f.value_from_object(fresh) for f in model._meta.concrete_fields] == [
        f.value_from_object(obj) for f in model._meta.concrete_fields
    ]


def _misconduct_texts() -> set[str]:
    from jiceng.conduct.misconduct_models import MisconductEvent, MisconductReport

    texts = set()
    for details, person in MisconductReport.objects.values_list("details", "accused_person"):
        texts.add(details[:20])
        if len(person) >= 3:
            texts.add(person)
    texts.update(text[:20] for text in MisconductEvent.objects.values_list("text", flat=True))
    return {text for text in texts if len(text) >= 6}


def test_no_admin_page_shows_anything_of_a_misconduct_report(admin_client):
    secrets = _misconduct_texts()
    assert len(secrets) >= 5  # the demo's reports were filed and handled
    index = admin_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "isconduct" not in index.content.decode().lower()
    assert admin_client.get("/django-admin/conduct/misconductreport/").status_code == 404
    assert admin_client.get("/django-admin/conduct/misconductevent/").status_code == 404
    for model in admin_site._registry:
        pages = [_url(model, "changelist")]
        obj = _first(model)
        if obj is not None:
            pages.append(_url(model, "change", obj.pk))
        for page in pages:
            shown = admin_client.get(page).content.decode()
            for secret in secrets:
                assert secret not in shown, (page, secret)


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.STREET_SUPERVISOR])
def test_other_roles_are_kept_out(seeded, db, role):
    client = Client()
    user = _member(role).user
    assert user is not None
    client.force_login(user)
    for model in REGISTERED:
        response = client.get(_url(model, "changelist"))
        assert response.status_code in (302, 403), model
