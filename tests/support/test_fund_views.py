"""Fund pages: the ledger, booking forms, approval, reversal, vouchers and the Excel export,
for every role (siblings get 404), with bad input on every form and bounded query counts."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.core import clock
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from jiceng.support.models import FundEntry, FundStatus, FundVoucher
from tests.factories import actor_for, make_member
from tests.support.funds_helpers import PDF, allocate, spend, upload

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
D = Decimal
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _fixed_time_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.FUNDS_APPROVAL_THRESHOLD = D("5000.00")
    with clock.at(NOW):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(tree):
    return actor_for(tree.people[Role.COMMUNITY_STAFF])


@pytest.fixture
def ledger(tree, staff):
    """柳岸社区: an allocation, a posted expense, a pending one and a reversed one."""
    allocation = allocate(staff, tree.community_a1, "20000.00")
    posted = spend(staff, tree.community_a1, "1200.00")
    pending = spend(staff, tree.community_a1, "8000.00", payee="阳光装修公司")
    wrong = spend(staff, tree.community_a1, "50.00")
    from jiceng.support import fund_services

    fund_services.fund_entry_reverse(actor=staff, entry=wrong, reason="重复录入")
    return {"allocation": allocation, "posted": posted, "pending": pending, "wrong": wrong}


def _ledger_url(unit, year=2026):
    return f"{reverse('fund_ledger')}?unit={unit.code}&year={year}"


class TestLedgerPage:
    def test_figures_and_entries(self, tree, ledger):
        response = _client(tree.people[Role.COMMUNITY_STAFF]).get(
            _ledger_url(tree.community_a1), **EN
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert 'data-testid="allocated">20,000.00<' in page
        assert 'data-testid="spent">1,200.00<' in page
        assert 'data-testid="pending">8,000.00<' in page
        assert 'data-testid="balance">18,800.00<' in page
        assert 'data-testid="rate">6.00%<' in page
        assert "阳光装修公司" in page
        assert "Record an expenditure" in page

    def test_the_own_unit_is_the_default(self, tree, ledger):
        response = _client(tree.people[Role.BRANCH_SECRETARY]).get(reverse("fund_ledger"), **EN)
        assert response.context["unit"] == tree.community_a1

    def test_the_street_sees_the_units_below_but_cannot_book_there(self, tree, ledger):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        street = client.get(_ledger_url(tree.street_a), **EN)
        children = {unit.code: figures for unit, figures in street.context["children"]}
        assert children[tree.community_a1.code].balance == D("18800.00")
        assert children[tree.community_a2.code].allocated == 0
        below = client.get(_ledger_url(tree.community_a1), **EN)
        assert below.status_code == 200
        assert "Record an expenditure" not in below.content.decode()

    @pytest.mark.parametrize(
        ("role", "status"),
        [
            (Role.COMMUNITY_STAFF, 200),
            (Role.BRANCH_SECRETARY, 200),
            (Role.STREET_SUPERVISOR, 200),
            (Role.DISTRICT_ADMIN, 200),
            (Role.GRID_WORKER, 403),
            (Role.DISCIPLINE_INSPECTOR, 403),
            (Role.SYSTEM_ADMIN, 403),
        ],
    )
    def test_roles(self, tree, ledger, role, status):
        client = _client(tree.people[role])
        assert client.get(_ledger_url(tree.community_a1)).status_code == status
        entry = ledger["posted"]
        assert client.get(reverse("fund_entry_detail", args=[entry.pk])).status_code == status

    def test_siblings_and_unknown_units_get_404(self, tree, ledger):
        sibling = _client(make_member(tree.community_a2, Role.BRANCH_SECRETARY))
        assert sibling.get(_ledger_url(tree.community_a1)).status_code == 404
        assert sibling.get(_ledger_url(tree.street_a)).status_code == 404
        assert sibling.get(f"{reverse('fund_ledger')}?unit=NOPE").status_code == 404
        assert sibling.get(f"{reverse('fund_ledger')}?unit=%00").status_code == 404
        entry = ledger["posted"]
        for name in ("fund_entry_detail", "fund_entry_reverse"):
            assert sibling.get(reverse(name, args=[entry.pk])).status_code == 404
        assert sibling.get(reverse("fund_entry_detail", args=[999999])).status_code == 404
        other_street = _client(tree.people[Role.STREET_SUPERVISOR])
        assert other_street.get(_ledger_url(tree.community_b1)).status_code == 404

    def test_a_bad_year_falls_back_to_this_year(self, tree, ledger):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        for year in ("abc", "1800", "99999999999999999999"):
            response = client.get(f"{reverse('fund_ledger')}?year={year}")
            assert response.context["year"] == 2026

    def test_queries_do_not_grow_with_entries(self, tree, staff, django_assert_max_num_queries):
        for _ in range(30):
            spend(staff, tree.community_a1, "10.00")
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        with django_assert_max_num_queries(11):
            response = client.get(_ledger_url(tree.street_a))
        assert response.status_code == 200
        with django_assert_max_num_queries(11):
            response = client.get(_ledger_url(tree.community_a1))
        assert len(response.context["page"].items) == 25


class TestBooking:
    def test_an_allocation_through_the_form(self, tree):
        client = _client(tree.people[Role.BRANCH_SECRETARY])
        response = client.post(
            reverse("fund_allocation_new"),
            {
                "year": "2026",
                "source": "party_fee_rebate",
                "amount": "3600.50",
                "entry_date": "2026-02-01",
            },
        )
        assert response.status_code == 302
        entry = FundEntry.objects.get()
        assert (entry.amount, entry.source, entry.unit) == (
            D("3600.50"),
            "party_fee_rebate",
            tree.community_a1,
        )

    def test_an_expense_with_vouchers_through_the_form(self, tree):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        response = client.post(
            reverse("fund_expense_new"),
            {
                "category": "equipment",
                "amount": "6800",
                "payee": "东湖电器城",
                "spent_on": "2026-05-20",
                "purpose": "活动室空调",
                "vouchers": [upload("发票.pdf"), upload("验收单.pdf")],
            },
            **EN,
        )
        entry = FundEntry.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("fund_entry_detail", args=[entry.pk])
        assert entry.status == FundStatus.PENDING
        assert sorted(v.original_name for v in entry.vouchers.all()) == ["发票.pdf", "验收单.pdf"]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"amount": "12.345"}, "at most two decimal places"),
            ({"amount": "-3"}, "more than zero"),
            ({"amount": "1e400"}, "at most"),
            ({"amount": "一百"}, "Enter the amount in yuan"),
            ({"amount": "0"}, "more than zero"),
            ({"payee": ""}, "This field is required"),
            ({"category": "bribes"}, "Select a valid choice"),
            ({"spent_on": "2026-13-01"}, "Enter a valid date"),
            ({"spent_on": "2027-01-01"}, "cannot lie in the future"),
            ({"purpose": "x" * 501}, "at most 500 characters"),
            (
                {"vouchers": upload("fake.pdf", b"<html>not a pdf</html>", "application/pdf")},
                "Only PDF",
            ),
        ],
    )
    def test_bad_expense_input_changes_nothing(self, tree, changes, message):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        data = {
            "category": "venue",
            "amount": "120",
            "payee": "物业",
            "spent_on": "2026-05-20",
            "purpose": "水电",
            **changes,
        }
        before = AuditEntry.objects.count()
        response = client.post(reverse("fund_expense_new"), data, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert FundEntry.objects.count() == 0
        assert AuditEntry.objects.count() == before

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"year": "1999"}, "greater than or equal to 2000"),
            ({"year": "2099"}, "Choose a year from 2000 to 2027"),
            ({"source": "lottery"}, "Select a valid choice"),
            ({"amount": ""}, "This field is required"),
            ({"entry_date": "yesterday"}, "Enter a valid date"),
        ],
    )
    def test_bad_allocation_input_changes_nothing(self, tree, changes, message):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        data = {
            "year": "2026",
            "source": "district_budget",
            "amount": "100",
            "entry_date": "2026-01-01",
            **changes,
        }
        response = client.post(reverse("fund_allocation_new"), data, **EN)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert FundEntry.objects.count() == 0

    @pytest.mark.parametrize(
        "role",
        [Role.GRID_WORKER, Role.DISTRICT_ADMIN, Role.DISCIPLINE_INSPECTOR, Role.SYSTEM_ADMIN],
    )
    def test_who_may_not_book(self, tree, role):
        client = _client(tree.people[role])
        for name in ("fund_allocation_new", "fund_expense_new"):
            assert client.get(reverse(name)).status_code == 403
        response = client.post(
            reverse("fund_allocation_new"),
            {
                "year": "2026",
                "source": "district_budget",
                "amount": "100",
                "entry_date": "2026-01-01",
            },
        )
        assert response.status_code == 403
        assert FundEntry.objects.count() == 0

    def test_anonymous_is_sent_to_sign_in(self, tree):
        response = Client().get(reverse("fund_ledger"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


class TestApprovalAndReversalPages:
    def test_the_secretary_approves_from_the_approval_list(self, tree, ledger):
        client = _client(tree.people[Role.BRANCH_SECRETARY])
        listing = client.get(reverse("fund_approvals"), **EN)
        assert [e.pk for e in listing.context["page"]] == [ledger["pending"].pk]
        detail = client.get(reverse("fund_entry_detail", args=[ledger["pending"].pk]), **EN)
        assert detail.context["can_decide"] is True
        response = client.post(
            reverse("fund_entry_decide", args=[ledger["pending"].pk]), {"decision": "approve"}
        )
        assert response.status_code == 302
        assert FundEntry.objects.get(pk=ledger["pending"].pk).status == FundStatus.APPROVED

    def test_the_approval_list_is_cheap_and_scoped(
        self, tree, staff, django_assert_max_num_queries
    ):
        for _ in range(30):
            spend(staff, tree.community_a1, "5000.01")
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        with django_assert_max_num_queries(8):
            response = client.get(reverse("fund_approvals"))
        assert len(response.context["page"].items) == 25
        other_street = _client(make_member(tree.street_b, Role.STREET_SUPERVISOR))
        assert len(other_street.get(reverse("fund_approvals")).context["page"].items) == 0

    @pytest.mark.parametrize(
        ("role", "status", "listed"),
        [
            (Role.BRANCH_SECRETARY, 200, 1),
            (Role.STREET_SUPERVISOR, 200, 1),
            (Role.COMMUNITY_STAFF, 403, 0),
            (Role.GRID_WORKER, 403, 0),
            (Role.DISTRICT_ADMIN, 403, 0),
            (Role.DISCIPLINE_INSPECTOR, 403, 0),
            (Role.SYSTEM_ADMIN, 403, 0),
        ],
    )
    def test_approval_list_per_role(self, tree, ledger, role, status, listed):
        response = _client(tree.people[role]).get(reverse("fund_approvals"))
        assert response.status_code == status
        if status == 200:
            assert len(response.context["page"].items) == listed

    def test_rejecting_needs_a_note(self, tree, ledger):
        client = _client(tree.people[Role.BRANCH_SECRETARY])
        url = reverse("fund_entry_decide", args=[ledger["pending"].pk])
        response = client.post(url, {"decision": "reject", "note": ""}, follow=True, **EN)
        assert "Say why it is rejected." in response.content.decode()
        assert FundEntry.objects.get(pk=ledger["pending"].pk).status == FundStatus.PENDING
        response = client.post(url, {"decision": "maybe"}, follow=True, **EN)
        assert "Select a valid choice" in response.content.decode()
        client.post(url, {"decision": "reject", "note": "价格偏高"})
        assert FundEntry.objects.get(pk=ledger["pending"].pk).status == FundStatus.REJECTED

    def test_the_recorder_sees_no_approval_form(self, tree, ledger):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        detail = client.get(reverse("fund_entry_detail", args=[ledger["pending"].pk]), **EN)
        assert detail.context["can_decide"] is False
        assert "another approver must decide" in detail.content.decode()
        assert client.get(reverse("fund_approvals")).status_code == 403
        client.post(
            reverse("fund_entry_decide", args=[ledger["pending"].pk]), {"decision": "approve"}
        )
        assert FundEntry.objects.get(pk=ledger["pending"].pk).status == FundStatus.PENDING

    def test_a_sibling_cannot_decide(self, tree, ledger):
        sibling = _client(make_member(tree.community_a2, Role.BRANCH_SECRETARY))
        url = reverse("fund_entry_decide", args=[ledger["pending"].pk])
        assert sibling.post(url, {"decision": "approve"}).status_code == 404
        assert FundEntry.objects.get(pk=ledger["pending"].pk).status == FundStatus.PENDING

    def test_reversal_through_the_page(self, tree, ledger):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        url = reverse("fund_entry_reverse", args=[ledger["posted"].pk])
        response = client.post(url, {"reason": ""}, **EN)
        assert response.status_code == 400
        assert "This field is required" in response.content.decode()
        response = client.post(url, {"reason": "供应商退款"})
        assert response.status_code == 302
        reversal = FundEntry.objects.get(reverses=ledger["posted"])
        assert reversal.reason == "供应商退款"
        again = client.post(url, {"reason": "再来一次"}, **EN)
        assert again.status_code == 400
        assert "reversed already" in again.content.decode()
        assert FundEntry.objects.filter(reverses=ledger["posted"]).count() == 1

    def test_the_grid_worker_cannot_reverse(self, tree, ledger):
        client = _client(tree.people[Role.GRID_WORKER])
        url = reverse("fund_entry_reverse", args=[ledger["posted"].pk])
        assert client.post(url, {"reason": "错"}).status_code == 403
        assert not FundEntry.objects.filter(reverses=ledger["posted"]).exists()


class TestVoucherPages:
    def test_file_and_download(self, tree, ledger):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        entry = ledger["posted"]
        response = client.post(
            reverse("fund_voucher_add", args=[entry.pk]), {"file": upload("收据.pdf")}
        )
        assert response.status_code == 302
        voucher = FundVoucher.objects.get()
        download = client.get(reverse("fund_voucher_file", args=[voucher.pk]))
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content) == PDF
        street = _client(tree.people[Role.STREET_SUPERVISOR])
        assert street.get(reverse("fund_voucher_file", args=[voucher.pk])).status_code == 200
        sibling = _client(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
        assert sibling.get(reverse("fund_voucher_file", args=[voucher.pk])).status_code == 404

    def test_bad_files_are_refused_with_a_message(self, tree, ledger):
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        url = reverse("fund_voucher_add", args=[ledger["posted"].pk])
        response = client.post(url, {"file": upload("a.pdf", b"MZ\x90")}, follow=True, **EN)
        assert "Only PDF, JPEG and PNG" in response.content.decode()
        response = client.post(url, {}, follow=True, **EN)
        assert "This field is required" in response.content.decode()
        assert FundVoucher.objects.count() == 0

    def test_the_street_cannot_file_for_the_community(self, tree, ledger):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        response = client.post(
            reverse("fund_voucher_add", args=[ledger["posted"].pk]), {"file": upload()}
        )
        assert response.status_code == 403
        assert FundVoucher.objects.count() == 0


class TestExport:
    def test_the_ledger_as_a_workbook(self, tree, ledger):
        client = _client(tree.people[Role.STREET_SUPERVISOR])
        response = client.get(
            f"{reverse('fund_export')}?unit={tree.community_a1.code}&year=2026", **EN
        )
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            f'attachment; filename="ledger-{tree.community_a1.code}-2026.xlsx"'
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("柳岸社区", tree.community_a1.code, "2026")
        assert rows[1][:8] == (
            "Allocated",
            20000,
            "Spent",
            1200,
            "Awaiting approval",
            8000,
            "Balance",
            18800,
        )
        assert rows[1][9] == "6.00%"
        body = rows[3:]
        assert len(body) == 5
        effects = {row[0]: row[5] for row in body}
        assert effects[ledger["allocation"].pk] == 20000
        assert effects[ledger["pending"].pk] == 0  # pending counts for nothing yet
        assert effects[ledger["posted"].pk] == -1200
        assert sum(effects.values()) == 18800  # the balance, from the rows alone

    def test_formulas_are_not_run(self, tree, staff):
        spend(staff, tree.community_a1, payee='=HYPERLINK("http://evil")')
        client = _client(tree.people[Role.COMMUNITY_STAFF])
        response = client.get(reverse("fund_export"))
        sheet = load_workbook(io.BytesIO(response.content)).active
        payees = [row[7] for row in sheet.iter_rows(min_row=4, values_only=True)]
        assert payees == ['\'=HYPERLINK("http://evil")']

    def test_export_is_scoped(self, tree, ledger):
        sibling = _client(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
        assert (
            sibling.get(f"{reverse('fund_export')}?unit={tree.community_a1.code}").status_code
            == 404
        )
        grid = _client(tree.people[Role.GRID_WORKER])
        assert grid.get(reverse("fund_export")).status_code == 403
