"""Fund ledger services: booking, approval above the threshold, reversal-only corrections,
vouchers checked by content, and the model layer that refuses edits and deletes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.utils import translation

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.orgs.roles import Role
from jiceng.support import fund_selectors, fund_services
from jiceng.support.models import FundEntry, FundStatus, FundVoucher, PostedEntryError
from tests.factories import actor_for, make_member
from tests.support.funds_helpers import PDF, allocate, jpeg_bytes, png_bytes, spend, upload

pytestmark = pytest.mark.django_db
D = Decimal
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _fixed_time_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.FUNDS_APPROVAL_THRESHOLD = D("5000.00")
    with clock.at(NOW), translation.override("en"):
        yield


@pytest.fixture
def staff(tree):
    return actor_for(tree.people[Role.COMMUNITY_STAFF])


@pytest.fixture
def secretary(tree):
    return actor_for(tree.people[Role.BRANCH_SECRETARY])


@pytest.fixture
def supervisor(tree):
    return actor_for(tree.people[Role.STREET_SUPERVISOR])


def _state():
    return (FundEntry.objects.count(), AuditEntry.objects.count(), FundVoucher.objects.count())


def _figures(unit, year=2026):
    return fund_selectors.fund_execution(unit, year)


class TestBooking:
    def test_an_allocation_is_booked_and_audit_logged(self, tree, staff):
        entry = allocate(staff, tree.community_a1, "80000.00")
        assert (entry.kind, entry.status, entry.amount, entry.year) == (
            "allocation",
            "approved",
            D("80000.00"),
            2026,
        )
        assert entry.unit_path == tree.community_a1.path
        logged = AuditEntry.objects.get(action="support.fund.allocated")
        assert logged.data["amount"] == "80000.00"
        assert logged.data["source"] == "district_budget"
        assert _figures(tree.community_a1).allocated == D("80000.00")

    @pytest.mark.parametrize("amount", ["300.00", "5000.00"])
    def test_an_expense_up_to_the_threshold_counts_at_once(self, tree, staff, amount):
        allocate(staff, tree.community_a1)
        entry = spend(staff, tree.community_a1, amount)
        assert entry.status == FundStatus.APPROVED
        assert entry.year == 2026
        assert _figures(tree.community_a1).spent == D(amount)

    def test_an_expense_above_the_threshold_waits_and_does_not_count(self, tree, staff):
        allocate(staff, tree.community_a1)
        entry = spend(staff, tree.community_a1, "5000.01")
        assert entry.status == FundStatus.PENDING
        figures = _figures(tree.community_a1)
        assert (figures.spent, figures.pending, figures.balance) == (
            D("0"),
            D("5000.01"),
            D("10000.00"),
        )
        assert AuditEntry.objects.get(action="support.fund.spent").data["pending"] is True

    def test_the_threshold_is_a_setting(self, tree, staff, settings):
        settings.FUNDS_APPROVAL_THRESHOLD = D("100.00")
        assert spend(staff, tree.community_a1, "100.01").status == FundStatus.PENDING
        assert spend(staff, tree.community_a1, "100.00").status == FundStatus.APPROVED

    def test_the_year_of_an_expense_is_the_year_it_was_paid(self, tree, staff):
        entry = spend(staff, tree.community_a1, spent_on=date(2025, 12, 31))
        assert entry.year == 2025
        assert _figures(tree.community_a1, 2025).spent == D("300.00")
        assert _figures(tree.community_a1, 2026).spent == 0


BAD_AMOUNTS = [
    ("0", "more than zero"),
    ("-5", "more than zero"),
    ("12.345", "two decimal places"),
    ("abc", "in yuan"),
    ("", "in yuan"),
    ("NaN", "in yuan"),
    ("100000000.01", "at most"),
]


class TestBadInputChangesNothing:
    @pytest.mark.parametrize(("amount", "message"), BAD_AMOUNTS)
    def test_bad_amounts(self, tree, staff, amount, message):
        before = _state()
        with pytest.raises(DomainError, match=message) as error:
            fund_services.fund_expense_record(
                actor=staff,
                unit=tree.community_a1,
                category="venue",
                amount=amount,
                payee="物业",
                spent_on=date(2026, 3, 1),
                purpose="水电",
            )
        assert error.value.field == "amount"
        with pytest.raises(DomainError, match=message):
            fund_services.fund_allocation_record(
                actor=staff,
                unit=tree.community_a1,
                year=2026,
                source="district_budget",
                amount=amount,
                entry_date=date(2026, 1, 1),
            )
        assert _state() == before

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"category": "bribes"}, "category"),
            ({"payee": "  "}, "payee"),
            ({"payee": "收" * 101}, "payee"),
            ({"purpose": ""}, "purpose"),
            ({"purpose": "用" * 501}, "purpose"),
            ({"spent_on": date(2026, 6, 16)}, "spent_on"),
            ({"spent_on": date(1999, 12, 31)}, "spent_on"),
            ({"spent_on": "2026-03-01"}, "spent_on"),
            ({"vouchers": [upload("a.pdf", b"just text")]}, "vouchers"),
        ],
    )
    def test_bad_expense_fields(self, tree, staff, changes, field):
        before = _state()
        data = {
            "category": "venue",
            "amount": "120.00",
            "payee": "物业",
            "spent_on": date(2026, 3, 1),
            "purpose": "水电",
            **changes,
        }
        with pytest.raises(DomainError) as error:
            fund_services.fund_expense_record(actor=staff, unit=tree.community_a1, **data)
        assert error.value.field == field
        assert _state() == before

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"year": 1999}, "year"),
            ({"year": 2028}, "year"),
            ({"source": "lottery"}, "source"),
            ({"entry_date": date(2026, 7, 1)}, "entry_date"),
            ({"note": "注" * 501}, "note"),
        ],
    )
    def test_bad_allocation_fields(self, tree, staff, changes, field):
        before = _state()
        data = {
            "year": 2026,
            "source": "street_subsidy",
            "amount": "100",
            "entry_date": date(2026, 1, 1),
            **changes,
        }
        with pytest.raises(DomainError) as error:
            fund_services.fund_allocation_record(actor=staff, unit=tree.community_a1, **data)
        assert error.value.field == field
        assert _state() == before


class TestWhoBooks:
    @pytest.mark.parametrize(
        ("role", "unit_name"),
        [
            (Role.GRID_WORKER, "grid_a1"),
            (Role.COMMUNITY_STAFF, "community_a2"),  # a sibling's ledger
            (Role.STREET_SUPERVISOR, "community_a1"),  # the unit below keeps its own
            (Role.DISTRICT_ADMIN, "district"),
            (Role.DISCIPLINE_INSPECTOR, "street_a"),
            (Role.SYSTEM_ADMIN, "district"),
        ],
    )
    def test_only_the_units_own_keepers_book(self, tree, role, unit_name):
        actor = actor_for(tree.people[role])
        with pytest.raises(Forbidden):
            allocate(actor, getattr(tree, unit_name))
        assert FundEntry.objects.count() == 0

    @pytest.mark.parametrize("role", [Role.COMMUNITY_STAFF, Role.BRANCH_SECRETARY])
    def test_community_keepers_book_their_own(self, tree, role):
        allocate(actor_for(tree.people[role]), tree.community_a1)
        assert FundEntry.objects.filter(unit=tree.community_a1).count() == 1

    def test_the_street_books_its_own(self, tree, supervisor):
        allocate(supervisor, tree.street_a)
        assert _figures(tree.street_a).allocated == D("10000.00")


class TestApproval:
    def test_the_secretary_approves_and_then_it_counts(self, tree, staff, secretary):
        allocate(staff, tree.community_a1)
        entry = spend(staff, tree.community_a1, "6000.00")
        approved = fund_services.fund_expense_approve(actor=secretary, entry=entry, note="同意")
        assert (approved.status, approved.decided_by, approved.decision_note) == (
            FundStatus.APPROVED,
            tree.people[Role.BRANCH_SECRETARY],
            "同意",
        )
        assert _figures(tree.community_a1).spent == D("6000.00")
        assert _figures(tree.community_a1).balance == D("4000.00")
        assert AuditEntry.objects.filter(action="support.fund.approved").count() == 1

    def test_a_rejected_expense_never_counts(self, tree, staff, secretary):
        allocate(staff, tree.community_a1)
        entry = spend(staff, tree.community_a1, "6000.00")
        with pytest.raises(DomainError, match="why"):
            fund_services.fund_expense_reject(actor=secretary, entry=entry, note=" ")
        rejected = fund_services.fund_expense_reject(actor=secretary, entry=entry, note="超预算")
        assert rejected.status == FundStatus.REJECTED
        figures = _figures(tree.community_a1)
        assert (figures.spent, figures.pending, figures.balance) == (0, 0, D("10000.00"))
        with pytest.raises(Conflict):
            fund_services.fund_expense_approve(actor=secretary, entry=rejected)
        with pytest.raises(Conflict):
            fund_services.fund_entry_reverse(actor=secretary, entry=rejected, reason="误")

    def test_the_recorder_cannot_approve_their_own(self, tree, secretary):
        entry = spend(secretary, tree.community_a1, "9000.00")
        with pytest.raises(Forbidden, match="someone else"):
            fund_services.fund_expense_approve(actor=secretary, entry=entry)
        assert FundEntry.objects.get(pk=entry.pk).status == FundStatus.PENDING
        assert fund_selectors.fund_approvals(secretary).count() == 0

    def test_the_street_approves_what_the_secretary_recorded(self, tree, secretary, supervisor):
        entry = spend(secretary, tree.community_a1, "9000.00")
        assert list(fund_selectors.fund_approvals(supervisor)) == [entry]
        fund_services.fund_expense_approve(actor=supervisor, entry=entry)
        assert FundEntry.objects.get(pk=entry.pk).status == FundStatus.APPROVED

    def test_approving_twice_conflicts(self, tree, staff, secretary):
        entry = spend(staff, tree.community_a1, "9000.00")
        fund_services.fund_expense_approve(actor=secretary, entry=entry)
        with pytest.raises(Conflict):
            fund_services.fund_expense_approve(actor=secretary, entry=entry)
        # A stale copy still pending in memory is refused by the database too.
        with pytest.raises(Conflict):
            fund_services.fund_expense_reject(actor=secretary, entry=entry, note="晚了")
        assert (
            AuditEntry.objects.filter(
                action__in=["support.fund.approved", "support.fund.rejected"]
            ).count()
            == 1
        )

    @pytest.mark.parametrize(
        "role",
        [Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.DISTRICT_ADMIN, Role.DISCIPLINE_INSPECTOR],
    )
    def test_those_without_the_capability_cannot_approve(self, tree, staff, role):
        entry = spend(staff, tree.community_a1, "9000.00")
        with pytest.raises(Forbidden):
            fund_services.fund_expense_approve(actor=actor_for(tree.people[role]), entry=entry)

    def test_a_sibling_secretary_cannot_approve(self, tree, staff):
        other = actor_for(make_member(tree.community_a2, Role.BRANCH_SECRETARY))
        entry = spend(staff, tree.community_a1, "9000.00")
        with pytest.raises(Forbidden):
            fund_services.fund_expense_approve(actor=other, entry=entry)
        assert fund_selectors.fund_approvals(other).count() == 0


class TestReversal:
    def test_reversing_an_expense_gives_the_money_back(self, tree, staff):
        allocate(staff, tree.community_a1)
        entry = spend(staff, tree.community_a1, "300.00")
        reversal = fund_services.fund_entry_reverse(actor=staff, entry=entry, reason="重复录入")
        assert (reversal.kind, reversal.amount, reversal.reverses, reversal.reason) == (
            "expense_reversal",
            D("300.00"),
            entry,
            "重复录入",
        )
        assert reversal.year == entry.year
        figures = _figures(tree.community_a1)
        assert (figures.spent, figures.balance) == (0, D("10000.00"))
        logged = AuditEntry.objects.get(action="support.fund.reversed")
        assert (logged.reason, logged.data["reverses"]) == ("重复录入", entry.pk)

    def test_reversing_an_allocation_takes_it_back(self, tree, staff):
        entry = allocate(staff, tree.community_a1, "500.00")
        fund_services.fund_entry_reverse(actor=staff, entry=entry, reason="拨款单位弄错")
        assert _figures(tree.community_a1).allocated == 0

    def test_a_reason_is_required(self, tree, staff):
        entry = allocate(staff, tree.community_a1)
        before = _state()
        with pytest.raises(DomainError, match="why") as error:
            fund_services.fund_entry_reverse(actor=staff, entry=entry, reason="  ")
        assert error.value.field == "reason"
        assert _state() == before

    def test_an_entry_is_reversed_once_and_reversals_are_not_reversed(self, tree, staff):
        entry = allocate(staff, tree.community_a1)
        reversal = fund_services.fund_entry_reverse(actor=staff, entry=entry, reason="错")
        with pytest.raises(Conflict, match="already"):
            fund_services.fund_entry_reverse(actor=staff, entry=entry, reason="再错")
        with pytest.raises(Conflict, match="cannot itself"):
            fund_services.fund_entry_reverse(actor=staff, entry=reversal, reason="错上加错")
        assert FundEntry.objects.count() == 2

    def test_a_pending_expense_is_rejected_not_reversed(self, tree, staff):
        entry = spend(staff, tree.community_a1, "6000.00")
        with pytest.raises(Conflict, match="rejected instead"):
            fund_services.fund_entry_reverse(actor=staff, entry=entry, reason="错")

    def test_the_approver_above_may_reverse_a_sibling_may_not(self, tree, staff, supervisor):
        entry = allocate(staff, tree.community_a1)
        sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
        with pytest.raises(Forbidden):
            fund_services.fund_entry_reverse(actor=sibling, entry=entry, reason="错")
        with pytest.raises(Forbidden):
            fund_services.fund_entry_reverse(
                actor=actor_for(tree.people[Role.GRID_WORKER]), entry=entry, reason="错"
            )
        fund_services.fund_entry_reverse(actor=supervisor, entry=entry, reason="核减")
        assert _figures(tree.community_a1).allocated == 0


class TestEntriesAreNeverEditedOrDeleted:
    def test_the_model_refuses(self, tree, staff):
        entry = allocate(staff, tree.community_a1)
        entry.amount = D("1.00")
        with pytest.raises(PostedEntryError):
            entry.save()
        with pytest.raises(PostedEntryError):
            entry.delete()
        with pytest.raises(PostedEntryError):
            FundEntry.objects.filter(pk=entry.pk).update(amount=D("1.00"))
        with pytest.raises(PostedEntryError):
            FundEntry.objects.all().delete()
        assert FundEntry.objects.get(pk=entry.pk).amount == D("10000.00")

    def test_only_a_pending_expense_can_be_decided(self, tree, staff):
        entry = allocate(staff, tree.community_a1)
        assert FundEntry.objects.filter(pk=entry.pk).decide(status="rejected") == 0
        with pytest.raises(PostedEntryError):
            FundEntry.objects.filter(pk=entry.pk).decide(status="pending")
        assert FundEntry.objects.get(pk=entry.pk).status == FundStatus.APPROVED

    def test_vouchers_are_kept(self, tree, staff):
        entry = spend(staff, tree.community_a1, vouchers=[upload()])
        voucher = entry.vouchers.get()
        with pytest.raises(PostedEntryError):
            voucher.delete()
        with pytest.raises(PostedEntryError):
            FundVoucher.objects.all().delete()
        with pytest.raises(PostedEntryError):
            voucher.save()


class TestVouchers:
    @pytest.mark.parametrize(
        ("name", "content", "stored_type"),
        [
            ("发票.pdf", PDF, "application/pdf"),
            ("收据.png", png_bytes(), "image/png"),
            ("收据.JPG", jpeg_bytes(), "image/jpeg"),
            ("named-wrong.txt", PDF, "application/pdf"),  # content decides, not the name
        ],
    )
    def test_pdf_jpeg_png_are_filed(self, tree, staff, name, content, stored_type):
        entry = spend(staff, tree.community_a1)
        voucher = fund_services.fund_voucher_add(
            actor=staff, entry=entry, upload=upload(name, content)
        )
        assert (voucher.content_type, voucher.size, voucher.original_name) == (
            stored_type,
            len(content),
            name,
        )
        with voucher.file.open("rb") as stored:
            assert stored.read() == content
        assert AuditEntry.objects.filter(action="support.fund.voucher_added").count() == 1

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "empty"),
            (b"MZ\x90\x00 not a voucher", "Only PDF"),
            (b"%PDF-1.4 truncated without an end", "Only PDF"),
            (b"\x89PNG\r\n\x1a\n broken", "Only PDF"),
            (b"GIF89a......", "Only PDF"),
        ],
    )
    def test_other_content_is_refused(self, tree, staff, content, message):
        entry = spend(staff, tree.community_a1)
        before = _state()
        with pytest.raises(DomainError, match=message):
            fund_services.fund_voucher_add(
                actor=staff, entry=entry, upload=upload("x.pdf", content)
            )
        assert _state() == before

    def test_too_big_is_refused(self, tree, staff, monkeypatch):
        monkeypatch.setattr(fund_services, "MAX_VOUCHER_BYTES", len(PDF) - 1)
        entry = spend(staff, tree.community_a1)
        with pytest.raises(DomainError, match="at most"):
            fund_services.fund_voucher_add(actor=staff, entry=entry, upload=upload())
        assert FundVoucher.objects.count() == 0

    def test_at_most_ten_per_expense_and_only_on_expenses(self, tree, staff):
        entry = spend(staff, tree.community_a1, vouchers=[upload() for _ in range(10)])
        with pytest.raises(DomainError, match="at most 10"):
            fund_services.fund_voucher_add(actor=staff, entry=entry, upload=upload())
        with pytest.raises(DomainError, match="at most 10"):
            spend(staff, tree.community_a1, vouchers=[upload() for _ in range(11)])
        allocation = allocate(staff, tree.community_a1)
        with pytest.raises(Conflict):
            fund_services.fund_voucher_add(actor=staff, entry=allocation, upload=upload())

    def test_only_the_unit_files_vouchers(self, tree, staff, supervisor):
        entry = spend(staff, tree.community_a1)
        with pytest.raises(Forbidden):
            fund_services.fund_voucher_add(actor=supervisor, entry=entry, upload=upload())


class TestSelectors:
    def test_figures_of_a_unit_and_its_subtree(self, tree, staff, supervisor):
        allocate(staff, tree.community_a1, "1000.00")
        spend(staff, tree.community_a1, "250.00")
        allocate(supervisor, tree.street_a, "4000.00")
        spend(supervisor, tree.street_a, "1000.00")
        own = fund_selectors.fund_execution(tree.street_a, 2026)
        assert (own.allocated, own.spent, own.execution_rate) == (
            D("4000.00"),
            D("1000.00"),
            D("0.2500"),
        )
        whole = fund_selectors.fund_execution(tree.street_a, 2026, include_below=True)
        assert (whole.allocated, whole.spent, whole.balance) == (
            D("5000.00"),
            D("1250.00"),
            D("3750.00"),
        )
        assert fund_selectors.fund_execution(tree.community_a2, 2026).execution_rate is None

    def test_scoped_to_the_actor(self, tree, staff):
        allocate(staff, tree.community_a1)
        sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
        with pytest.raises(Http404):
            fund_selectors.fund_execution(tree.community_a1, 2026, actor=sibling)
        with pytest.raises(Http404):
            fund_selectors.fund_entry_get(sibling, pk=FundEntry.objects.get().pk)
        with pytest.raises(Http404):
            fund_selectors.fund_execution(
                tree.community_a1, 2026, actor=actor_for(tree.people[Role.GRID_WORKER])
            )
        district = actor_for(tree.people[Role.DISTRICT_ADMIN])
        assert fund_selectors.fund_execution(
            tree.community_a1, 2026, actor=district
        ).allocated == D("10000.00")
        assert fund_selectors.fund_execution(tree.community_a1, 2026, actor=SYSTEM).allocated == D(
            "10000.00"
        )

    def test_figures_by_unit_in_one_query(self, tree, staff, supervisor, django_assert_num_queries):
        allocate(staff, tree.community_a1, "1000.00")
        units = [tree.community_a1, tree.community_a2]
        with django_assert_num_queries(1):
            figures = fund_selectors.fund_figures_by_unit(supervisor, units=units, year=2026)
        assert figures[tree.community_a1.pk].allocated == D("1000.00")
        assert figures[tree.community_a2.pk].allocated == 0
        assert fund_selectors.fund_figures_by_unit(staff, units=units, year=2026).keys() == {
            tree.community_a1.pk
        }
