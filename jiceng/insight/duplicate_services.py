"""Duplicates: the index rows of a case, residents' "me too", and the reads for both sides.

Residents see, while typing, up to three open requests of their street that are probably the
same problem (their title, category, status and date: nothing about who filed them) and may
back one instead of filing again. Staff see the probable duplicates of a case with a merge
button (cases.services.case_merge). A nightly job removes the index rows of cases that are
closed, rejected or merged, which no lookup reads (`duplicate_index_prune`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connections, models, transaction
from django.utils.translation import gettext as _

from jiceng.cases.models import FINAL_STATUSES, OPEN_STATUSES, Case
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, Actor
from jiceng.core.audit import audit_log
from jiceng.core.db.prepared_insert import PreparedInsert
from jiceng.core.errors import Conflict, DomainError, Forbidden, NotFound
from jiceng.core.permissions import visible
from jiceng.core.privacy import keyed_hash
from jiceng.insight import duplicates
from jiceng.insight.hot_support import support_counts, support_expression
from jiceng.insight.models_routing import CaseSupport, DuplicateSignature, DuplicateTerm
from jiceng.insight.routing import street_path
from jiceng.orgs import lookups
from jiceng.orgs.models import OrgUnit

PRUNE_BATCH = 5000  # index rows removed per transaction (setting DUPLICATES_PRUNE_BATCH)
SUPPORT_SALT = "insight.support"
SUPPORT_TOKEN_SECONDS = 24 * 3600


def street_id_of(area_path: str) -> int | None:
    street = lookups.unit_at_path(street_path(area_path))
    return street.pk if street is not None else None


@dataclass
class Postings:
    """A new case's index words. Dozens of rows per case, so they are inserted as plain values
    (`insert_postings`), never as model objects: intake stores them under the write lock."""

    case: Case
    street_id: int
    day: int
    terms: tuple[int, ...]


def index_rows(case: Case) -> list[models.Model | Postings]:
    """A new case's signature and postings (stored with the case by intake)."""
    street_id = street_id_of(case.area_path)
    if street_id is None:
        return []
    terms = duplicates.text_terms(case.title, case.description)
    day = duplicates.day_number(case.submitted_at)
    return [
        DuplicateSignature(case=case, street_id=street_id, day=day, terms=terms.signature_text),
        Postings(case=case, street_id=street_id, day=day, terms=terms.postings),
    ]


class PreparedRows:
    """Rows of other apps stored with new cases, adapted for the database ahead of intake's
    transaction (core.db.prepared_insert); each row's case gets its id first."""

    def __init__(self, rows: Sequence[models.Model | Postings]) -> None:
        by_model: dict[type[models.Model], list[models.Model]] = {}
        self.postings: list[Postings] = []
        for row in rows:
            if isinstance(row, Postings):
                self.postings.append(row)
            else:
                by_model.setdefault(type(row), []).append(row)
        self.inserts = [PreparedInsert(objs) for objs in by_model.values()]

    @classmethod
    def combine(cls, parts: Sequence[PreparedRows]) -> PreparedRows:
        combined = cls([])
        by_model: dict[Any, list[PreparedInsert[models.Model]]] = {}
        for part in parts:
            combined.postings += part.postings
            for insert in part.inserts:
                by_model.setdefault(insert.model, []).append(insert)
        combined.inserts = [PreparedInsert.combine(inserts) for inserts in by_model.values()]
        return combined

    def execute(self) -> None:
        for insert in self.inserts:
            insert.set("case_id", [obj.case.pk for obj in insert.objs])  # type: ignore[attr-defined]
            insert.execute()
        insert_postings(self.postings)


def insert_postings(postings: Sequence[Postings]) -> None:
    rows = [
        (posting.street_id, term, posting.day, posting.case.pk)
        for posting in postings
        for term in posting.terms
    ]
    if not rows:
        return
    connection = connections[DuplicateTerm.objects.db]
    quote = connection.ops.quote_name
    meta = DuplicateTerm._meta
    column_of = {field.name: field.column or field.name for field in meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in POSTING_FIELDS)
    with connection.cursor() as cursor:
        # Quoted names from the model; every value is a parameter.
        cursor.executemany(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s)",  # noqa: S608
            rows,
        )


POSTING_FIELDS = ("street_id", "term", "day", "case")


