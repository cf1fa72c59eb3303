"""Fund ledger (经费台账): allocations, expenditures, reversals and their vouchers.

Entries are append-only. A pending expenditure is decided once (approved or rejected); after that,
and for every other entry from the start, nothing is changed or deleted: a mistake is put right
by a reversal entry with a reason (`jiceng.support.fund_services`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.support import ledger

__all__ = [
    "ExpenseCategory",
    "FundEntry",
    "FundKind",
    "FundSource",
    "FundStatus",
    "FundVoucher",
    "PostedEntryError",
]


class PostedEntryError(Exception):
    """A posted ledger entry or voucher was about to be changed or deleted."""


class FundKind(models.TextChoices):
    ALLOCATION = ledger.ALLOCATION, _("Allocation")
    EXPENSE = ledger.EXPENSE, _("Expenditure")
    ALLOCATION_REVERSAL = ledger.ALLOCATION_REVERSAL, _("Reversal of an allocation")
    EXPENSE_REVERSAL = ledger.EXPENSE_REVERSAL, _("Reversal of an expenditure")


class FundStatus(models.TextChoices):
    PENDING = ledger.PENDING, _("Awaiting approval")
    APPROVED = ledger.APPROVED, _("Posted")
    REJECTED = ledger.REJECTED, _("Rejected")


class FundSource(models.TextChoices):
    DISTRICT_BUDGET = "district_budget", _("District budget")
    STREET_SUBSIDY = "street_subsidy", _("Street subsidy")
    PARTY_FEE_REBATE = "party_fee_rebate", _("Party fee rebate")
    SERVICE_FUND = "service_fund", _("Special fund for serving residents")
    SOCIAL_DONATION = "social_donation", _("Social donation")
    OTHER = "other", _("Other source")


class ExpenseCategory(models.TextChoices):
    ACTIVITIES = "activities", _("Organisational activities")
    VENUE = "venue", _("Venue running and upkeep")
    EQUIPMENT = "equipment", _("Equipment")
    TRAINING = "training", _("Training and study")
    CARE = "care", _("Help for households in need")
    STAFF = "staff", _("Staff allowances")
    OFFICE = "office", _("Office costs")
    OTHER = "other", _("Other spending")


REVERSAL_KINDS = [ledger.ALLOCATION_REVERSAL, ledger.EXPENSE_REVERSAL]


class FundEntryQuerySet(models.QuerySet["FundEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PostedEntryError("Ledger entries are corrected by reversal, never edited.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PostedEntryError("Ledger entries are corrected by reversal, never deleted.")

    def decide(self, *, status: str, **fields: Any) -> int:
        """Approve or reject the pending expenditures among these: the one change allowed."""
        if status not in (FundStatus.APPROVED, FundStatus.REJECTED):
            raise PostedEntryError("A decision approves or rejects.")
        pending = self.filter(kind=FundKind.EXPENSE, status=FundStatus.PENDING)
        return super(FundEntryQuerySet, pending).update(status=status, **fields)


class FundEntry(models.Model):
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    # The unit's path when the entry was made: scoping by subtree uses it.
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=24, choices=FundKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=FundStatus.choices, default=FundStatus.APPROVED
    )
    source = models.CharField(_("source"), max_length=24, choices=FundSource.choices, blank=True)
    category = models.CharField(
        _("category"), max_length=24, choices=ExpenseCategory.choices, blank=True
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    entry_date = models.DateField(_("date"))
    payee = models.CharField(_("payee"), max_length=100, blank=True)
    purpose = models.TextField(_("purpose"), max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    reason = models.TextField(_("reason for the reversal"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    objects = FundEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_amount_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=REVERSAL_KINDS, reverses__isnull=False)
                    | (~Q(kind__in=REVERSAL_KINDS) & Q(reverses__isnull=True))
                ),
                name="fund_reversal_has_original",
            ),
            models.CheckConstraint(
                condition=Q(kind=ledger.EXPENSE) | Q(status=ledger.APPROVED),
                name="fund_only_expenses_wait",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "year", "kind", "status"], name="fund_unit_year_idx"),
            models.Index(fields=["status", "unit_path"], name="fund_status_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} ({self.entry_date})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PostedEntryError("Ledger entries are corrected by reversal, never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PostedEntryError("Ledger entries are corrected by reversal, never deleted.")

    @property
    def is_reversal(self) -> bool:
        return self.kind in (FundKind.ALLOCATION_REVERSAL, FundKind.EXPENSE_REVERSAL)

    @property
    def counts(self) -> bool:
        """Whether the entry enters the figures (pending and rejected expenditures do not)."""
        return self.status == FundStatus.APPROVED

    @property
    def signed_amount(self) -> Any:
        """The entry's effect on the balance, once posted."""
        if self.kind in (FundKind.ALLOCATION, FundKind.EXPENSE_REVERSAL):
            return self.amount
        return -self.amount


class FundVoucherQuerySet(models.QuerySet["FundVoucher"]):
    def update(self, **kwargs: Any) -> int:
        raise PostedEntryError("Vouchers are kept as they were filed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PostedEntryError("Vouchers are kept as they were filed.")


def voucher_path(instance: FundVoucher, filename: str) -> str:
    return f"support/vouchers/{instance.uploaded_at:%Y/%m}/{filename}"


class FundVoucher(models.Model):
    """A receipt or invoice filed with an expenditure; its type was read from its content."""

    entry = models.ForeignKey(
        FundEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="vouchers"
    )
    file = models.FileField(_("file"), upload_to=voucher_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    objects = FundVoucherQuerySet.as_manager()

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PostedEntryError("Vouchers are kept as they were filed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PostedEntryError("Vouchers are kept as they were filed.")
