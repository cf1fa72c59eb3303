"""Categories with their deadlines, and reply templates, edited in the staff pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jiceng.cases.models import Category, ResponseTemplate
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _signed_in(tree, role):
    client = Client()
    client.force_login(tree.people[role])
    return client


def _category_data(**overrides):
    data = {
        "code": "stray-dogs",
        "name": "流浪犬",
        "name_en": "Stray dogs",
        "description": "",
        "keywords": "狗",
        "responsible_level": "street",
        "respond_hours": "4",
        "resolve_days": "3",
        "urgent_respond_hours": "1",
        "urgent_resolve_days": "1",
        "position": "9",
        "is_active": "on",
    }
    data.update(overrides)
    return data


class TestCategories:
    def test_district_admin_adds_and_edits_a_category(self, tree, submit):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        group = Category.objects.get(code="environment")
        url = reverse("case_category_new") + f"?parent={group.pk}"
        assert client.post(url, _category_data()).status_code == 302
        created = Category.objects.get(code="stray-dogs")
        assert created.parent == group and created.respond_hours == 4
        rubbish = Category.objects.get(code="rubbish")
        edit = reverse("case_category_edit", args=[rubbish.pk])
        data = _category_data(resolve_days="7")
        del data["code"]
        data.update(name=rubbish.name, name_en=rubbish.name_en, responsible_level="community")
        assert client.post(edit, data).status_code == 302
        rubbish.refresh_from_db()
        assert rubbish.resolve_days == 7
        entry = AuditEntry.objects.get(action="cases.category.updated")
        assert entry.data["changes"]["resolve_days"] == [3, 7]

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"urgent_respond_hours": "9"}, "at least as fast"),
            ({"urgent_resolve_days": "5"}, "at least as fast"),
            ({"respond_hours": "0"}, "greater than or equal to 1"),
            ({"resolve_days": "400"}, "less than or equal to 90"),
            ({"code": "has space"}, "Enter a valid"),
            ({"code": "rubbish"}, "Another category uses this code"),
            ({"name": ""}, "This field is required"),
        ],
    )
    def test_bad_input_changes_nothing(self, tree, overrides, message):
        client = _signed_in(tree, Role.DISTRICT_ADMIN)
        before = Category.objects.count()
        response = client.post(reverse("case_category_new"), _category_data(**overrides), **EN)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Category.objects.count() == before

    @pytest.mark.parametrize("role", [r for r in Role.values if r != Role.DISTRICT_ADMIN])
    def test_only_district_admins_change_categories(self, tree, role):
        client = _signed_in(tree, role)
        assert client.post(reverse("case_category_new"), _category_data()).status_code == 403
        assert not Category.objects.filter(code="stray-dogs").exists()

    def test_everyone_handling_requests_can_read_the_list(self, tree):
        page = _signed_in(tree, Role.GRID_WORKER).get(reverse("case_categories"))
        assert page.status_code == 200 and "垃圾清运" in page.content.decode()
        assert 'href="/staff/cases/categories/new/"' not in page.content.decode()


class TestTemplates:
    def test_a_community_template_serves_its_grids_but_not_its_siblings(self, tree, submit):
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        response = client.post(
            reverse("case_template_new"),
            {"title": "已清运", "body": "您好！您反映的问题已处理：", "is_active": "on"},
        )
        assert response.status_code == 302
        template = ResponseTemplate.objects.get()
        assert template.unit == tree.community_a1
        worker_page = _signed_in(tree, Role.GRID_WORKER).get(reverse("case_templates"))
        assert "已清运" in worker_page.content.decode()
        from tests.factories import make_member

        sibling = make_member(tree.community_a2, Role.BRANCH_SECRETARY, username="gx-sec")
        other = Client()
        other.force_login(sibling)
        assert "已清运" not in other.get(reverse("case_templates")).content.decode()
        assert other.get(reverse("case_template_edit", args=[template.pk])).status_code == 404
        # It is offered when the community resolves or replies to one of its requests.
        from jiceng.cases import services
        from tests.factories import actor_for

        case = submit()
        secretary = actor_for(tree.people[Role.BRANCH_SECRETARY])
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        detail = client.get(reverse("case_detail", args=[case.pk])).content.decode()
        assert '<option value="您好！您反映的问题已处理：">已清运</option>' in detail

    def test_grid_workers_use_but_do_not_write_templates(self, tree):
        client = _signed_in(tree, Role.GRID_WORKER)
        assert client.get(reverse("case_template_new")).status_code == 403

    def test_bad_template_input(self, tree):
        client = _signed_in(tree, Role.BRANCH_SECRETARY)
        response = client.post(reverse("case_template_new"), {"title": "", "body": "x" * 2001})
        assert response.status_code == 200 and not ResponseTemplate.objects.exists()
