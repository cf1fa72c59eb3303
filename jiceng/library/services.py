"""Every write on the library: submissions and edits (as versions), review, attachments,
the search index, citations, counters, copyright disputes and case citations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError
from jiceng.core.permissions import require
from jiceng.core.receipts import new_receipt_code, normalise_code, receipt_digest
from jiceng.library.extract import extract
from jiceng.library.models import (
    Attachment,
    CaseCitation,
    Citation,
    Dispute,
    DisputeAction,
    DisputeDecision,
    DisputeState,
    DisputeStatus,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    SearchEntry,
    VersionStatus,
    Visibility,
)
from jiceng.library.search import index_text

if TYPE_CHECKING:
    from jiceng.cases.models import Case

MAX_TITLE = 300
MAX_BODY = 500_000
MAX_TAGS = 10
MAX_REASON = 500


def max_attachment_bytes() -> int:
    return int(getattr(settings, "LIBRARY_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class DocumentFields:
    title: str
    body: str = ""
    authors: str = ""
    source: str = ""
    published_on: dt.date | None = None
    kind: str = DocumentKind.ARTICLE
    tags: Sequence[str] = ()
    visibility: str = Visibility.PUBLIC


@dataclass(frozen=True)
class UploadedAttachment:
    filename: str
    data: bytes


def tags_text(tags: Iterable[str]) -> str:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().replace("|", "")[:30]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    return "|" + "|".join(cleaned) + "|" if cleaned else ""


def _validate(fields: DocumentFields) -> None:
    if not fields.title.strip():
        raise DomainError(_("Give the document a title."), field="title")
    if len(fields.title) > MAX_TITLE:
        raise DomainError(
            _("The title may be at most %(n)d characters.") % {"n": MAX_TITLE}, field="title"
        )
    if len(fields.body) > MAX_BODY:
        raise DomainError(
            _("The text may be at most %(n)d characters.") % {"n": MAX_BODY}, field="body"
        )
    if fields.kind not in DocumentKind.values:
        raise DomainError(_("Choose a kind of document."), field="kind")
    if fields.visibility not in Visibility.values:
        raise DomainError(_("Choose who may read the document."), field="visibility")
    if len(list(fields.tags)) > MAX_TAGS:
        raise DomainError(_("At most %(n)d tags.") % {"n": MAX_TAGS}, field="tags")
    if fields.published_on and fields.published_on > clock.now().date():
        raise DomainError(_("The date cannot be in the future."), field="published_on")


def checked_attachments(uploads: Sequence[UploadedAttachment]) -> list[Attachment]:
    """Unsaved attachments with their text; refuses files that are not PDF, DOCX or text."""
    limit = max_attachment_bytes()
    checked = []
    for upload in uploads:
        if len(upload.data) > limit:
            raise DomainError(
                _("Each file may be at most %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
                field="attachments",
            )
        if not upload.data:
            raise DomainError(
                _("The file %(name)s is empty.") % {"name": upload.filename[:100]},
                field="attachments",
            )
        found = extract(upload.data)
        if found is None:
            raise DomainError(
                _("%(name)s is not a PDF, Word (DOCX) or plain text file.")
                % {"name": upload.filename[:100]},
                field="attachments",
            )
        checked.append(
            Attachment(
                filename=upload.filename[:200] or "attachment",
                kind=found.kind,
                size=len(upload.data),
                data=upload.data,
                text=found.text[:MAX_BODY],
                text_readable=found.readable,
            )
        )
    return checked


def _apply(document: Document, fields: DocumentFields) -> None:
    document.title = fields.title.strip()
    document.body = fields.body
    document.authors = fields.authors.strip()
    document.source = fields.source.strip()
    document.published_on = fields.published_on
    document.year = fields.published_on.year if fields.published_on else None
    document.kind = fields.kind
    document.tags = tags_text(fields.tags)
    document.visibility = fields.visibility


def _version(document: Document, number: int, actor: Actor, note: str = "") -> DocumentVersion:
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        title=document.title,
        authors=document.authors,
        source=document.source,
        published_on=document.published_on,
        kind=document.kind,
        tags=document.tags,
        visibility=document.visibility,
        body=document.body,
        note=note[:500],
        submitted_by=actor.user,
    )


def current_attachments(document: Document) -> QuerySet[Attachment]:
    """The attachments of the document as readers see it: for a published document not those
    of a version still waiting for review (or rejected)."""
    attachments = Attachment.objects.filter(document=document)
    if document.status == DocumentStatus.PUBLISHED:
        attachments = attachments.filter(
            Q(version__isnull=True) | Q(version__status=VersionStatus.APPROVED)
        )
    return attachments


def document_reindex(*, document: Document) -> None:
    """Rewrite the document's search entry from its title, body and attachment text."""
    texts = [document.body]
    texts.extend(
        current_attachments(document)
        .filter(text_readable=True)
        .exclude(text="")
        .values_list("text", flat=True)
    )
    indexed = index_text(document.title, "\n".join(texts))
    SearchEntry.objects.update_or_create(
        document=document,
        defaults={
            "title_words": indexed.title_words,
            "body_words": indexed.body_words,
            "part_words": indexed.part_words,
        },
    )


