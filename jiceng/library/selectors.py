"""Reads of the library, always scoped to the actor.

`library_search` is the one search entry point: it asks SQLite's FTS5 table or PostgreSQL's
tsvector column, chosen by the database in use, and returns the same shape on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, can, visible
from jiceng.library.models import (
    Attachment,
    Dispute,
    DisputeStatus,
    Document,
    DocumentVersion,
    RelatedLink,
    VersionStatus,
)
from jiceng.library.search import (
    POSTGRES_WEIGHTS,
    SQLITE_WEIGHTS,
    ParsedQuery,
    fts5_match,
    highlight,
    key_words,
    parse_query,
    pg_candidates_sql,
    pg_tsquery,
)
from jiceng.library.services import current_attachments

PAGE_SIZE = 20
MAX_PAGE = 500
LIST_FIELDS = (
    "id",
    "title",
    "authors",
    "source",
    "published_on",
    "year",
    "kind",
    "tags",
    "body",
    "status",
    "visibility",
    "hidden",
    "taken_down",
    "is_stub",
    "times_cited",
    "views",
    "unit_path",
    "uploader_name",
)


def preview_chars() -> int:
    """How much of the body public visitors read (settings.LIBRARY_PREVIEW_CHARS)."""
    return int(getattr(settings, "LIBRARY_PREVIEW_CHARS", 600))


@dataclass(frozen=True)
class SearchFilters:
    kind: str = ""
    source: str = ""
    year: int | None = None
    tag: str = ""
    unit_path: str = ""


@dataclass
class SearchHit:
    document: Document
    title_html: str
    snippet_html: str


@dataclass
class SearchResults:
    hits: list[SearchHit]
    page: int
    has_next: bool


def documents_visible(actor: Actor) -> QuerySet[Document]:
    return visible(actor, Document)


def _filtered(queryset: QuerySet[Document], filters: SearchFilters) -> QuerySet[Document]:
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.year:
        queryset = queryset.filter(year=filters.year)
    if filters.tag:
        queryset = queryset.filter(tags__contains=f"|{filters.tag}|")
    if filters.unit_path:
        queryset = queryset.filter(unit_path__startswith=filters.unit_path)
    return queryset


def _matching(queryset: QuerySet[Document], parsed: ParsedQuery) -> QuerySet[Document]:
    """`queryset` restricted to documents matching `parsed`, ordered best first."""
    if connection.vendor == "postgresql":
        tsquery, params = pg_tsquery(parsed)
        rank = f"ts_rank_cd('{POSTGRES_WEIGHTS}'::float4[], library_searchentry.vector, {tsquery})"
        return queryset.extra(  # noqa: S610  (user text only in params)
            tables=["library_searchentry"],
            where=[
                "library_searchentry.document_id = library_document.id",
                f"library_searchentry.vector @@ {tsquery}",
            ],
            params=params,
            select={"rank": rank},
            select_params=params,
            order_by=["-rank", "-id"],
        )
    weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
    return queryset.extra(  # noqa: S610  (user text only in params)
        tables=["library_fts"],
        where=["library_fts.rowid = library_document.id", "library_fts MATCH %s"],
        params=[fts5_match(parsed)],
        select={"rank": f"bm25(library_fts, {weights})"},
        order_by=["rank", "-id"],
    )


CANDIDATES = 2000
FIRST_SLICE = 50  # candidates read at least in the first slice of a page


def _candidates(parsed: ParsedQuery, limit: int) -> list[tuple[int, float]]:
    """Up to `limit` matching document ids with their scores (higher is better), from the
    full-text index alone: no scope, no filters.

    A query matching more than `limit` documents is ranked among its `limit` newest matches
    (highest ids): finding them walks the index in id order, while ranking every match of a
    common word would cost time proportional to the whole library.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(*pg_candidates_sql(parsed, limit))
            return [(found[0], float(found[1])) for found in cursor.fetchall()]
        match = fts5_match(parsed)
        cursor.execute(
            "SELECT rowid FROM library_fts WHERE library_fts MATCH %s "
            "ORDER BY rowid DESC LIMIT 1 OFFSET %s",
            [match, limit - 1],
        )
        row = cursor.fetchone()
        window = "AND rowid >= %s" if row else ""
        weights = ", ".join(str(w) for w in SQLITE_WEIGHTS)
        cursor.execute(  # user text only in the parameters
            f"SELECT rowid, bm25(library_fts, {weights}) AS score FROM library_fts "  # noqa: S608
            f"WHERE library_fts MATCH %s {window} ORDER BY score, rowid DESC LIMIT %s",
            [match, *([row[0]] if row else []), limit],
        )
        return [(found[0], -float(found[1])) for found in cursor.fetchall()]


