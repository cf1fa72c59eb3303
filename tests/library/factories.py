"""Library documents built through the services (or, for published corpora, the importer)."""

from __future__ import annotations

from jiceng.core.actors import SYSTEM, Actor
from jiceng.library.importer import ParsedDocument, import_documents
from jiceng.library.models import Document, Visibility
from jiceng.library.services import DocumentFields, document_submit, version_review


def published(
    title: str,
    body: str,
    *,
    source: str = "测试来源",
    kind: str = "article",
    tags: list[str] | None = None,
) -> Document:
    """A published public document, as an import makes it."""
    import_documents(
        [ParsedDocument(title=title, body=body, source=source, kind=kind, tags=tags or [])]
    )
    return Document.objects.get(title=title, source=source)


def submitted(actor: Actor, title: str, body: str = "正文内容", **fields: object) -> Document:
    return document_submit(
        actor=actor,
        fields=DocumentFields(title=title, body=body, **fields),  # type: ignore[arg-type]
    )


def approve(document: Document) -> Document:
    version = document.versions.get(status="pending")
    version_review(actor=SYSTEM, version=version, approve=True)
    document.refresh_from_db()
    return document


VISIBILITIES = Visibility
