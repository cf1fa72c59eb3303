"""Scheme pages: district administrators edit, other participants read, the rest get 404."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.core.models import AuditEntry
from jiceng.evaluation import scheme_services as services
from jiceng.evaluation.models import Indicator, Scheme, SchemeStatus, UnitClass
from jiceng.evaluation.scheme_xlsx import scheme_export
from jiceng.evaluation.snapshot import scheme_snapshot
from jiceng.orgs.roles import Role
from tests.evaluation.factories import make_scheme
from tests.factories import actor_for

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PARTICIPANTS = [Role.BRANCH_SECRETARY, Role.STREET_SUPERVISOR, Role.DISTRICT_ADMIN]
READERS = [Role.BRANCH_SECRETARY, Role.STREET_SUPERVISOR]
OUTSIDERS = [r for r in Role.values if r not in PARTICIPANTS]


def _client(tree, role):
    client = Client(**EN)
    client.force_login(tree.people[role])
    return client


@pytest.fixture
def admin_client(tree):
    return _client(tree, Role.DISTRICT_ADMIN)


def _pages(scheme):
    item = scheme.indicators.exclude(parent=None).first()
    return {
        "list": reverse("scheme_list"),
        "detail": reverse("scheme_detail", args=[scheme.pk]),
        "export": reverse("scheme_export", args=[scheme.pk]),
        "new": reverse("scheme_new"),
        "import": reverse("scheme_import"),
        "edit": reverse("scheme_edit", args=[scheme.pk]),
        "clone": reverse("scheme_clone", args=[scheme.pk]),
        "indicator_new": reverse("scheme_indicator_new", args=[scheme.pk]),
        "indicator_edit": reverse("scheme_indicator_edit", args=[scheme.pk, item.pk]),
        "indicator_delete": reverse("scheme_indicator_delete", args=[scheme.pk, item.pk]),
    }


READ_PAGES = ("list", "detail", "export")


class TestPermissions:
    @pytest.mark.parametrize("role", OUTSIDERS)
    def test_outsiders_get_404_everywhere(self, tree, role):
        scheme = make_scheme(tree.district, published=False)
        client = _client(tree, role)
        for name, url in _pages(scheme).items():
            assert client.get(url).status_code == 404, name
        assert client.post(reverse("scheme_publish", args=[scheme.pk])).status_code == 404

    @pytest.mark.parametrize("role", READERS)
    def test_other_participants_read_only(self, tree, role):
        scheme = make_scheme(tree.district, published=False)
        client = _client(tree, role)
        pages = _pages(scheme)
        for name in READ_PAGES:
            assert client.get(pages[name]).status_code == 200, name
        detail = client.get(pages["detail"]).content.decode()
        assert 'data-testid="publish"' not in detail and "Add a dimension" not in detail
        for name, url in pages.items():
            if name not in READ_PAGES:
                assert client.get(url).status_code == 403, name
        for name in ("scheme_publish", "scheme_new_version", "scheme_delete"):
            assert client.post(reverse(name, args=[scheme.pk])).status_code == 403
        assert client.post(reverse("scheme_install_defaults")).status_code == 403
        item = scheme.indicators.exclude(parent=None).first()
        move = reverse("scheme_indicator_move", args=[scheme.pk, item.pk])
        assert client.post(move, {"direction": "up"}).status_code == 403
        scheme.refresh_from_db()
        assert scheme.status == SchemeStatus.DRAFT
        assert Scheme.objects.count() == 1
        assert not AuditEntry.objects.filter(action__startswith="evaluation.").exists()

    def test_district_admin_opens_every_page(self, tree, admin_client):
        scheme = make_scheme(tree.district, published=False)
        for name, url in _pages(scheme).items():
            assert admin_client.get(url).status_code == 200, name

    def test_anonymous_is_sent_to_sign_in(self, tree):
        response = Client().get(reverse("scheme_list"))
        assert response.status_code == 302 and "login" in response["Location"]


class TestList:
    def test_grouped_by_family_with_versions(self, tree, admin_client):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        created = services.scheme_install_defaults(actor=admin, owner=tree.district)
        services.scheme_new_version(actor=admin, scheme=created[0])
        page = admin_client.get(reverse("scheme_list")).content.decode()
        for scheme in created:
            assert f'data-family="{scheme.family}"' in page
        assert "v2" in page and "Draft" in page and "Published" in page
        assert 'data-testid="install-defaults"' not in page

    def test_query_count_does_not_grow_with_schemes(
        self, tree, admin_client, django_assert_max_num_queries
    ):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        services.scheme_install_defaults(actor=admin, owner=tree.district)
        with django_assert_max_num_queries(7):
            assert admin_client.get(reverse("scheme_list")).status_code == 200
        for scheme in list(Scheme.objects.all()):
            for family in ("a", "b", "c"):
                services.scheme_clone(
                    actor=admin, scheme=scheme, family=f"{scheme.family}-{family}"
                )
        with django_assert_max_num_queries(7):
            assert admin_client.get(reverse("scheme_list")).status_code == 200

    def test_detail_page_reads_the_tree_in_one_query(
        self, tree, admin_client, django_assert_max_num_queries
    ):
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        small = make_scheme(tree.district, published=False)
        large = services.scheme_install_defaults(actor=admin, owner=tree.district)[0]
        large = services.scheme_new_version(actor=admin, scheme=large)
        for scheme in (small, large):
            with django_assert_max_num_queries(8):
                response = admin_client.get(reverse("scheme_detail", args=[scheme.pk]))
            assert response.status_code == 200

    def test_install_defaults_button(self, tree, admin_client):
        page = admin_client.get(reverse("scheme_list")).content.decode()
        assert 'data-testid="install-defaults"' in page
        response = admin_client.post(reverse("scheme_install_defaults"))
        assert response.status_code == 302
        assert Scheme.objects.filter(status=SchemeStatus.PUBLISHED).count() == 3


class TestEditing:
    def test_admin_builds_and_publishes_a_scheme(self, tree, admin_client):
        response = admin_client.post(
            reverse("scheme_new"),
            {"family": "trial", "name": "试行体系", "unit_class": UnitClass.VILLAGE},
        )
        scheme = Scheme.objects.get(family="trial")
        assert response["Location"] == reverse("scheme_detail", args=[scheme.pk])
        add = reverse("scheme_indicator_new", args=[scheme.pk])
        admin_client.post(add, {"code": "d1", "name": "群众满意", "weight": "100"})
        dimension = Indicator.objects.get(scheme=scheme, code="d1")
        response = admin_client.post(
            f"{add}?parent={dimension.pk}",
            {
                "code": "list",
                "name": "值班制度",
                "weight": "60",
                "max_points": "10",
                "rule": "checklist",
                "options": "公示值班表\r\n按时开门\r\n",
                "evidence_required": "on",
                "scored_by_self": "on",
            },
        )
        assert response.status_code == 302
        item = Indicator.objects.get(scheme=scheme, code="list")
        assert item.parent == dimension and item.rule_options == {
            "items": ["公示值班表", "按时开门"]
        }
        assert (item.scored_by_self, item.scored_by_superior) == (True, False)
        page = admin_client.get(reverse("scheme_detail", args=[scheme.pk])).content.decode()
        assert "100.0%" in page and "公示值班表" in page
        response = admin_client.post(reverse("scheme_publish", args=[scheme.pk]))
        scheme.refresh_from_db()
        assert scheme.status == SchemeStatus.PUBLISHED

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"rule": "scale", "options": "top=lots"}, "whole number"),
            ({"rule": "scale", "options": "five"}, "name=value"),
            ({"rule": "metric", "options": "metric=speed"}, "on_time"),
            ({"code": "service"}, "Another indicator"),
            ({"weight": "-2"}, "greater than or equal to 0"),
        ],
    )
    def test_bad_indicator_form_changes_nothing(self, tree, admin_client, data, message):
        scheme = make_scheme(tree.district, published=False)
        dimension = Indicator.objects.get(scheme=scheme, code="service")
        post = {
            "code": "new",
            "name": "新指标",
            "weight": "1",
            "max_points": "10",
            "rule": "checklist",
            "options": "一项",
            "scored_by_self": "on",
        }
        post.update(data)
        before = scheme_snapshot(scheme)
        url = reverse("scheme_indicator_new", args=[scheme.pk]) + f"?parent={dimension.pk}"
        response = admin_client.post(url, post)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert scheme_snapshot(scheme) == before

    def test_publish_refused_shows_why(self, tree, admin_client):
        scheme = make_scheme(tree.district, published=False)
        Indicator.objects.filter(scheme=scheme, parent=None, code="outcome").update(weight=0)
        detail = reverse("scheme_detail", args=[scheme.pk])
        assert "weight must be above 0" in admin_client.get(detail).content.decode()
        response = admin_client.post(reverse("scheme_publish", args=[scheme.pk]), follow=True)
        assert "cannot be published yet" in response.content.decode()
        scheme.refresh_from_db()
        assert scheme.status == SchemeStatus.DRAFT

    def test_move_and_delete(self, tree, admin_client):
        scheme = make_scheme(tree.district, published=False)
        visits = Indicator.objects.get(scheme=scheme, code="visits")
        move = reverse("scheme_indicator_move", args=[scheme.pk, visits.pk])
        assert admin_client.post(move, {"direction": "up"}).status_code == 302
        visits.refresh_from_db()
        assert visits.position == 1
        delete = reverse("scheme_indicator_delete", args=[scheme.pk, visits.pk])
        assert "入户走访" in admin_client.get(delete).content.decode()
        admin_client.post(delete)
        assert not Indicator.objects.filter(pk=visits.pk).exists()

    def test_indicator_of_another_scheme_is_404(self, tree, admin_client):
        scheme = make_scheme(tree.district, published=False)
        other = make_scheme(tree.district, UnitClass.VILLAGE, published=False)
        foreign = other.indicators.exclude(parent=None).first()
        url = reverse("scheme_indicator_edit", args=[scheme.pk, foreign.pk])
        assert admin_client.get(url).status_code == 404

    def test_published_scheme_offers_new_version_and_refuses_edits(self, tree, admin_client):
        scheme = make_scheme(tree.district)
        before = scheme_snapshot(scheme)
        page = admin_client.get(reverse("scheme_detail", args=[scheme.pk])).content.decode()
        assert 'data-testid="new-version"' in page and 'data-testid="publish"' not in page
        item = scheme.indicators.exclude(parent=None).first()
        response = admin_client.post(
            reverse("scheme_indicator_delete", args=[scheme.pk, item.pk]), follow=True
        )
        assert "Only a draft can be changed" in response.content.decode()
        assert scheme_snapshot(scheme) == before
        response = admin_client.post(reverse("scheme_new_version", args=[scheme.pk]))
        draft = Scheme.objects.get(family=scheme.family, version=2)
        assert response["Location"] == reverse("scheme_detail", args=[draft.pk])
        assert scheme_snapshot(scheme) == before

    def test_clone_for_another_unit_class(self, tree, admin_client):
        scheme = make_scheme(tree.district)
        response = admin_client.post(
            reverse("scheme_clone", args=[scheme.pk]),
            {"family": "street-2027", "name": "街道体系", "unit_class": UnitClass.STREET},
        )
        copy = Scheme.objects.get(family="street-2027")
        assert response["Location"] == reverse("scheme_detail", args=[copy.pk])
        assert copy.unit_class == UnitClass.STREET and copy.status == SchemeStatus.DRAFT


class TestSpreadsheets:
    def test_export_download(self, tree):
        scheme = make_scheme(tree.district)
        client = _client(tree, Role.BRANCH_SECRETARY)
        response = client.get(reverse("scheme_export", args=[scheme.pk]))
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        assert f"scheme-{scheme.family}-v1.xlsx" in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row == 8

    def test_import_creates_a_draft(self, tree, admin_client):
        source = make_scheme(tree.district)
        upload = SimpleUploadedFile("scheme.xlsx", scheme_export(source))
        response = admin_client.post(
            reverse("scheme_import"),
            {"file": upload, "family": source.family, "name": "", "unit_class": ""},
        )
        draft = Scheme.objects.get(family=source.family, version=2)
        assert response["Location"] == reverse("scheme_detail", args=[draft.pk])
        assert scheme_snapshot(draft)["dimensions"] == scheme_snapshot(source)["dimensions"]

    def test_import_report_lists_rows(self, tree, admin_client):
        content = "\n".join(
            ["所属维度,编码,名称,权重", ",d1,维度,1", "d2,x,指标,1", "d1,y,,1"]
        ).encode()
        response = admin_client.post(
            reverse("scheme_import"),
            {
                "file": SimpleUploadedFile("bad.csv", content),
                "family": "new-one",
                "name": "新体系",
                "unit_class": UnitClass.COMMUNITY,
            },
        )
        page = response.content.decode()
        assert response.status_code == 200 and 'data-testid="import-failed"' in page
        assert "<td>3</td><td>所属维度</td>" in page and "<td>4</td><td>名称</td>" in page
        assert not Scheme.objects.exists()

    def test_import_file_problem_is_shown_on_the_form(self, tree, admin_client):
        response = admin_client.post(
            reverse("scheme_import"),
            {
                "file": SimpleUploadedFile("x.xlsx", b"\x00\x01 not a workbook"),
                "family": "new-one",
                "name": "新体系",
                "unit_class": UnitClass.COMMUNITY,
            },
        )
        assert response.status_code == 200
        assert "neither a CSV file nor an Excel workbook" in response.content.decode()
        assert not Scheme.objects.exists()

    def test_new_scheme_by_import_needs_name_and_unit_class(self, tree, admin_client):
        source = make_scheme(tree.district)
        response = admin_client.post(
            reverse("scheme_import"),
            {
                "file": SimpleUploadedFile("scheme.xlsx", scheme_export(source)),
                "family": "brand-new",
                "name": "新体系",
                "unit_class": "",
            },
        )
        assert response.status_code == 200
        assert "Choose a unit class" in response.content.decode()
        assert not Scheme.objects.filter(family="brand-new").exists()