def reindex(cases: models.QuerySet[Case], *, batch: int = 2000) -> int:
    """(Re)build the duplicate index of existing cases (after an import or an upgrade)."""
    done = 0
    ids = list(cases.values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = list(
            Case.objects.filter(pk__in=ids[start : start + batch]).only(
                "pk", "title", "description", "area_path", "submitted_at"
            )
        )
        rows = PreparedRows([row for case in chunk for row in index_rows(case)])
        with transaction.atomic():
            DuplicateTerm.objects.filter(case__in=chunk).delete()
            DuplicateSignature.objects.filter(case__in=chunk).delete()
            rows.execute()
        done += len(chunk)
    return done


# --- index care -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PruneReport:
    cases: int  # closed, rejected or merged cases whose rows were (or would be) removed
    postings: int
    signatures: int
    batches: int  # transactions (with dry_run: batches counted)
    largest_batch: int  # most rows removed in one transaction
    dry_run: bool


def prune_batch_size() -> int:
    """Rows removed per transaction: at least one case's worth, PRUNE_BATCH by default."""
    configured = int(getattr(settings, "DUPLICATES_PRUNE_BATCH", PRUNE_BATCH))
    return max(configured, duplicates.INDEX_TERMS + 1)


def duplicate_index_prune(*, actor: Actor, dry_run: bool = False) -> PruneReport:
    """Remove the signature and postings of closed, rejected and merged cases.

    Every lookup (`duplicates.find_similar`) keeps only open cases, and these statuses are
    final, so their rows are never read again: they only grow the table and take candidate
    places from open cases. Rows of open cases stay whatever their age (the staff panel of an
    old case reads from its own submission day), and so do those of resolved cases, which the
    resident may reopen: a reopened case is found again at once, with nothing to rebuild.

    Cases are taken in order of id (the signature's primary key), a batch at a time, each batch
    deleted in its own short transaction of at most `prune_batch_size()` rows, so that a run
    never holds the write lock for long. Running it again removes nothing new.
    """
    if not actor.system:
        raise Forbidden(_("Only the system prunes the duplicate index."))
    batch_rows = prune_batch_size()
    cases_per_batch = batch_rows // (duplicates.INDEX_TERMS + 1)
    cases = postings = signatures = batches = largest = 0
    last = 0
    while True:
        # Read outside the transaction: a final status never changes back, so the ids stay
        # right until they are deleted, and the write lock is held for the deletes alone.
        ids = list(
            DuplicateSignature.objects.filter(case_id__gt=last, case__status__in=FINAL_STATUSES)
            .order_by("case_id")
            .values_list("case_id", flat=True)[:cases_per_batch]
        )
        if not ids:
            break
        last = ids[-1]
        if dry_run:
            terms = DuplicateTerm.objects.filter(case_id__in=ids).count()
            signed = len(ids)
        else:
            with transaction.atomic():
                terms, _counts = DuplicateTerm.objects.filter(case_id__in=ids).delete()
                signed, _counts = DuplicateSignature.objects.filter(case_id__in=ids).delete()
        cases += len(ids)
        postings += terms
        signatures += signed
        batches += 1
        largest = max(largest, terms + signed)
    return PruneReport(cases, postings, signatures, batches, largest, dry_run)


# --- residents --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    """What a resident may see of someone else's open request."""

    token: str
    title: str
    category: str
    status: str
    area: str
    submitted_at: datetime
    supporters: int
    score: float


def support_token(case_id: int) -> str:
    return signing.dumps(case_id, salt=SUPPORT_SALT)


def suggestions(*, area: OrgUnit, title: str, description: str) -> list[Suggestion]:
    """Up to three open requests of the area's street that are probably the same problem."""
    street_id = street_id_of(area.path)
    if street_id is None or len((title + description).strip()) < 4:
        return []
    found = duplicates.find_similar(
        street_id=street_id, title=title, description=description, now=clock.now()
    )
    if not found:
        return []
    ids = [candidate.case_id for candidate in found]
    cases = {
        case.pk: case
        for case in Case.objects.filter(pk__in=ids)
        .select_related("category", "area")
        .only(
            "pk",
            "title",
            "status",
            "submitted_at",
            "category__name",
            "category__name_en",
            "area__name",
        )
        .annotate(supporters=support_expression())
    }
    return [
        Suggestion(
            token=support_token(candidate.case_id),
            title=case.title,
            category=case.category.display_name,
            status=case.get_status_display(),
            area=case.area.name,
            submitted_at=case.submitted_at,
            supporters=case.supporters,
            score=candidate.score,
        )
        for candidate in found
        if (case := cases.get(candidate.case_id)) is not None
    ]


def resident_hash(identity: str) -> str:
    return keyed_hash("insight", "support", identity)


@transaction.atomic
def case_support_add(*, token: str, identity: str) -> Case:
    """ "Me too": once per resident (device and address) per case, only for open cases."""
    try:
        case_id = signing.loads(token, salt=SUPPORT_SALT, max_age=SUPPORT_TOKEN_SECONDS)
    except (signing.BadSignature, TypeError, ValueError):
        raise NotFound(_("This request cannot be supported any more. Reload the page.")) from None
    case = Case.objects.filter(pk=case_id).only("pk", "status", "tracking_code").first()
    if case is None:
        raise NotFound()
    if case.status not in OPEN_STATUSES:
        raise DomainError(
            _("This request is no longer open: file your own if the problem remains.")
        )
    try:
        with transaction.atomic():
            support = CaseSupport.objects.create(
                case=case, resident_hash=resident_hash(identity), created_at=clock.now()
            )
    except IntegrityError:
        raise Conflict(_("You have already said this concerns you too.")) from None
    audit_log(
        actor=ANONYMOUS,
        action="insight.case.supported",
        target=case,
        data={"support": support.pk},
    )
    return case


# --- staff ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PossibleDuplicate:
    case: Case
    score: float


def possible_duplicates(actor: Actor, case: Case) -> list[PossibleDuplicate]:
    """Open cases the actor may see that are probably the same problem as `case`."""
    street_id = street_id_of(case.area_path)
    if street_id is None:
        return []
    found = duplicates.find_similar(
        street_id=street_id,
        title=case.title,
        description=case.description,
        now=case.submitted_at if not case_is_recent(case) else clock.now(),
        exclude=case.pk,
        limit=5,
    )
    if not found:
        return []
    shown = {
        other.pk: other
        for other in visible(actor, Case)
        .filter(pk__in=[candidate.case_id for candidate in found])
        .select_related("area", "current_unit")
        .only("pk", "tracking_code", "title", "status", "submitted_at", "area", "current_unit")
    }
    return [
        PossibleDuplicate(shown[candidate.case_id], candidate.score)
        for candidate in found
        if candidate.case_id in shown
    ]


def case_is_recent(case: Case) -> bool:
    return (clock.now() - case.submitted_at).days <= duplicates.WINDOW_DAYS


def support_count(actor: Actor, case: Case) -> int:
    """The support of `case` (`hot_support`) when the actor may see it, else 0."""
    return support_counts([case.pk], cases=visible(actor, Case)).get(case.pk, 0)