def document_submit(
    *,
    actor: Actor,
    fields: DocumentFields,
    attachments: Sequence[UploadedAttachment] = (),
    note: str = "",
) -> Document:
    """A staff member submits a new document; it waits for a district administrator's review."""
    require(actor, "upload", Document)
    _validate(fields)
    files = checked_attachments(attachments)
    with transaction.atomic():
        document = Document(
            unit=actor.unit,
            unit_path=actor.unit.path if actor.unit else "",
            uploader=actor.user,
            uploader_name=str(actor.user) if actor.user else "",
            status=DocumentStatus.PENDING,
        )
        _apply(document, fields)
        document.save()
        version = _version(document, 1, actor, note)
        for attachment in files:
            attachment.document = document
            attachment.version = version
            attachment.save()
        document_reindex(document=document)
        audit_log(
            actor=actor,
            action="library.document.submitted",
            target=document,
            data={"title": document.title, "attachments": [a.filename for a in files]},
        )
    return document


def document_edit(
    *,
    actor: Actor,
    document: Document,
    fields: DocumentFields,
    attachments: Sequence[UploadedAttachment] = (),
    note: str = "",
) -> DocumentVersion:
    """Submit a new version. A document not yet published changes at once (still awaiting
    review); a published one keeps its text until the new version is approved."""
    require(actor, "edit", Document, document)
    _validate(fields)
    files = checked_attachments(attachments)
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if DocumentVersion.objects.filter(document=locked, status=VersionStatus.PENDING).exists():
            if locked.status == DocumentStatus.PUBLISHED:
                raise Conflict(_("A version of this document is already waiting for review."))
            DocumentVersion.objects.filter(document=locked, status=VersionStatus.PENDING).update(
                status=VersionStatus.REJECTED, review_reason=_("Replaced by a newer version.")
            )
        number = DocumentVersion.objects.filter(document=locked).order_by("-number").first()
        next_number = (number.number if number else 0) + 1
        draft = Document(pk=locked.pk)
        _apply(draft, fields)
        version = DocumentVersion.objects.create(
            document=locked,
            number=next_number,
            title=draft.title,
            authors=draft.authors,
            source=draft.source,
            published_on=draft.published_on,
            kind=draft.kind,
            tags=draft.tags,
            visibility=draft.visibility,
            body=draft.body,
            note=note[:500],
            submitted_by=actor.user,
        )
        for attachment in files:
            attachment.document = locked
            attachment.version = version
            attachment.save()
        if locked.status != DocumentStatus.PUBLISHED:
            _apply(locked, fields)
            locked.status = DocumentStatus.PENDING
            locked.version = next_number
            locked.save()
            document_reindex(document=locked)
        audit_log(
            actor=actor,
            action="library.document.edited",
            target=locked,
            data={"version": next_number, "attachments": [a.filename for a in files]},
        )
    return version


