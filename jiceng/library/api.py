"""Read-only JSON of the experience library: search, and one document.

The same selectors as the library's pages decide what each caller sees. Without a session or a
key, and with an API key (which acts for a unit, not for a person), that is what the public
sees: published public documents, and the first part of their text. Staff signed in with a
session read what their unit's line may read, in full, with the files' names and sizes (never
their bytes) and the current version's review record. Reading through the API does not count
as a view.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from jiceng.core.actors import Actor
from jiceng.core.api import form_errors, unmark
from jiceng.core.permissions import can
from jiceng.library import selectors
from jiceng.library.forms import SearchForm
from jiceng.library.models import Document, DocumentKind

router = Router(tags=["library"])
# Added to the key and the session that the OpenAPI document names: `{}`, neither is needed.
PUBLIC: dict[str, Any] = {"security": [{}]}


class Span(Schema):
    start: int
    end: int


class DocumentRow(Schema):
    id: int
    title: str
    title_highlights: list[Span]
    snippet: str
    snippet_highlights: list[Span]
    kind: str
    kind_label: str
    source: str
    year: int | None
    published_on: date | None
    tags: list[str]
    times_cited: int
    status: str
    hidden: bool


class SearchPage(Schema):
    items: list[DocumentRow]
    page: int
    page_size: int
    has_next: bool
    has_previous: bool


class AttachmentOut(Schema):
    id: int
    filename: str
    kind: str
    size: int
    text_readable: bool


class VersionOut(Schema):
    number: int
    status: str
    submitted_at: datetime
    reviewed_at: datetime | None


class DocumentOut(Schema):
    id: int
    title: str
    authors: str
    source: str
    published_on: date | None
    year: int | None
    kind: str
    kind_label: str
    tags: list[str]
    uploader_name: str
    visibility: str
    status: str
    status_label: str
    hidden: bool
    taken_down: bool
    is_stub: bool
    times_cited: int
    views: int
    downloads: int
    version: int
    updated_at: datetime
    full: bool
    partial: bool
    body: str
    attachments: list[AttachmentOut]
    current_version: VersionOut | None


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _spans(found: list[tuple[int, int]]) -> list[dict[str, int]]:
    return [{"start": start, "end": end} for start, end in found]


@router.get(
    "/library/documents",
    response=SearchPage,
    summary="Search the library",
    description=(
        "The library page's search: every word must match (text in double quotes is a "
        "phrase); without `q`, the newest first. Pages of 20. Highlights are character "
        "offsets [start, end) into the plain `title` and `snippet`."
    ),
    openapi_extra=PUBLIC,
)
def search(
    request: HttpRequest,
    q: str = Query("", description="Words to look for."),
    kind: DocumentKind | None = None,
    source: str = "",
    year: int | None = Query(None, ge=1900, le=2100),
    tag: str = "",
    unit: str = Query("", description="A unit code: documents of its subtree."),
    page: int = Query(1, ge=1, le=selectors.MAX_PAGE),
) -> object:
    # Typed above for the OpenAPI document; the search page's form reads them as the page does.
    form = SearchForm(request.GET)
    if not form.is_valid():
        raise form_errors(form)
    data = form.cleaned_data
    results = selectors.library_search(
        actor=_actor(request),
        query=data["q"],
        filters=selectors.SearchFilters(
            kind=data["kind"],
            source=data["source"],
            year=data["year"],
            tag=data["tag"],
            unit_path=data["unit"].path if data["unit"] else "",
        ),
        page=page,
    )
    items = []
    for hit in results.hits:
        document = hit.document
        title, title_marks = unmark(hit.title_html)
        snippet, snippet_marks = unmark(hit.snippet_html)
        items.append(
            {
                "id": document.pk,
                "title": title,
                "title_highlights": _spans(title_marks),
                "snippet": snippet,
                "snippet_highlights": _spans(snippet_marks),
                "kind": document.kind,
                "kind_label": document.get_kind_display(),
                "source": document.source,
                "year": document.year,
                "published_on": document.published_on,
                "tags": document.tag_list,
                "times_cited": document.times_cited,
                "status": document.status,
                "hidden": document.hidden,
            }
        )
    return {
        "items": items,
        "page": results.page,
        "page_size": selectors.PAGE_SIZE,
        "has_next": results.has_next,
        "has_previous": results.page > 1,
    }


@router.get(
    "/library/documents/{document_id}",
    response=DocumentOut,
    summary="One document",
    description=(
        "404 for a document you may not see as for one that does not exist. `body` is the "
        "whole text for staff and its first part (`partial`) for everybody else."
    ),
    openapi_extra=PUBLIC,
)
def document_detail(request: HttpRequest, document_id: int) -> object:
    actor = _actor(request)
    found = selectors.document_get(actor, document_id)
    full = can(actor, "read_full", Document, found)
    limit = selectors.preview_chars()
    current: Any = None
    if full:
        current = selectors.versions_of(actor, found).filter(number=found.version).first()
    return {
        "id": found.pk,
        "title": found.title,
        "authors": found.authors,
        "source": found.source,
        "published_on": found.published_on,
        "year": found.year,
        "kind": found.kind,
        "kind_label": found.get_kind_display(),
        "tags": found.tag_list,
        "uploader_name": found.uploader_name,
        "visibility": found.visibility,
        "status": found.status,
        "status_label": found.get_status_display(),
        "hidden": found.hidden,
        "taken_down": found.taken_down,
        "is_stub": found.is_stub,
        "times_cited": found.times_cited,
        "views": found.views,
        "downloads": found.downloads,
        "version": found.version,
        "updated_at": found.updated_at,
        "full": full,
        "partial": not full and len(found.body) > limit,
        "body": found.body if full else found.body[:limit],
        "attachments": selectors.attachments_of(actor, found) if full else [],
        "current_version": current,
    }
