"""The experience library in the Django admin, read-only: documents and their versions are
submitted, reviewed, hidden and taken down through the services (with the search index, the
citations and the audit log kept in step), and disputes are decided there. Attachments' bytes
are not shown, and a claimant's contact is masked. The links between documents (related
excerpts, citations, cases citing a document) are counted on the documents and not registered."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiceng.core.admin import SystemAdminModelAdmin, admin_site, column
from jiceng.core.privacy import mask_phone
from jiceng.library.models import (
    Attachment,
    Dispute,
    Document,
    DocumentVersion,
)


def mask_contact(contact: str) -> str:
    """An e-mail address keeps its first character and its domain; anything else is masked
    as a phone number."""
    contact = contact.strip()
    local, at, domain = contact.partition("@")
    if at:
        return f"{local[:1]}***@{domain}"
    return mask_phone(contact)


@admin.register(Document, site=admin_site)
class DocumentAdmin(SystemAdminModelAdmin):
    list_display = (
        "title",
        "kind",
        "year",
        "unit",
        "uploader",
        "visibility",
        "status",
        "hidden",
        "taken_down",
        "version",
        "times_cited",
        "updated_at",
    )
    list_filter = ("status", "kind", "visibility", "hidden", "taken_down", "is_stub")
    search_fields = ("title", "authors", "source", "tags", "import_key")
    list_select_related = ("unit", "uploader")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")


@admin.register(DocumentVersion, site=admin_site)
class DocumentVersionAdmin(SystemAdminModelAdmin):
    list_display = (
        "title",
        "number",
        "document",
        "status",
        column("submitted_by", _("submitted by")),
        "submitted_at",
        column("reviewed_by", _("reviewed by")),
        "reviewed_at",
    )
    list_filter = ("status", "kind", "visibility")
    search_fields = ("title", "document__title")
    list_select_related = ("document", "submitted_by", "reviewed_by")
    date_hierarchy = "submitted_at"
    ordering = ("-submitted_at", "-pk")


@admin.register(Attachment, site=admin_site)
class AttachmentAdmin(SystemAdminModelAdmin):
    list_display = (
        "filename",
        "document",
        column("version", _("version")),
        "kind",
        "size",
        "text_readable",
    )
    list_filter = ("kind", "text_readable")
    search_fields = ("filename", "document__title")
    list_select_related = ("document", "version")
    ordering = ("-created_at", "-pk")
    exclude = ("data", "text")


@admin.register(Dispute, site=admin_site)
class DisputeAdmin(SystemAdminModelAdmin):
    list_display = (
        "created_at",
        "document",
        "claimant",
        "masked_contact",
        "requested_action",
        "status",
        "hidden_pending_review",
        "decision",
        "decided_at",
    )
    list_filter = ("status", "requested_action", "decision")
    search_fields = ("claimant", "document__title")
    list_select_related = ("document",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    exclude = ("contact",)
    readonly_fields = ("masked_contact",)

    @admin.display(description=_("contact (masked)"))
    def masked_contact(self, obj: Dispute) -> str:
        return mask_contact(obj.contact)