def version_review(
    *, actor: Actor, version: DocumentVersion, approve: bool, reason: str = ""
) -> DocumentVersion:
    """A district administrator publishes a submitted version or sends it back with a reason."""
    require(actor, "review", DocumentVersion, version)
    if not approve and not reason.strip():
        raise DomainError(_("Say why the version is not published."), field="reason")
    with transaction.atomic():
        locked = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.PENDING:
            raise Conflict(_("This version has been reviewed already."))
        document = Document.objects.select_for_update().get(pk=locked.document_id)
        locked.status = VersionStatus.APPROVED if approve else VersionStatus.REJECTED
        locked.reviewed_by = actor.user
        locked.reviewed_at = clock.now()
        locked.review_reason = reason.strip()[:MAX_REASON]
        locked.save()
        if approve:
            document.title = locked.title
            document.authors = locked.authors
            document.source = locked.source
            document.published_on = locked.published_on
            document.year = locked.published_on.year if locked.published_on else None
            document.kind = locked.kind
            document.tags = locked.tags
            document.visibility = locked.visibility
            document.body = locked.body
            document.version = locked.number
            document.status = DocumentStatus.PUBLISHED
            document.save()
            document_reindex(document=document)
        elif document.status == DocumentStatus.PENDING:
            document.status = DocumentStatus.REJECTED
            document.save(update_fields=["status", "updated_at"])
        audit_log(
            actor=actor,
            action="library.version.approved" if approve else "library.version.rejected",
            target=document,
            data={"version": locked.number},
            reason=locked.review_reason,
        )
    return locked


# --- counters and citations -----------------------------------------------------------------
def document_count_view(*, document: Document) -> None:
    """One more reading (a counter, not an audited action)."""
    Document.objects.filter(pk=document.pk).update(views=F("views") + 1)


def document_count_download(*, document: Document) -> None:
    Document.objects.filter(pk=document.pk).update(downloads=F("downloads") + 1)


def _recount_cited(documents: Iterable[int]) -> None:
    ids = list(documents)
    counts = dict(
        Citation.objects.filter(cited_id__in=ids)
        .values("cited_id")
        .annotate(n=Count("id"))
        .values_list("cited_id", "n")
    )
    for document in Document.objects.filter(pk__in=ids).only("pk", "cited_seed"):
        Document.objects.filter(pk=document.pk).update(
            times_cited=document.cited_seed + counts.get(document.pk, 0)
        )


def citation_add(*, actor: Actor, citing: Document, cited: Document) -> Citation:
    """Record that one library document cites another (counted in "times cited")."""
    require(actor, "cite", Document, citing)
    if citing.pk == cited.pk:
        raise DomainError(_("A document cannot cite itself."), field="cited")
    with transaction.atomic():
        citation, created = Citation.objects.get_or_create(citing=citing, cited=cited)
        if not created:
            raise Conflict(_("This citation is recorded already."))
        _recount_cited([cited.pk])
        audit_log(
            actor=actor, action="library.citation.added", target=citing, data={"cited": cited.pk}
        )
    return citation


# --- copyright disputes ---------------------------------------------------------------------
def dispute_file(
    *,
    actor: Actor,
    document: Document,
    claimant: str,
    contact: str,
    evidence: str,
    requested_action: str,
) -> tuple[Dispute, str]:
    """A rights holder files a claim; administrators decide whether to hide the document.

    Returns the dispute and the claimant's receipt code: shown once, only its digest is stored."""
    if not claimant.strip():
        raise DomainError(_("Tell us who holds the rights."), field="claimant")
    if not contact.strip():
        raise DomainError(_("Tell us how to reach you."), field="contact")
    if len(evidence.strip()) < 10:
        raise DomainError(
            _("Describe the evidence of your rights (at least 10 characters)."), field="evidence"
        )
    if requested_action not in DisputeAction.values:
        raise DomainError(_("Choose what you ask us to do."), field="requested_action")
    code = new_receipt_code()
    with transaction.atomic():
        dispute = Dispute.objects.create(
            document=document,
            claimant=claimant.strip()[:100],
            contact=contact.strip()[:200],
            evidence=evidence.strip()[:5000],
            requested_action=requested_action,
            receipt_digest=receipt_digest(code),
        )
        # The claimant's contact details and receipt code stay out of the audit data.
        audit_log(
            actor=actor,
            action="library.dispute.filed",
            target=document,
            data={"dispute": dispute.pk, "requested_action": requested_action},
        )
    return dispute, code


