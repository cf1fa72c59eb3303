"""The Django admin of the cases, support, conduct, evaluation, insight and library apps.

The demo data (built through the services, misconduct reports included) plus a few records the
demo leaves out are loaded once for the module and rolled back after it. For every model these
apps register: the changelist and a change page answer 200 to a system administrator, the
changelist runs as many queries for one row as for a full page, and nothing can be added,
changed or deleted (the admin refuses, and a POST changes nothing). Misconduct reports are not
in the admin at all, no page shows anything of them, and personal data is shown masked.
"""

from __future__ import annotations

import io
from datetime import time, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from PIL import Image

from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, RESIDENT, SYSTEM, Actor
from jiceng.core.admin import admin_site
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role
from tests.factories import actor_for

APPS = ("cases", "support", "conduct", "evaluation", "insight", "library")
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


def _png(name: str = "photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _member(role: str, unit: OrgUnit | None = None) -> Actor:
    memberships = Membership.objects.active().filter(role=role).select_related("user", "unit")
    if unit is not None:
        memberships = memberships.filter(unit=unit)
    membership = memberships.order_by("unit__path", "pk").first()
    assert membership is not None, (role, unit)
    return actor_for(membership.user, membership.unit)


def _open_links() -> None:
    """A round open for the residents' survey, with three open links."""
    from jiceng.evaluation.models import Scheme, SchemeStatus
    from jiceng.evaluation.round_services import round_create, round_open
    from jiceng.evaluation.survey_services import open_link_create, survey_create_default

    organiser = _member(Role.DISTRICT_ADMIN)
    schemes = list(Scheme.objects.filter(status=SchemeStatus.PUBLISHED))
    today = timezone.localdate(clock.now())
    round_ = round_create(
        actor=organiser,
        name="后台测试轮次",
        period_start=today - timedelta(days=60),
        period_end=today - timedelta(days=1),
        schemes=schemes,
    )
    round_ = round_open(actor=organiser, round_=round_)
    for n, round_unit in enumerate(round_.units.order_by("pk")[:3]):
        open_link_create(round_unit=round_unit, actor=organiser, place=f"服务大厅{n}")
    survey_create_default(round_=round_, actor=organiser)


def _extras() -> None:
    """Records of models the demo does not create, each through its service."""
    from jiceng.cases import services as cases
    from jiceng.cases.models import Case, Category, Channel, Status
    from jiceng.cases.rate_services import rate_tallies_rebuild, recent_months
    from jiceng.conduct.supervision_services import FindingInput, inspection_record
    from jiceng.evaluation.survey_services import staff_device_record
    from jiceng.insight.classifier_services import case_recategorise
    from jiceng.insight.duplicate_services import case_support_add, support_token
    from jiceng.insight.hot_services import issue_of_month_adopt
    from jiceng.insight.models_hot import HotIssue
    from jiceng.library import services as library
    from jiceng.library.models import Document
    from jiceng.support import venue_services as venues
    from jiceng.support.models import Venue

    rate_tallies_rebuild(recent_months())
    _open_links()
    staff = _member(Role.COMMUNITY_STAFF)
    secretary = _member(Role.BRANCH_SECRETARY)
    community = staff.unit
    assert community is not None
    category = Category.objects.filter(parent__isnull=False, is_active=True).first()
    assert category is not None
    for n in range(3):
        cases.response_template_save(
            actor=secretary, template=None, title=f"答复模板{n}", body="您好，已安排人员处理。"
        )
        cases.case_submit(
            actor=ANONYMOUS,
            category=category,
            area=community,
            title=f"路灯不亮{n}",
            description="小区路灯连续三晚不亮，请尽快处理。",
            channel=Channel.WEB,
            photos=[_png()],
        )
    street = _member(Role.STREET_SUPERVISOR)
    assert street.unit is not None
    below = OrgUnit.objects.get_children(street.unit).first()
    inspection_record(
        actor=street,
        unit=below,
        visited_on=timezone.localdate(clock.now()),
        people_met="社区书记",
        checked="台账与服务大厅",
        findings=[FindingInput(title=f"问题{n}", photos=[_png(f"f{n}.png")]) for n in range(3)],
    )
    assert staff.user is not None
    for n in range(3):
        staff_device_record(user=staff.user, device_id=f"device-{n}")
    open_cases = Case.objects.filter(status__in=[Status.SUBMITTED, Status.ACCEPTED])[:3]
    for case in open_cases:
        case_support_add(token=support_token(case.pk), identity=f"resident-{case.pk}")
    others = Category.objects.filter(parent__isnull=False, is_active=True).exclude(pk=category.pk)
    for case, other in zip(Case.objects.order_by("-pk")[:3], others, strict=False):
        case_recategorise(actor=SYSTEM, case=case, category=other)
    adopted: set[tuple[int, object]] = set()
    for issue in HotIssue.objects.filter(unit__kind__in=["street", "township"]).order_by("pk"):
        if (issue.unit_id, issue.month) not in adopted and len(adopted) < 3:
            supervisor = _member(Role.STREET_SUPERVISOR, issue.unit)
            issue_of_month_adopt(actor=supervisor, issue=issue)
            adopted.add((issue.unit_id, issue.month))
    venue = Venue.objects.order_by("pk").first()
    assert venue is not None
    venues.venue_photo_add(actor=SYSTEM, venue=venue, photos=[_png(f"v{n}.png") for n in range(3)])
    start = clock.now().replace(hour=9, minute=0, second=0, microsecond=0)
    for n in range(3):
        day = timezone.localdate(clock.now()) + timedelta(days=7 + n)
        venues.venue_exception_set(
            actor=SYSTEM, venue=venue, day=day, periods=[(time(9), time(12))], note="节前调整"
        )
        person = Membership.objects.active().filter(unit=venue.unit).first()
        assert person is not None
        venues.duty_shift_add(
            actor=SYSTEM,
            venue=venue,
            person=person.user,
            starts_at=start + timedelta(days=7 + n),
            ends_at=start + timedelta(days=7 + n, hours=3),
        )
    documents = list(Document.objects.filter(is_stub=False).order_by("pk")[:3])
    for n in range(3):
        library.document_submit(
            actor=staff,
            fields=library.DocumentFields(title=f"社区经验{n}", body="正文内容"),
            attachments=[library.UploadedAttachment(f"a{n}.txt", "经验材料".encode() * 20)],
        )
        library.dispute_file(
            actor=RESIDENT,
            document=documents[n],
            claimant=f"权利人{n}",
            contact=f"1390000{n:04d}",
            evidence="本文全文转载自本人公开发表的文章。",
            requested_action="take_down",
        )


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


def test_the_apps_register_their_models_and_no_misconduct_model():
    from jiceng.conduct.misconduct_models import (
        MisconductEvent,
        MisconductEvidence,
        MisconductReport,
    )

    assert {model._meta.app_label for model in REGISTERED} == set(APPS)
    for model in (MisconductReport, MisconductEvidence, MisconductEvent):
        assert model not in admin_site._registry


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
    for shown in model_admin.list_display:
        column = getattr(shown, "field_name", shown)
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
    from jiceng.cases.models import Notification

    secrets = _misconduct_texts()
    assert len(secrets) >= 5  # the demo's reports were filed and handled
    index = admin_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "isconduct" not in index.content.decode().lower()
    assert admin_client.get("/django-admin/conduct/misconductreport/").status_code == 404
    assert admin_client.get("/django-admin/conduct/misconductevent/").status_code == 404
    # The inspectors were notified, but their notifications are not listed.
    assert Notification.objects.filter(verb__startswith="misconduct").exists()
    listed = admin_client.get(_url(Notification, "changelist") + "?q=misconduct")
    assert all(not n.verb.startswith("misconduct") for n in listed.context["cl"].result_list)
    for model in admin_site._registry:
        pages = [_url(model, "changelist")]
        obj = _first(model)
        if obj is not None:
            pages.append(_url(model, "change", obj.pk))
        for page in pages:
            shown = admin_client.get(page).content.decode()
            for secret in secrets:
                assert secret not in shown, (page, secret)


def test_phones_and_id_fragments_are_shown_masked(admin_client):
    from jiceng.cases.models import Case
    from jiceng.core.privacy import mask_phone
    from jiceng.library.models import Dispute
    from jiceng.support.models import CareTarget, StaffMember

    target = CareTarget.objects.exclude(phone="").exclude(id_last4="").order_by("pk").first()
    case = Case.objects.exclude(reporter_phone="").order_by("pk").first()
    staff = StaffMember.objects.exclude(phone="").order_by("pk").first()
    dispute = Dispute.objects.order_by("pk").first()
    assert target and case and staff and dispute
    for obj, phone in (
        (target, target.phone),
        (case, case.reporter_phone),
        (staff, staff.phone),
        (dispute, dispute.contact),
    ):
        model = type(obj)
        search = f"?q={obj.name}" if hasattr(obj, "name") else ""
        listed = admin_client.get(_url(model, "changelist") + search).content.decode()
        assert mask_phone(phone) in listed, model
        change = admin_client.get(_url(model, "change", obj.pk))
        shown = change.content.decode()
        assert mask_phone(phone) in shown, model
        for page in (listed, shown):
            assert phone not in page, model
    change = admin_client.get(_url(CareTarget, "change", target.pk))
    assert "id_last4" not in change.context["adminform"].form.fields
    assert "****" in change.content.decode()
    assert (
        "reporter_name"
        not in admin_client.get(_url(Case, "change", case.pk)).context["adminform"].form.fields
    )


def test_a_case_shows_no_contact_its_reporter_wrote(admin_client):
    from jiceng.cases import services as cases
    from jiceng.cases.models import Case, Category, Channel

    community = OrgUnit.objects.filter(kind="community").order_by("path").first()
    assert community is not None
    case = cases.case_submit(
        actor=ANONYMOUS,
        category=Category.objects.filter(parent__isnull=False).order_by("pk").first(),
        area=community,
        title="井盖松动 13912345678",
        description="我是周晓梅，井盖松动很危险，请打13912345678或0571-87654321联系我。",
        channel=Channel.WEB,
        reporter_name="周晓梅",
        reporter_phone="13912345678",
    )
    listed = admin_client.get(_url(Case, "changelist") + "?q=" + case.tracking_code)
    shown = admin_client.get(_url(Case, "change", case.pk))
    assert list(listed.context["cl"].result_list) == [case]
    for page in (listed.content.decode(), shown.content.decode()):
        for secret in ("13912345678", "0571-87654321", "周晓梅"):
            assert secret not in page
    assert "井盖松动很危险" in shown.content.decode()
    assert "139****5678" in shown.content.decode()
    assert Case.objects.get(pk=case.pk).description.startswith("我是周晓梅")


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.STREET_SUPERVISOR])
def test_other_roles_are_kept_out(seeded, db, role):
    client = Client()
    user = _member(role).user
    assert user is not None
    client.force_login(user)
    for model in REGISTERED:
        response = client.get(_url(model, "changelist"))
        assert response.status_code in (302, 403), model
