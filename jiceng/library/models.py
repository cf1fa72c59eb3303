"""The experience library (经验文库): documents, their versions, attachments, citations,
the search index, copyright disputes and the cases that cite documents. See docs/LIBRARY.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiceng.orgs.models import OrgUnit


class DocumentKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    EXPERIENCE = "experience", _("Experience report")
    POLICY = "policy", _("Policy document")
    TYPICAL_CASE = "typical_case", _("Typical case")
    TRAINING = "training", _("Training material")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    STAFF = "staff", _("All staff")
    UNIT = "unit", _("Own unit (and units above and below it)")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class Document(models.Model):
    """A document as published (or, before its first approval, as submitted).

    Edits of a published document wait as a pending `DocumentVersion` and replace these fields
    only when a district administrator approves them, so readers never see unreviewed text.
    """

    title = models.CharField(_("title"), max_length=300)
    authors = models.CharField(_("authors"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    published_on = models.DateField(_("date"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=DocumentKind.choices, default=DocumentKind.ARTICLE
    )
    # Tags as "|tag|tag|": a tag filter is one `contains` on both databases.
    tags = models.CharField(_("tags"), max_length=500, blank=True)
    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="library_documents",
    )
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True, db_index=True)
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploader_name = models.CharField(_("uploaded by"), max_length=100, blank=True)
    body = models.TextField(_("body"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    # Hidden while a copyright dispute is reviewed, or taken down for good by its decision.
    hidden = models.BooleanField(_("hidden"), default=False)
    taken_down = models.BooleanField(_("taken down"), default=False)
    is_stub = models.BooleanField(_("excerpt only"), default=False)
    cited_seed = models.PositiveIntegerField(_("times cited before import"), default=0)
    times_cited = models.PositiveIntegerField(_("times cited"), default=0)
    views = models.PositiveIntegerField(_("views"), default=0)
    downloads = models.PositiveIntegerField(_("downloads"), default=0)
    import_key = models.CharField(
        _("import key"), max_length=64, null=True, blank=True, unique=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("library document")
        verbose_name_plural = _("library documents")
        indexes = [
            models.Index(fields=["status", "visibility", "hidden"], name="library_doc_scope_idx"),
            models.Index(fields=["kind", "year"], name="library_doc_kind_year_idx"),
            models.Index(fields=["-published_on", "-id"], name="library_doc_newest_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split("|") if tag]


class VersionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class DocumentVersion(models.Model):
    """Every submitted state of a document, kept after review (approved or rejected)."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=300)
    authors = models.CharField(_("authors"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    published_on = models.DateField(_("date"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    tags = models.CharField(_("tags"), max_length=500, blank=True)
    visibility = models.CharField(_("visibility"), max_length=8, choices=Visibility.choices)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.PENDING
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="library_version_unique")
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="library_ver_queue_idx")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"


class AttachmentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "DOCX"
    TXT = "txt", _("Plain text")


class Attachment(models.Model):
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="attachments"
    )
    version = models.ForeignKey(
        DocumentVersion,
        verbose_name=_("version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filename = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("file type"), max_length=4, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("size"))
    data = models.BinaryField(_("file content"))
    text = models.TextField(_("extracted text"), blank=True)
    text_readable = models.BooleanField(_("text could be extracted"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class SearchEntry(models.Model):
    """The segmented text of a document, one row per document, space-joined jieba words.

    `title_words` and `body_words` hold the words in reading order (phrases match there);
    `part_words` the shorter parts of long words (基层党组织 → 基层 党组织), so a part finds the
    whole. SQLite indexes these columns in the FTS5 table `library_fts` (kept in step by
    triggers); PostgreSQL in the generated tsvector column `vector` with a GIN index. Both are
    created by migration 0002 for the database in use.
    """

    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_entry",
    )
    title_words = models.TextField(_("title words"), blank=True)
    body_words = models.TextField(_("body words"), blank=True)
    part_words = models.TextField(_("word parts"), blank=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return f"search entry {self.document_id}"


class RelatedSource(models.TextChoices):
    IMPORT = "import", _("Listed with the imported page")
    STAFF = "staff", _("Linked by staff")


class RelatedLink(models.Model):
    """A related document named by an import (其他文献) or by staff; computed similarity is not
    stored (it is asked of the search index when a page is read)."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="related_links"
    )
    related = models.ForeignKey(
        Document, verbose_name=_("related document"), on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(_("source"), max_length=8, choices=RelatedSource.choices)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("related link")
        verbose_name_plural = _("related links")
        constraints = [
            models.UniqueConstraint(fields=["document", "related"], name="library_related_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → {self.related_id}"


class Citation(models.Model):
    """One library document citing another; `times_cited` counts these plus the imported seed."""

    citing = models.ForeignKey(
        Document,
        verbose_name=_("citing document"),
        on_delete=models.CASCADE,
        related_name="citations",
    )
    cited = models.ForeignKey(
        Document,
        verbose_name=_("cited document"),
        on_delete=models.CASCADE,
        related_name="cited_by",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        constraints = [
            models.UniqueConstraint(fields=["citing", "cited"], name="library_citation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.citing_id} cites {self.cited_id}"


class DisputeAction(models.TextChoices):
    AUTHORISE = "authorise", _("Authorise its use (with attribution)")
    TAKE_DOWN = "take_down", _("Take it down")


class DisputeStatus(models.TextChoices):
    # With a context: "Open" and "Decided" mean other things on other pages.
    OPEN = "open", pgettext_lazy("copyright dispute", "Open")
    DECIDED = "decided", pgettext_lazy("copyright dispute", "Decided")


class DisputeState(models.TextChoices):
    """What the claimant is told of their dispute's progress."""

    # Own wording: the bare "Open" and "Decided" are translated for other pages' meanings.
    OPEN = "open", _("Received, awaiting review")
    HIDDEN = "hidden", _("Document hidden while the claim is reviewed")
    DECIDED = "decided", _("Decision made")


class DisputeDecision(models.TextChoices):
    AUTHORISED = "authorised", _("Use authorised: the document stays")
    TAKEN_DOWN = "taken_down", _("Taken down")
    REJECTED = "rejected", _("Claim rejected: the document stays")


class Dispute(models.Model):
    """A rights holder's copyright claim on a document (版权争议)."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="disputes"
    )
    claimant = models.CharField(_("claimant"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200)
    evidence = models.TextField(_("evidence"))
    requested_action = models.CharField(
        _("requested action"), max_length=10, choices=DisputeAction.choices
    )
    status = models.CharField(
        _("status"), max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    hidden_pending_review = models.BooleanField(_("hidden pending review"), default=False)
    decision = models.CharField(
        _("decision"), max_length=10, choices=DisputeDecision.choices, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    # SHA-256 of the claimant's receipt code (the code is shown to them once, never stored).
    # Empty on disputes filed before receipts existed: no code finds them.
    receipt_digest = models.CharField(
        _("receipt code hash"), max_length=64, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("copyright dispute")
        verbose_name_plural = _("copyright disputes")
        indexes = [models.Index(fields=["status", "created_at"], name="library_dispute_queue_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["receipt_digest"],
                condition=~models.Q(receipt_digest=""),
                name="library_dispute_receipt_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.claimant}: {self.document_id}"


class CaseCitation(models.Model):
    """A case that cites a library document (a typical case written up from a solved case)."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="library_citations",
    )
    document = models.ForeignKey(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="case_citations",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case citation")
        verbose_name_plural = _("case citations")
        constraints = [
            models.UniqueConstraint(fields=["case", "document"], name="library_case_cite_unique")
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} cites {self.document_id}"
