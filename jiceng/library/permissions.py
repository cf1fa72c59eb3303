"""Who sees and does what in the library.

- Everybody (no account): published public documents, partial view; may file a dispute.
- Staff: published public and staff-wide documents, unit-only documents of their unit's line
  (the unit, its subtree and the units above it), and every state of documents of their own
  subtree (to edit them); full text and downloads; upload, edit, cite; staff who may handle a
  case (see it, with the case-handling capability) make it cite documents.
- District administrators: everything, including hidden and taken-down documents; review
  submissions and decide disputes.
- Documents hidden by a dispute or taken down exist for nobody else (404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jiceng.cases.models import Case
from jiceng.core.actors import Actor
from jiceng.core.permissions import ModelPolicy, register, visible
from jiceng.library.models import (
    Attachment,
    CaseCitation,
    Dispute,
    Document,
    DocumentStatus,
    DocumentVersion,
    Visibility,
)
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability, Role


def is_library_admin(actor: Actor) -> bool:
    return actor.system or (actor.unit is not None and actor.role == Role.DISTRICT_ADMIN)


def is_staff(actor: Actor) -> bool:
    return actor.unit is not None and actor.membership is not None


def _ancestor_paths(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def document_scope_q(actor: Actor) -> Q | None:
    """The filter of documents `actor` may see; None means every document."""
    if is_library_admin(actor):
        return None
    live = Q(hidden=False, taken_down=False)
    published = Q(status=DocumentStatus.PUBLISHED)
    if not is_staff(actor):
        return live & published & Q(visibility=Visibility.PUBLIC)
    assert actor.unit is not None
    path = actor.unit.path
    own_subtree = Q(unit_path__startswith=path) & ~Q(unit_path="")
    line = own_subtree | Q(unit_path__in=_ancestor_paths(path))
    return live & (
        (published & (Q(visibility__in=[Visibility.PUBLIC, Visibility.STAFF]) | line)) | own_subtree
    )


def can_edit(actor: Actor, document: Document) -> bool:
    if document.taken_down or document.hidden:
        return is_library_admin(actor)
    if is_library_admin(actor):
        return True
    if not is_staff(actor) or actor.unit is None:
        return False
    if actor.user is not None and document.uploader_id == actor.user.pk:
        return True
    return bool(document.unit_path) and document.unit_path.startswith(actor.unit.path)


@register(Document)
class DocumentPolicy(ModelPolicy[Document]):
    def scope(self, actor: Actor, queryset: QuerySet[Document]) -> QuerySet[Document]:
        q = document_scope_q(actor)
        return queryset if q is None else queryset.filter(q)

    def can(self, actor: Actor, action: str, obj: Document | None = None) -> bool:
        if action in ("view", "dispute"):
            return True  # already in scope
        if action in ("read_full", "download", "cite", "upload"):
            return is_staff(actor) or actor.system
        if action in ("review", "moderate"):
            return is_library_admin(actor)
        if action == "edit":
            return obj is not None and can_edit(actor, obj)
        return False


@register(DocumentVersion)
class DocumentVersionPolicy(ModelPolicy[DocumentVersion]):
    def scope(self, actor: Actor, queryset: QuerySet[DocumentVersion]) -> QuerySet[DocumentVersion]:
        if is_library_admin(actor):
            return queryset
        if not is_staff(actor):
            return queryset.none()
        q = document_scope_q(actor)
        assert q is not None
        return queryset.filter(document__in=Document.objects.filter(q).values("pk"))

    def can(self, actor: Actor, action: str, obj: DocumentVersion | None = None) -> bool:
        if action == "view":
            return is_staff(actor) or is_library_admin(actor)
        if action == "review":
            return is_library_admin(actor)
        return False


@register(Attachment)
class AttachmentPolicy(ModelPolicy[Attachment]):
    def scope(self, actor: Actor, queryset: QuerySet[Attachment]) -> QuerySet[Attachment]:
        if not (is_staff(actor) or is_library_admin(actor)):
            return queryset.none()
        q = document_scope_q(actor)
        if q is None:
            return queryset
        return queryset.filter(document__in=Document.objects.filter(q).values("pk"))

    def can(self, actor: Actor, action: str, obj: Attachment | None = None) -> bool:
        return action == "download" and (is_staff(actor) or is_library_admin(actor))


@register(Dispute)
class DisputePolicy(ModelPolicy[Dispute]):
    def scope(self, actor: Actor, queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
        return queryset if is_library_admin(actor) else queryset.none()

    def can(self, actor: Actor, action: str, obj: Dispute | None = None) -> bool:
        if action == "file":
            return True
        return is_library_admin(actor)


@register(CaseCitation)
class CaseCitationPolicy(ModelPolicy[CaseCitation]):
    """Staff see the citations of documents they see; staff who may handle a case (see it and
    hold the case-handling capability) make it cite a document (docs/LIBRARY.md)."""

    def scope(self, actor: Actor, queryset: QuerySet[CaseCitation]) -> QuerySet[CaseCitation]:
        if not (is_staff(actor) or actor.system):
            return queryset.none()
        q = document_scope_q(actor)
        return queryset if q is None else queryset.filter(document__in=Document.objects.filter(q))

    def can(self, actor: Actor, action: str, obj: CaseCitation | None = None) -> bool:
        if actor.system:
            return True
        if not is_staff(actor):
            return False
        if action == "view":
            return True
        if action == "add":
            if not actor.has_capability(Capability.CASE_HANDLE):
                return False
            return obj is None or visible(actor, Case).filter(pk=obj.case_id).exists()
        return False
