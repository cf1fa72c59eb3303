"""Rectification progress of a unit: the weighted mean of its items' progress (pure, no ORM).

docs/SCORING.md, "Rectification progress", defines it and works an example. In short: every item
of the period counts with its weight; a verified item counts 100 %, any other item the progress
its unit last reported (a returned item keeps it); a unit without items has no figure (None),
which is not the same as 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

VERIFIED = "verified"


@dataclass(frozen=True)
class Period:
    """Calendar days from `start` to `end`, both included (local time)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period must not end before it starts.")


@dataclass(frozen=True)
class ItemState:
    """What the roll-up needs of one item."""

    weight: int
    progress: int
    status: str
    overdue: bool = False


@dataclass(frozen=True)
class Rollup:
    progress: float | None  # percent, one decimal; None without items
    items: int
    verified: int
    overdue: int
    weight: int


def effective_progress(item: ItemState) -> int:
    """What an item contributes: 100 once verified, otherwise its reported progress (0–100)."""
    if item.status == VERIFIED:
        return 100
    return min(max(item.progress, 0), 100)


def rollup(items: Iterable[ItemState]) -> Rollup:
    """Σ weight × effective progress / Σ weight, rounded to one decimal."""
    total_weight = weighted = count = verified = overdue = 0
    for item in items:
        if item.weight <= 0:
            raise ValueError("Item weights must be positive.")
        total_weight += item.weight
        weighted += item.weight * effective_progress(item)
        count += 1
        verified += item.status == VERIFIED
        overdue += item.overdue
    progress = round(weighted / total_weight, 1) if total_weight else None
    return Rollup(
        progress=progress, items=count, verified=verified, overdue=overdue, weight=total_weight
    )


def rollup_by_unit(
    rows: Iterable[tuple[str, ItemState]], unit_paths: Sequence[str]
) -> dict[str, Rollup]:
    """The roll-up of each unit's subtree: an item counts for every unit whose path begins its
    unit's path. `rows` pair an item's unit path with its state; units without items get an
    empty roll-up (progress None)."""
    grouped: dict[str, list[ItemState]] = {path: [] for path in unit_paths}
    for item_path, state in rows:
        for path in unit_paths:
            if item_path.startswith(path):
                grouped[path].append(state)
    return {path: rollup(states) for path, states in grouped.items()}
