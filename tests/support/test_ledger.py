"""The pure ledger maths (jiceng/support/ledger.py), including invariants over random ledgers."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from jiceng.support import ledger
from jiceng.support.ledger import (
    ALLOCATION,
    ALLOCATION_REVERSAL,
    APPROVED,
    EXPENSE,
    EXPENSE_REVERSAL,
    PENDING,
    REJECTED,
    Line,
)

D = Decimal


def test_worked_example_of_scoring_md():
    """The example in docs/SCORING.md, "Fund execution"."""
    lines = [
        Line(ALLOCATION, D("80000.00")),
        Line(ALLOCATION, D("20000.00")),
        Line(EXPENSE, D("3000.00")),
        Line(EXPENSE, D("12000.00")),  # approved above the threshold
        Line(EXPENSE, D("6500.00"), PENDING),
        Line(EXPENSE, D("9000.00"), REJECTED),
        Line(EXPENSE, D("800.00")),
        Line(EXPENSE_REVERSAL, D("800.00")),
        Line(ALLOCATION_REVERSAL, D("20000.00")),
    ]
    figures = ledger.figures(lines)
    assert figures.allocated == D("80000.00")
    assert figures.spent == D("15000.00")
    assert figures.pending == D("6500.00")
    assert figures.balance == D("65000.00")
    assert figures.available == D("58500.00")
    assert figures.execution_rate == D("0.1875")


def test_empty_ledger():
    figures = ledger.figures([])
    assert (figures.allocated, figures.spent, figures.balance, figures.pending) == (0, 0, 0, 0)
    assert figures.execution_rate is None


def test_pending_and_rejected_expenses_never_count_as_spent():
    base = [Line(ALLOCATION, D("1000.00"))]
    assert ledger.balance([*base, Line(EXPENSE, D("600.00"), PENDING)]) == D("1000.00")
    assert ledger.balance([*base, Line(EXPENSE, D("600.00"), REJECTED)]) == D("1000.00")
    assert ledger.figures([*base, Line(EXPENSE, D("600.00"), REJECTED)]).pending == 0
    assert ledger.balance([*base, Line(EXPENSE, D("600.00"), APPROVED)]) == D("400.00")


def test_overspending_gives_a_negative_balance_and_a_rate_above_one():
    figures = ledger.figures([Line(ALLOCATION, D("100.00")), Line(EXPENSE, D("150.00"))])
    assert figures.balance == D("-50.00")
    assert figures.execution_rate == D("1.5000")


@pytest.mark.parametrize(
    ("spent", "allocated", "rate"),
    [
        ("0", "100", D("0.0000")),
        ("1", "3", D("0.3333")),
        ("2", "3", D("0.6667")),
        ("0.00005", "1", D("0.0001")),  # half up
        ("5", "0", None),
        ("5", "-10", None),
    ],
)
def test_execution_rate(spent, allocated, rate):
    assert ledger.execution_rate(spent=D(spent), allocated=D(allocated)) == rate


@pytest.mark.parametrize(
    ("amount", "needs"),
    [("5000.00", False), ("5000.01", True), ("4999.99", False), ("80000", True)],
)
def test_approval_above_the_threshold_only(amount, needs):
    assert ledger.needs_approval(D(amount), D("5000.00")) is needs


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("12.5", None),
        (D("0.01"), None),
        (3, None),
        ("100000000.00", None),
        (" 8 ", None),
        ("100000000.01", "too_large"),
        ("1E+40", "too_large"),
        ("0", "not_positive"),
        ("-1", "not_positive"),
        ("0.001", "too_precise"),
        ("1.005", "too_precise"),
        ("1E-40", "too_precise"),
        ("abc", "invalid"),
        ("", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
        (1.5, "invalid"),
        (True, "invalid"),
        (None, "invalid"),
    ],
)
def test_amount_problems(value, problem):
    assert ledger.amount_problem(value) == problem


def test_unknown_kinds_and_statuses_are_refused():
    with pytest.raises(ValueError, match="kind"):
        Line("gift", D("1"))
    with pytest.raises(ValueError, match="status"):
        Line(EXPENSE, D("1"), "maybe")


# --- invariants over random ledgers ---------------------------------------------------------
def _random_ledger(rng: random.Random) -> list[Line]:
    """A ledger as the services can make it: reversals undo posted entries, at most once."""
    lines: list[Line] = []
    posted: list[Line] = []
    for _ in range(rng.randint(0, 40)):
        amount = D(rng.randint(1, 10_000_000)) / 100
        roll = rng.random()
        if roll < 0.3:
            line = Line(ALLOCATION, amount)
        elif roll < 0.8:
            line = Line(EXPENSE, amount, rng.choice([APPROVED, APPROVED, PENDING, REJECTED]))
        elif posted:
            original = posted.pop(rng.randrange(len(posted)))
            lines.append(Line(ledger.REVERSAL_OF[original.kind], original.amount))
            continue
        else:
            continue
        lines.append(line)
        if line.status == APPROVED:
            posted.append(line)
    return lines


LEDGERS = [_random_ledger(random.Random(seed)) for seed in range(300)]


def _sum(lines, kind, status=APPROVED):
    return sum((line.amount for line in lines if line.kind == kind and line.status == status), D(0))


@pytest.mark.parametrize("lines", LEDGERS)
def test_invariants(lines):
    figures = ledger.figures(lines)
    # balance = allocations − expenses + reversals of expenses − reversals of allocations
    assert figures.balance == (
        _sum(lines, ALLOCATION)
        - _sum(lines, EXPENSE)
        + _sum(lines, EXPENSE_REVERSAL)
        - _sum(lines, ALLOCATION_REVERSAL)
    )
    assert figures.balance == figures.allocated - figures.spent
    assert figures.pending == _sum(lines, EXPENSE, PENDING)
    assert figures.available == figures.balance - figures.pending
    # Every reversal undoes a posted entry: nothing goes below zero.
    assert figures.allocated >= 0
    assert figures.spent >= 0
    # Amounts stay to the fen.
    assert figures.balance == figures.balance.quantize(ledger.FEN)
    rate = figures.execution_rate
    if figures.allocated == 0:
        assert rate is None
    else:
        assert rate is not None
        assert rate >= 0
        assert abs(rate - figures.spent / figures.allocated) <= D("0.00005")


@pytest.mark.parametrize("seed", range(50))
def test_order_does_not_matter_and_sums_add_up(seed):
    rng = random.Random(1000 + seed)
    lines = LEDGERS[seed]
    shuffled = lines[:]
    rng.shuffle(shuffled)
    assert ledger.figures(shuffled) == ledger.figures(lines)
    cut = rng.randint(0, len(lines))
    assert ledger.figures(lines[:cut]) + ledger.figures(lines[cut:]) == ledger.figures(lines)


@pytest.mark.parametrize("seed", range(50))
def test_reversing_every_posted_entry_brings_everything_back_to_zero(seed):
    lines = LEDGERS[seed]
    open_entries = [
        line for line in lines if line.status == APPROVED and line.kind in (ALLOCATION, EXPENSE)
    ]
    reversed_amounts = {
        ALLOCATION: _sum(lines, ALLOCATION_REVERSAL),
        EXPENSE: _sum(lines, EXPENSE_REVERSAL),
    }
    # Reverse what is left unreversed, as sums per kind (the maths only sees sums).
    extra = [
        Line(ledger.REVERSAL_OF[kind], _sum(open_entries, kind) - reversed_amounts[kind])
        for kind in (ALLOCATION, EXPENSE)
        if _sum(open_entries, kind) - reversed_amounts[kind] > 0
    ]
    figures = ledger.figures([*lines, *extra])
    assert (figures.allocated, figures.spent, figures.balance) == (0, 0, 0)


WITH_PENDING = [s for s, lines in enumerate(LEDGERS) if any(x.status == PENDING for x in lines)]


@pytest.mark.parametrize("seed", WITH_PENDING[:50])
def test_approving_a_pending_expense_moves_exactly_its_amount(seed):
    lines = LEDGERS[seed]
    index = next(i for i, line in enumerate(lines) if line.status == PENDING)
    approved = [*lines[:index], Line(EXPENSE, lines[index].amount), *lines[index + 1 :]]
    rejected = [*lines[:index], Line(EXPENSE, lines[index].amount, REJECTED), *lines[index + 1 :]]
    before = ledger.figures(lines)
    assert ledger.figures(approved).balance == before.balance - lines[index].amount
    assert ledger.figures(approved).available == before.available
    assert ledger.figures(rejected).balance == before.balance
    assert ledger.figures(rejected).available == before.available + lines[index].amount


def test_the_random_ledgers_cover_every_kind_and_status():
    seen = {(line.kind, line.status) for lines in LEDGERS for line in lines}
    assert seen == {
        (ALLOCATION, APPROVED),
        (EXPENSE, APPROVED),
        (EXPENSE, PENDING),
        (EXPENSE, REJECTED),
        (ALLOCATION_REVERSAL, APPROVED),
        (EXPENSE_REVERSAL, APPROVED),
    }
