"""Fund ledger maths (经费台账): plain data in, numbers out, no ORM.

The method is written up in docs/SCORING.md, section "Fund execution".

A unit's ledger for a year is a list of lines, each of one kind:

- an allocation (拨款) brings money in;
- an expense (支出) takes it out, but only once approved: a pending expense is committed, not
  spent, and a rejected one never counts;
- a reversal (冲销) undoes one earlier allocation or approved expense in full. Corrections are made
  only this way, so every figure ever shown can be traced.

    allocated = allocations − allocation reversals
    spent     = approved expenses − expense reversals
    balance   = allocated − spent
              = allocations − expenses + expense reversals − allocation reversals
    execution rate = spent / allocated   (None when nothing is allocated)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ALLOCATION = "allocation"
EXPENSE = "expense"
ALLOCATION_REVERSAL = "allocation_reversal"
EXPENSE_REVERSAL = "expense_reversal"
KINDS = (ALLOCATION, EXPENSE, ALLOCATION_REVERSAL, EXPENSE_REVERSAL)
REVERSAL_OF = {ALLOCATION: ALLOCATION_REVERSAL, EXPENSE: EXPENSE_REVERSAL}

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
# One entry above a hundred million yuan is a typing mistake at a community's scale.
MAX_AMOUNT = Decimal("100000000.00")


@dataclass(frozen=True)
class Line:
    """One ledger entry, or the sum of several of the same kind and status."""

    kind: str
    amount: Decimal
    status: str = APPROVED

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown ledger kind {self.kind!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown ledger status {self.status!r}")


@dataclass(frozen=True)
class Figures:
    allocations: Decimal = ZERO
    allocation_reversals: Decimal = ZERO
    expenses: Decimal = ZERO  # approved only
    expense_reversals: Decimal = ZERO
    pending: Decimal = ZERO  # expenses waiting for approval: committed, not spent

    @property
    def allocated(self) -> Decimal:
        return self.allocations - self.allocation_reversals

    @property
    def spent(self) -> Decimal:
        return self.expenses - self.expense_reversals

    @property
    def balance(self) -> Decimal:
        return self.allocations - self.expenses + self.expense_reversals - self.allocation_reversals

    @property
    def available(self) -> Decimal:
        """What is left once the pending expenses are approved too."""
        return self.balance - self.pending

    @property
    def execution_rate(self) -> Decimal | None:
        return execution_rate(spent=self.spent, allocated=self.allocated)

    @property
    def execution_percent(self) -> Decimal | None:
        """The execution rate as a percentage to two places (81.25 for 0.8125)."""
        rate = self.execution_rate
        return None if rate is None else (rate * 100).quantize(FEN)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            allocations=self.allocations + other.allocations,
            allocation_reversals=self.allocation_reversals + other.allocation_reversals,
            expenses=self.expenses + other.expenses,
            expense_reversals=self.expense_reversals + other.expense_reversals,
            pending=self.pending + other.pending,
        )


def figures(lines: Iterable[Line]) -> Figures:
    """Sum a ledger's lines by what they count as."""
    sums = dict.fromkeys(KINDS, ZERO)
    pending = ZERO
    for line in lines:
        if line.kind == EXPENSE and line.status == PENDING:
            pending += line.amount
        elif line.status == APPROVED:
            sums[line.kind] += line.amount
    return Figures(
        allocations=sums[ALLOCATION],
        allocation_reversals=sums[ALLOCATION_REVERSAL],
        expenses=sums[EXPENSE],
        expense_reversals=sums[EXPENSE_REVERSAL],
        pending=pending,
    )


def balance(lines: Iterable[Line]) -> Decimal:
    return figures(lines).balance


def execution_rate(*, spent: Decimal, allocated: Decimal) -> Decimal | None:
    """Spent over allocated, to four places (0.8125 is 81.25 %); None without an allocation."""
    if allocated <= 0:
        return None
    return (spent / allocated).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def needs_approval(amount: Decimal, threshold: Decimal) -> bool:
    """Expenses above the threshold wait for the secretary; one exactly at it does not."""
    return amount > threshold


def amount_problem(value: object) -> str | None:
    """Why `value` is no ledger amount, as a code; None when it is one.

    Codes: "invalid" (not a finite decimal), "not_positive", "too_precise" (below the fen),
    "too_large" (above MAX_AMOUNT).
    """
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        return "invalid"
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        return "invalid"
    if not amount.is_finite():
        return "invalid"
    if amount <= 0:
        return "not_positive"
    if amount > MAX_AMOUNT:
        return "too_large"
    if amount != amount.quantize(FEN, rounding=ROUND_HALF_UP):
        return "too_precise"
    return None
