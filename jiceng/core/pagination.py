"""Pagination without COUNT(*): a page costs what it shows, never the table.

Lists ordered newest first by a moment and the primary key can also page by key (keyset): the
"next" link carries the last row's moment and id (`after`), the "previous" link the first row's
(`before`), and the page is the rows just beyond that row on the index, so page 200 costs what
page 1 costs. A link with only `page=N` (bookmarked, typed) still works, by offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE = 10_000


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(-?[0-9]{1,20})\.([0-9]{1,20})")
CURSOR_PARAMS = ("after", "before")


def encode_cursor(moment: datetime, pk: int) -> str:
    """A row's place in a newest-first list: microseconds since 1970 (exact, no float) and id."""
    return f"{(moment - EPOCH) // timedelta(microseconds=1)}.{pk}"


def decode_cursor(text: str) -> tuple[datetime, int] | None:
    """The moment and id of a cursor; None for anything else."""
    match = _CURSOR.fullmatch(text)
    if match is None:
        return None
    try:
        moment = EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        return None
    return moment, int(match.group(2))


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    number: int
    page_size: int
    has_next: bool
    query: QueryDict
    # Keyset paging: the cursors of the first and last rows; None when paging by offset.
    first_cursor: str | None = field(default=None, kw_only=True)
    last_cursor: str | None = field(default=None, kw_only=True)
    more_before: bool | None = field(default=None, kw_only=True)

    @property
    def has_previous(self) -> bool:
        if self.more_before is not None:
            return self.more_before
        return self.number > 1

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def _url(self, number: int, cursor: tuple[str, str | None] | None = None) -> str:
        query = self.query.copy()
        for name in CURSOR_PARAMS:
            query.pop(name, None)
        query["page"] = str(number)
        if cursor is not None and cursor[1] is not None:
            query[cursor[0]] = cursor[1]
        return "?" + query.urlencode()

    @property
    def next_url(self) -> str:
        return self._url(self.number + 1, ("after", self.last_cursor))

    @property
    def previous_url(self) -> str:
        if self.number <= 2:  # the first page is the list's start, whatever came in since
            return self._url(1)
        return self._url(self.number - 1, ("before", self.first_cursor))

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
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    keyset: str | None = None,
) -> Page[Any]:
    """The page the request asks for.

    `keyset` names the moment the queryset is ordered by, newest first, then by id
    (`order_by("-<keyset>", "-pk")`): the page links then carry cursors (see the module).
    """
    number = page_number(request)
    if keyset is None:
        return _by_offset(request, queryset, number, page_size)
    assert tuple(queryset.query.order_by) == (f"-{keyset}", "-pk"), queryset.query.order_by
    after = decode_cursor(request.GET.get("after", ""))
    before = decode_cursor(request.GET.get("before", ""))
    if after is not None:
        moment, pk = after
        beyond = Q(**{f"{keyset}__lt": moment}) | Q(**{keyset: moment, "pk__lt": pk})
        rows = list(queryset.filter(beyond)[: page_size + 1])
        items, has_next, more_before = rows[:page_size], len(rows) > page_size, True
    elif before is not None:
        moment, pk = before
        beyond = Q(**{f"{keyset}__gt": moment}) | Q(**{keyset: moment, "pk__gt": pk})
        rows = list(queryset.filter(beyond).reverse()[: page_size + 1])
        items, has_next, more_before = rows[:page_size][::-1], True, len(rows) > page_size
    else:
        page = _by_offset(request, queryset, number, page_size)
        items, has_next, more_before = list(page.items), page.has_next, number > 1
    if not more_before:
        number = 1
    return Page(
        items=items,
        number=number,
        page_size=page_size,
        has_next=has_next,
        query=request.GET,
        first_cursor=_cursor(items[0], keyset) if items else None,
        last_cursor=_cursor(items[-1], keyset) if items else None,
        more_before=more_before,
    )


def _cursor(item: Any, keyset: str) -> str:
    return encode_cursor(getattr(item, keyset), item.pk)


def _by_offset(
    request: HttpRequest, queryset: QuerySet[Any], number: int, page_size: int
) -> Page[Any]:
    offset = (number - 1) * page_size
    rows = list(queryset[offset : offset + page_size + 1])
    return Page(
        items=rows[:page_size],
        number=number,
        page_size=page_size,
        has_next=len(rows) > page_size,
        query=request.GET,
    )