@dataclass(frozen=True)
class DisputeReceipt:
    """All the claimant learns with their receipt code: no other dispute, no administrator."""

    document_title: str
    filed_at: dt.datetime
    state: DisputeState
    decision: str  # the decision's label, when decided
    reason: str  # the administrator's reason for the decision, when decided


def dispute_lookup(*, code: str) -> DisputeReceipt | None:
    """The claimant's view of the dispute with this receipt code, else None (unknown or wrong
    code alike; disputes filed before receipts existed have none). Callers rate-limit by address."""
    if not normalise_code(code or ""):
        return None
    found = (
        Dispute.objects.filter(receipt_digest=receipt_digest(code))
        .select_related("document")
        .only(
            "created_at",
            "status",
            "hidden_pending_review",
            "decision",
            "reason",
            "document__title",
        )
        .first()
    )
    if found is None:
        return None
    if found.status == DisputeStatus.DECIDED:
        state = DisputeState.DECIDED
    elif found.hidden_pending_review:
        state = DisputeState.HIDDEN
    else:
        state = DisputeState.OPEN
    decided = state == DisputeState.DECIDED
    return DisputeReceipt(
        document_title=found.document.title,
        filed_at=found.created_at,
        state=state,
        decision=str(found.get_decision_display()) if decided else "",
        reason=found.reason if decided else "",
    )


def dispute_hide(*, actor: Actor, dispute: Dispute, reason: str) -> Dispute:
    """Hide the document while the claim is reviewed."""
    require(actor, "decide", Dispute, dispute)
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    with transaction.atomic():
        locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if locked.status != DisputeStatus.OPEN:
            raise Conflict(_("This dispute has been decided already."))
        locked.hidden_pending_review = True
        locked.save(update_fields=["hidden_pending_review"])
        Document.objects.filter(pk=locked.document_id).update(hidden=True)
        audit_log(
            actor=actor,
            action="library.dispute.document_hidden",
            target=locked.document,
            data={"dispute": locked.pk},
            reason=reason.strip()[:MAX_REASON],
        )
    return locked


def dispute_decide(*, actor: Actor, dispute: Dispute, decision: str, reason: str) -> Dispute:
    """Decide a claim: take the document down for good, or keep it (authorised / rejected)."""
    require(actor, "decide", Dispute, dispute)
    if decision not in DisputeDecision.values:
        raise DomainError(_("Choose a decision."), field="decision")
    if not reason.strip():
        raise DomainError(_("Give the reason for the decision."), field="reason")
    with transaction.atomic():
        locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if locked.status != DisputeStatus.OPEN:
            raise Conflict(_("This dispute has been decided already."))
        locked.status = DisputeStatus.DECIDED
        locked.decision = decision
        locked.reason = reason.strip()[:2000]
        locked.decided_by = actor.user
        locked.decided_at = clock.now()
        locked.save()
        document = Document.objects.select_for_update().get(pk=locked.document_id)
        if decision == DisputeDecision.TAKEN_DOWN:
            document.taken_down = True
            document.hidden = True
        else:
            still_hidden = (
                Dispute.objects.filter(
                    document=document, status=DisputeStatus.OPEN, hidden_pending_review=True
                )
                .exclude(pk=locked.pk)
                .exists()
            )
            document.hidden = still_hidden or document.taken_down
        document.save(update_fields=["hidden", "taken_down", "updated_at"])
        audit_log(
            actor=actor,
            action="library.dispute.decided",
            target=document,
            data={"dispute": locked.pk, "decision": decision},
            reason=locked.reason,
        )
    return locked


# --- cases citing documents -----------------------------------------------------------------
def case_citation_add(
    *, actor: Actor, case: Case, document: Document, note: str = ""
) -> CaseCitation:
    """A case cites a library document; the actor must be staff who may handle the case."""
    require(actor, "add", CaseCitation, CaseCitation(case=case, document=document))
    with transaction.atomic():
        citation, created = CaseCitation.objects.get_or_create(
            case=case, document=document, defaults={"note": note[:300], "created_by": actor.user}
        )
        if not created:
            raise Conflict(_("This case cites the document already."))
        audit_log(
            actor=actor,
            action="library.case_citation.added",
            target=document,
            data={"case": getattr(case, "pk", None)},
        )
    return citation
