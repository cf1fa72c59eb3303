"""Care-list pages: who sees what (every role, in its own unit, a sibling and above), masked
exports with an audit entry, the overdue block on the worklist, and bad input on every form."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.cases.models import Case, Category
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Capability, Role, role_has_capability
from jiceng.support.care_services import care_today
from jiceng.support.models.care import CareNeed, CareTarget, CareVisit
from tests.support.test_care_services import ID4, PHONE, make_target, membership, visit

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CARE_ROLES = [
    role
    for role in Role.values
    if role_has_capability(role, Capability.SUPPORT_RECORD)
    or role_has_capability(role, Capability.SUPPORT_MANAGE)
]
MANAGERS = [role for role in Role.values if role_has_capability(role, Capability.SUPPORT_MANAGE)]


def signed_in(tree, role):
    client = Client()
    client.force_login(tree.people[role])
    return client


@pytest.fixture
def households(tree):
    """One household in each of: 柳岸第一网格, 柳岸社区, its sibling 桂香社区, the other street's
    泉水村; each name says where it is."""
    units = (tree.grid_a1, tree.community_a1, tree.community_a2, tree.community_b1)
    return {unit.name: make_target(tree, unit=unit, name=f"{unit.name}户主") for unit in units}


def may_see(tree, role, target):
    unit = tree.unit_of(role)
    return role in CARE_ROLES and target.unit_path.startswith(unit.path)


class TestWhoSeesWhat:
    @pytest.mark.parametrize("role", Role.values)
    def test_each_household_is_seen_exactly_by_support_staff_of_its_unit_and_above(
        self, tree, households, role
    ):
        client = signed_in(tree, role)
        listing = client.get(reverse("care_list"), **EN)
        if role not in CARE_ROLES:
            assert listing.status_code == 404
        seen = 0
        for target in households.values():
            expected = may_see(tree, role, target)
            detail = client.get(reverse("care_detail", args=[target.pk]), **EN)
            assert detail.status_code == (200 if expected else 404), (role, target.name)
            if expected:
                seen += 1
                assert PHONE in detail.content.decode()
                assert target.name in listing.content.decode()
            elif listing.status_code == 200:
                assert target.name not in listing.content.decode()
            edit = client.get(reverse("care_edit", args=[target.pk]))
            assert edit.status_code == (200 if expected and role in MANAGERS else 404)
            record = client.get(reverse("care_visit_create", args=[target.pk]))
            assert record.status_code == (200 if expected else 404)
        # The roles at the tree's units see: the grid's, the community's (2), the street's (3)
        # and the district's (4) households; the others none.
        assert seen == {
            Role.GRID_WORKER: 1,
            Role.COMMUNITY_STAFF: 2,
            Role.BRANCH_SECRETARY: 2,
            Role.STREET_SUPERVISOR: 3,
            Role.DISTRICT_ADMIN: 4,
        }.get(role, 0)

    def test_a_missing_household_is_the_same_404(self, tree):
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        assert client.get(reverse("care_detail", args=[99999])).status_code == 404

    def test_a_grid_worker_paired_with_a_community_household_sees_it(self, tree, households):
        target = households[tree.community_a1.name]
        client = signed_in(tree, Role.GRID_WORKER)
        assert client.get(reverse("care_detail", args=[target.pk])).status_code == 404
        target.responsible.add(membership(tree, Role.GRID_WORKER))
        assert client.get(reverse("care_detail", args=[target.pk])).status_code == 200
        assert client.get(reverse("care_edit", args=[target.pk])).status_code == 404

    def test_needs_of_a_sibling_cannot_be_turned_into_requests(self, tree):
        target = make_target(
            tree, unit=tree.community_a2, responsible=[]
        )  # 桂香社区: no one at 柳岸社区 sees it
        need = visit(target, visitor=None, actor=_street(tree), needs=["需要助餐"]).needs.get()
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        response = client.post(
            reverse("care_need_case", args=[need.pk]),
            {f"need{need.pk}-category": Category.objects.get(code="meals").pk},
        )
        assert response.status_code == 404
        assert not Case.objects.exists()


def _street(tree):
    from tests.factories import actor_for

    return actor_for(tree.people[Role.STREET_SUPERVISOR])


class TestExports:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_exports_mask_phones_and_id_fragments_and_are_audited(self, tree, households, fmt):
        client = signed_in(tree, Role.BRANCH_SECRETARY)
        response = client.get(reverse("care_export"), {"format": fmt}, **EN)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        else:
            sheet = load_workbook(io.BytesIO(response.content)).active
            rows = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
        header, body = rows[0], rows[1:]
        assert "Phone" in header and "ID card number, last 4 characters" in header
        names = {row[header.index("Name")] for row in body}
        assert names == {
            households[tree.grid_a1.name].name,
            households[tree.community_a1.name].name,
        }
        for row in body:
            assert row[header.index("Phone")] == "138****5678"
            assert row[header.index("ID card number, last 4 characters")] == "****"
        flat = repr(rows)
        assert PHONE not in flat and ID4 not in flat and "5678" in flat
        entry = AuditEntry.objects.get(action="support.care.exported")
        assert entry.data["format"] == fmt and entry.data["rows"] == 2
        assert entry.actor_user == tree.people[Role.BRANCH_SECRETARY]

    @pytest.mark.parametrize("role", MANAGERS)
    def test_each_managing_role_exports_its_own_scope_only(self, tree, households, role):
        response = signed_in(tree, role).get(reverse("care_export"), {"format": "csv"})
        text = response.content.decode("utf-8-sig")
        exported = {target.name for target in households.values() if target.name in text}
        assert exported == {
            target.name for target in households.values() if may_see(tree, role, target)
        }
        assert exported  # each manager sees some household of the fixture

    def test_the_export_follows_the_lists_filters(self, tree, households):
        households[tree.grid_a1.name].category = "disabled"
        households[tree.grid_a1.name].save()
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        response = client.get(reverse("care_export"), {"format": "csv", "category": "disabled"})
        text = response.content.decode("utf-8-sig")
        assert households[tree.grid_a1.name].name in text
        assert households[tree.community_a1.name].name not in text

    @pytest.mark.parametrize("role", [r for r in Role.values if r not in MANAGERS])
    def test_roles_that_do_not_manage_the_list_cannot_export(self, tree, households, role):
        response = signed_in(tree, role).get(reverse("care_export"), {"format": "csv"})
        assert response.status_code == 404
        assert not AuditEntry.objects.filter(action="support.care.exported").exists()

    def test_a_bad_format_is_refused_without_an_audit_entry(self, tree, households):
        response = signed_in(tree, Role.COMMUNITY_STAFF).get(
            reverse("care_export"), {"format": "pdf"}
        )
        assert response.status_code == 400
        assert not AuditEntry.objects.filter(action="support.care.exported").exists()


class TestWorklist:
    def overdue(self, tree, count):
        for n in range(count):
            make_target(
                tree,
                name=f"逾期户{n}",
                first_due_on=care_today() - timedelta(days=10 - n),
            )

    def test_overdue_visits_show_on_the_worklist_most_overdue_first(self, tree):
        self.overdue(tree, 2)
        make_target(tree, name="未到期户", first_due_on=care_today())
        make_target(
            tree,
            unit=tree.community_a2,
            name="邻居户",
            first_due_on=care_today() - timedelta(days=30),
        )
        page = signed_in(tree, Role.COMMUNITY_STAFF).get(reverse("case_worklist"), **EN)
        html = page.content.decode()
        assert "Care visits overdue" in html
        assert html.index("逾期户0") < html.index("逾期户1")
        assert "未到期户" not in html and "邻居户" not in html
        assert "All overdue visits" not in html

    def test_no_block_without_overdue_visits(self, tree):
        make_target(tree, name="未到期户", first_due_on=care_today() + timedelta(days=3))
        html = signed_in(tree, Role.COMMUNITY_STAFF).get(reverse("case_worklist"), **EN)
        assert "Care visits overdue" not in html.content.decode()

    def test_the_block_costs_one_query_however_many_households_are_overdue(self, tree):
        client = signed_in(tree, Role.BRANCH_SECRETARY)
        client.get(reverse("case_worklist"))  # warm the per-process caches
        self.overdue(tree, 1)
        with CaptureQueriesContext(connection) as one:
            client.get(reverse("case_worklist"))
        self.overdue(tree, 9)
        with CaptureQueriesContext(connection) as many:
            html = client.get(reverse("case_worklist"), **EN).content.decode()
        assert len(many) == len(one) <= 14
        block = html.split('data-testid="care-overdue"', 1)[1].split("</section>", 1)[0]
        assert block.count('href="/support/care/') == 6  # five households and "all overdue"
        assert "All overdue visits" in html

    @pytest.mark.parametrize("role", Role.values)
    def test_each_role_sees_overdue_households_of_its_own_scope_only(self, tree, role):
        overdue = care_today() - timedelta(days=5)
        units = (tree.grid_a1, tree.community_a1, tree.community_a2, tree.community_b1)
        targets = [
            make_target(tree, unit=unit, name=f"{unit.name}逾期户", first_due_on=overdue)
            for unit in units
        ]
        html = signed_in(tree, role).get(reverse("case_worklist"), **EN).content.decode()
        shown = {target.name for target in targets if target.name in html}
        assert shown == {target.name for target in targets if may_see(tree, role, target)}
        assert PHONE not in html

    def test_a_visit_clears_the_household_from_the_block(self, tree):
        self.overdue(tree, 1)
        target = CareTarget.objects.get()
        target.responsible.add(membership(tree, Role.GRID_WORKER))
        client = signed_in(tree, Role.GRID_WORKER)
        target.unit = tree.grid_a1
        target.unit_path = tree.grid_a1.path
        target.save()
        assert "逾期户0" in client.get(reverse("case_worklist")).content.decode()
        visit(target)
        assert "逾期户0" not in client.get(reverse("case_worklist")).content.decode()


def _target_form(tree, **overrides):
    data = {
        "unit": tree.community_a1.pk,
        "category": "elderly_alone",
        "name": "王爷爷",
        "address": "柳岸路12号",
        "phone": "13912345678",
        "id_last4": "0021",
        "notes": "",
        "frequency": "monthly",
        "interval_days": "",
        "first_due_on": care_today().isoformat(),
        "responsible": [membership(tree, Role.GRID_WORKER).pk],
    }
    data.update(overrides)
    return data


class TestForms:
    def test_staff_add_a_household_record_a_visit_and_turn_a_need_into_a_request(self, tree):
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        assert client.get(reverse("care_create")).status_code == 200
        response = client.post(reverse("care_create"), _target_form(tree))
        target = CareTarget.objects.get()
        assert response.status_code == 302 and response["Location"] == reverse(
            "care_detail", args=[target.pk]
        )
        assert list(target.responsible.all()) == [membership(tree, Role.GRID_WORKER)]
        response = client.post(
            reverse("care_visit_create", args=[target.pk]),
            {
                "visited_on": care_today().isoformat(),
                "form": "home",
                "findings": "老人身体还好",
                "needs": "需要助餐服务\n\n家里水龙头漏水",
            },
        )
        assert response.status_code == 302
        needs = list(CareNeed.objects.order_by("pk"))
        assert [n.text for n in needs] == ["需要助餐服务", "家里水龙头漏水"]
        detail = client.get(reverse("care_detail", args=[target.pk]), **EN).content.decode()
        home_care = Category.objects.get(code="home-care")
        assert f'value="{home_care.pk}" selected' in detail  # suggested for the elderly
        response = client.post(
            reverse("care_need_case", args=[needs[0].pk]),
            {f"need{needs[0].pk}-category": Category.objects.get(code="meals").pk},
        )
        assert response.status_code == 302
        case = Case.objects.get()
        needs[0].refresh_from_db()
        assert needs[0].case == case and case.category.code == "meals"
        detail = client.get(reverse("care_detail", args=[target.pk])).content.decode()
        assert case.tracking_code in detail and reverse("case_detail", args=[case.pk]) in detail

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"id_last4": "110105194912310021"}, "id_last4"),
            ({"id_last4": "12a4"}, "id_last4"),
            ({"phone": "999"}, "phone"),
            ({"name": ""}, "name"),
            ({"address": "a" * 201}, "address"),
            ({"category": "nope"}, "category"),
            ({"frequency": "days", "interval_days": ""}, "interval_days"),
            ({"frequency": "days", "interval_days": "abc"}, "interval_days"),
            ({"first_due_on": "2026-13-45"}, "first_due_on"),
            ({"first_due_on": "1999-01-01"}, "first_due_on"),
            ({"unit": "999999"}, "unit"),
            ({"responsible": ["999999"]}, "responsible"),
        ],
    )
    def test_bad_input_on_the_household_form_changes_nothing(self, tree, overrides, field):
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        response = client.post(reverse("care_create"), _target_form(tree, **overrides), **EN)
        assert response.status_code == 200
        assert response.context["form"].errors.get(field), response.context["form"].errors
        assert not CareTarget.objects.exists()

    def test_a_unit_outside_the_subtree_is_not_offered(self, tree):
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        data = _target_form(tree, unit=tree.community_a2.pk, responsible=[])
        response = client.post(reverse("care_create"), data)
        assert response.context["form"].errors.get("unit")
        assert not CareTarget.objects.exists()

    def test_bad_input_on_the_edit_form_changes_nothing(self, tree):
        target = make_target(tree)
        client = signed_in(tree, Role.BRANCH_SECRETARY)
        assert client.get(reverse("care_edit", args=[target.pk])).status_code == 200
        data = _target_form(tree, phone="12", name="新名字")
        response = client.post(reverse("care_edit", args=[target.pk]), data)
        assert response.status_code == 200 and response.context["form"].errors.get("phone")
        target.refresh_from_db()
        assert target.name != "新名字" and target.phone == PHONE
        data = _target_form(tree, name="新名字", frequency="days", interval_days="14")
        response = client.post(reverse("care_edit", args=[target.pk]), data)
        assert response.status_code == 302
        target.refresh_from_db()
        assert target.name == "新名字" and target.interval_days == 14

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"visited_on": "not a date"}, "visited_on"),
            ({"visited_on": (care_today() + timedelta(days=3)).isoformat()}, "visited_on"),
            ({"form": "telegram"}, "form"),
            ({"findings": ""}, "findings"),
            ({"needs": "\n".join(f"需求{n}" for n in range(11))}, "needs"),
            ({"needs": "x" * 501}, "needs"),
            ({"visitor": "999999"}, "visitor"),
        ],
    )
    def test_bad_input_on_the_visit_form_changes_nothing(self, tree, overrides, field):
        target = make_target(tree)
        data = {
            "visited_on": care_today().isoformat(),
            "form": "phone",
            "findings": "电话联系，一切正常",
            "needs": "",
        }
        data.update(overrides)
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        response = client.post(reverse("care_visit_create", args=[target.pk]), data)
        assert response.status_code == 200
        assert response.context["form"].errors.get(field), response.context["form"].errors
        assert not CareVisit.objects.exists()
        target.refresh_from_db()
        assert target.last_visit_on is None

    def test_taking_off_the_list_needs_a_reason(self, tree):
        target = make_target(tree)
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        client.post(reverse("care_close", args=[target.pk]), {"reason": ""})
        target.refresh_from_db()
        assert target.is_active
        client.post(reverse("care_close", args=[target.pk]), {"reason": "已入住养老院"})
        target.refresh_from_db()
        assert not target.is_active and target.close_reason == "已入住养老院"
        listing = client.get(reverse("care_list")).content.decode()
        assert target.name not in listing
        closed = client.get(reverse("care_list"), {"closed": "on"}).content.decode()
        assert target.name in closed

    @pytest.mark.parametrize("category", ["", "abc", "999999", "group"])
    def test_a_bad_category_on_the_one_click_form_changes_nothing(self, tree, category):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        need = visit(target, needs=["需要助餐"]).needs.get()
        if category == "group":
            category = str(Category.objects.get(code="elderly-disabled").pk)
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        response = client.post(
            reverse("care_need_case", args=[need.pk]), {f"need{need.pk}-category": category}
        )
        assert response.status_code == 302
        need.refresh_from_db()
        assert need.case is None and not Case.objects.exists()

    def test_the_list_filters_tolerate_nonsense(self, tree):
        make_target(tree, name="王奶奶")
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        for query in ({"category": "zzz"}, {"page": "-3"}, {"q": "x" * 80}, {"overdue": "maybe"}):
            assert client.get(reverse("care_list"), query).status_code == 200
        assert "王奶奶" in client.get(reverse("care_list"), {"q": "奶奶"}).content.decode()
        assert (
            "王奶奶"
            not in client.get(reverse("care_list"), {"category": "disabled"}).content.decode()
        )


class TestMasks:
    @pytest.mark.parametrize(
        ("phone", "masked"),
        [
            ("13812345678", "138****5678"),
            ("010-12345678", "010****5678"),
            ("0571-8765432", "057****5432"),
            ("87654321", "****4321"),
            ("", ""),
        ],
    )
    def test_phone_numbers_keep_their_first_three_and_last_four_digits(self, phone, masked):
        from jiceng.core.privacy import mask_phone

        assert mask_phone(phone) == masked

    def test_id_fragments_are_never_exported(self):
        from jiceng.support.care_export import mask_id_fragment

        assert mask_id_fragment("1234") == "****"
        assert mask_id_fragment("") == ""


class TestQueryCounts:
    def test_the_detail_and_list_pages_cost_the_same_for_one_visit_or_many(self, tree):
        target = make_target(tree, responsible=[membership(tree, Role.GRID_WORKER)])
        client = signed_in(tree, Role.COMMUNITY_STAFF)
        visit(target, needs=["需求甲"])
        client.get(reverse("care_detail", args=[target.pk]))  # warm the per-process caches
        with CaptureQueriesContext(connection) as one:
            client.get(reverse("care_detail", args=[target.pk]))
            client.get(reverse("care_list"))
        for n in range(5):
            visit(target, on=care_today() - timedelta(days=n + 1), needs=[f"需求{n}", "另一条"])
            make_target(tree, name=f"新户{n}")
        with CaptureQueriesContext(connection) as many:
            detail = client.get(reverse("care_detail", args=[target.pk])).content.decode()
            client.get(reverse("care_list"))
        assert len(many) == len(one)
        assert detail.count('data-testid="care-need-case-') == 11
