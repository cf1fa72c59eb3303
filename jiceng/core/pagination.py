"""Pagination without COUNT(*): a page costs what it shows, never the table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE = 10_000


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    page_size: int
    has_next: bool
    query: QueryDict

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def _url(self, number: int) -> str:
        query = self.query.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    @property
    def next_url(self) -> str:
        return self._url(self.number + 1)

    @property
    def previous_url(self) -> str:
        return self._url(self.number - 1)

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.items else 0


def page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def paginate(
    request: HttpRequest, queryset: QuerySet[Any], *, page_size: int = DEFAULT_PAGE_SIZE
) -> Page[Any]:
    number = page_number(request)
    offset = (number - 1) * page_size
    rows = list(queryset[offset : offset + page_size + 1])
    return Page(
        items=rows[:page_size],
        number=number,
        page_size=page_size,
        has_next=len(rows) > page_size,
        query=request.GET,
    )
