"""The categories residents can choose, kept per process (core.process_cache).

Intake looks a category up on every request; the list is short and changes rarely.
"""

from __future__ import annotations

from dataclasses import dataclass

from jiceng.cases.models import Category
from jiceng.cases.selectors import leaf_categories
from jiceng.core.process_cache import ProcessCache


@dataclass(frozen=True)
class CategoryIndex:
    by_id: dict[int, Category]
    by_code: dict[str, Category]


def _index() -> CategoryIndex:
    leaves = list(leaf_categories())
    return CategoryIndex(
        by_id={category.pk: category for category in leaves},
        by_code={category.code: category for category in leaves},
    )


categories = ProcessCache("cases.categories", _index)


def leaf_category_by_code(code: str) -> Category | None:
    """An active category residents can choose (not a group), or None."""
    return categories.get().by_code.get(code)


def leaf_category_by_id(pk: int) -> Category | None:
    return categories.get().by_id.get(pk)