def _ranked_page(
    queryset: QuerySet[Document], parsed: ParsedQuery, start: int, count: int
) -> list[Document]:
    """Rows start..start+count of `queryset` matching `parsed`, best first.

    The index's candidates (all matches, or the newest CANDIDATES of a common query) are
    ranked, then read with the scope and filters best first, a slice at a time: the first
    slice (twice the rows the page needs, at least FIRST_SLICE) is usually enough, so one
    query reads a few dozen rows rather than checking every candidate. When the candidates
    hold too few visible rows for the page (a narrow filter on a common query), every match
    is ranked in one SQL statement.
    """
    candidates = _candidates(parsed, CANDIDATES)
    ranked = [pk for pk, _ in sorted(candidates, key=lambda found: (-found[1], -found[0]))]
    needed = start + count
    rows: list[Document] = []
    position, size = 0, max(2 * needed, FIRST_SLICE)
    while position < len(ranked) and len(rows) < needed:
        ids = ranked[position : position + size]
        by_id = queryset.in_bulk(ids)
        rows.extend(by_id[pk] for pk in ids if pk in by_id)
        position, size = position + size, size * 4
    if len(candidates) == CANDIDATES and len(rows) < needed:
        return list(_matching(queryset, parsed)[start : start + count])
    return rows[start:needed]


def library_search(
    *, actor: Actor, query: str, filters: SearchFilters | None = None, page: int = 1
) -> SearchResults:
    """Documents `actor` may see that match `query` (best first) or, without a query, the
    newest; with highlighted titles and snippets. Pages of PAGE_SIZE without a count."""
    filters = filters or SearchFilters()
    page = max(1, min(page, MAX_PAGE))
    parsed = parse_query(query)
    queryset = _filtered(documents_visible(actor), filters).only(*LIST_FIELDS)
    start = (page - 1) * PAGE_SIZE
    if parsed.empty:
        rows = list(queryset.order_by("-published_on", "-id")[start : start + PAGE_SIZE + 1])
    else:
        rows = _ranked_page(queryset, parsed, start, PAGE_SIZE + 1)
    words = parsed.highlight_words()
    # A snippet comes from what the actor may read: the public reads the first part only.
    limit = None if can(actor, "read_full", Document) else preview_chars()
    hits = [
        SearchHit(
            document=document,
            title_html=highlight(document.title, words),
            snippet_html=highlight(_plain(document.body[:limit]), words, length=120),
        )
        for document in rows[:PAGE_SIZE]
    ]
    return SearchResults(hits=hits, page=page, has_next=len(rows) > PAGE_SIZE)


def _plain(body: str) -> str:
    return " ".join(body.split())


def document_get(actor: Actor, pk: Any) -> Document:
    return access_object(actor, Document, pk=pk)


def related_documents(actor: Actor, document: Document, *, limit: int = 10) -> list[Document]:
    """Documents listed with it on import (其他文献) first, then the most similar by content."""
    visible_ids = documents_visible(actor).values("pk")
    linked = [
        link.related
        for link in RelatedLink.objects.filter(document=document, related__in=visible_ids)
        .select_related("related")
        .only("related__id", "related__title", "related__body", "related__is_stub")
        .order_by("position")[:limit]
    ]
    if len(linked) >= limit:
        return linked
    keys = key_words(document.title, document.body)
    if not keys:
        return linked
    parsed = parse_query(" ".join(keys), any_words=True)
    others = (
        documents_visible(actor)
        .exclude(pk=document.pk)
        .exclude(pk__in=[d.pk for d in linked])
        .only("id", "title", "source", "year", "is_stub")
    )
    similar = _ranked_page(others, parsed, 0, limit - len(linked))
    return linked + list(similar)


def attachments_of(actor: Actor, document: Document) -> list[Attachment]:
    current = current_attachments(document).values("pk")
    return list(
        visible(actor, Attachment)
        .filter(document=document, pk__in=current)
        .defer("data", "text")
        .order_by("pk")
    )


def attachment_get(actor: Actor, document: Document, pk: Any) -> Attachment:
    return access_object(
        actor,
        Attachment,
        action="download",
        queryset=current_attachments(document),
        pk=pk,
    )


def versions_of(actor: Actor, document: Document) -> QuerySet[DocumentVersion]:
    return (
        visible(actor, DocumentVersion)
        .filter(document=document)
        .select_related("submitted_by", "reviewed_by")
        .defer("body")
        .order_by("-number")
    )


def review_queue(actor: Actor) -> QuerySet[DocumentVersion]:
    return (
        visible(actor, DocumentVersion)
        .filter(status=VersionStatus.PENDING)
        .select_related("document", "submitted_by")
        .defer("body", "document__body")
        .order_by("submitted_at", "pk")
    )


def version_get(actor: Actor, pk: Any) -> DocumentVersion:
    return access_object(actor, DocumentVersion, pk=pk)


def disputes_open(actor: Actor) -> QuerySet[Dispute]:
    return (
        visible(actor, Dispute)
        .select_related("document")
        .defer("document__body")
        .order_by("status", "-created_at")
        .filter(status=DisputeStatus.OPEN)
    )


def disputes_all(actor: Actor) -> QuerySet[Dispute]:
    return visible(actor, Dispute).select_related("document").defer("document__body")


def dispute_get(actor: Actor, pk: Any) -> Dispute:
    return access_object(actor, Dispute, pk=pk)
