"""Writes of hot issues: place new cases into issues (the background job), rebuild a month, and
adopt an issue as a street's issue of the month (每月一题).

Placing is incremental: `hot_issues_assign` takes the cases after the cursor that have no issue
yet, in id order, a batch at a time, in one transaction with the cursor row locked (so two runs
never place the same case, and a second run finds nothing to do). For each batch it loads only
the issues that share a key term with a case of the batch in the same street and month
(`HotIssueTerm`), runs the pure clusterer (`jiceng.insight.hot_issues`), writes new and changed
issues, their key terms, the memberships and the document frequencies, then recounts the issues
it touched. Derived data: these writes are not audited one by one; a rebuild and an adoption are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.cases.models import Case
from jiceng.conduct.models import RectificationItem
from jiceng.conduct.rectification_services import rectification_open
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.privacy import keyed_hash
from jiceng.insight import hot_issues as hot
from jiceng.insight.hot_support import support_counts
from jiceng.insight.models_hot import (
    HotIssue,
    HotIssueCase,
    HotIssueCursor,
    HotIssueTerm,
    HotTermStat,
    IssueOfMonth,
)
from jiceng.insight.routing import community_path, street_path
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Capability, UnitKind

CURSOR = "hot_issues"
BATCH = 1000
CHUNK = 500  # ids or terms per IN (...) list
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.get_fixed_timezone(480))
STREET_KINDS = (UnitKind.STREET, UnitKind.TOWNSHIP)
ADOPT_DAYS = 30  # an adopted issue's rectification is due this many days after adoption


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def resident_key(case_id: int, phone: str, email: str, anonymous: bool) -> str:
    """Who reported, as a keyed hash of the contact given: the same phone is the same resident.
    Anonymous reports and reports without a contact count as one resident each."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    contact = digits or email.strip().lower()
    if anonymous or not contact:
        return f"case:{case_id}"
    return keyed_hash("insight", "resident", contact)


def rank_of(*, residents: int, support: int, communities: int, last_seen: datetime | None) -> float:
    """The stored ranking key: ln(heat at the epoch), so order does not change with time."""
    params = hot.DEFAULT_HEAT
    value = hot.heat(
        residents=residents, support=support, days_since_last=0, communities=communities
    )
    if value <= 0 or last_seen is None:
        return -1e9
    days = (last_seen - EPOCH).total_seconds() / 86400
    return math.log(value) + math.log(2) * days / params.half_life_days


@dataclass(frozen=True)
class _Row:
    id: int
    title: str
    counts: dict[str, int]
    street: int
    month: date
    area_path: str
    submitted_at: datetime
    resident: str


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows(cases: Sequence[dict[str, Any]]) -> list[_Row]:
    paths = {street_path(c["area_path"]) for c in cases}
    streets = dict(OrgUnit.objects.filter(path__in=paths).values_list("path", "pk"))
    rows = []
    for c in cases:
        street = streets.get(street_path(c["area_path"]))
        if street is None:
            continue
        rows.append(
            _Row(
                id=c["id"],
                title=c["title"],
                counts=dict(hot.terms(c["title"], c["description"])),
                street=street,
                month=month_of(c["submitted_at"]),
                area_path=c["area_path"],
                submitted_at=c["submitted_at"],
                resident=resident_key(
                    c["id"], c["reporter_phone"], c["reporter_email"], c["is_anonymous"]
                ),
            )
        )
    return rows


def _document_frequency(
    rows: Sequence[_Row], cursor: HotIssueCursor
) -> tuple[hot.DocumentFrequency, dict[int, hot.DocumentFrequency]]:
    """The stored frequencies of the batch's words: over all cases, and by street (scope =
    the street's id; the row with the empty term holds the street's number of cases)."""
    words = sorted({w for r in rows for w in r.counts})
    counts: dict[str, int] = {}
    for part in _chunks(words):
        counts.update(
            HotTermStat.objects.filter(scope=0, term__in=part).values_list("term", "documents")
        )
    local: dict[int, hot.DocumentFrequency] = {}
    by_street: dict[int, set[str]] = defaultdict(set)
    for r in rows:
        by_street[r.street].update(r.counts)
    for street, street_words in by_street.items():
        found: dict[str, int] = {}
        for part in _chunks(["", *sorted(street_words)]):
            found.update(
                HotTermStat.objects.filter(scope=street, term__in=part).values_list(
                    "term", "documents"
                )
            )
        total = found.pop("", 0)
        local[street] = hot.DocumentFrequency(found, total)
    return hot.DocumentFrequency(counts, int(cursor.documents)), local


def _candidates(rows: Sequence[_Row]) -> list[HotIssue]:
    wanted: dict[tuple[int, date], set[str]] = defaultdict(set)
    for r in rows:
        wanted[(r.street, r.month)].update(r.counts)
    ids: set[int] = set()
    for (street, month), words in wanted.items():
        for part in _chunks(sorted(words)):
            ids.update(
                HotIssueTerm.objects.filter(unit_id_copy=street, month=month, term__in=part)
                .values_list("issue_id", flat=True)
                .distinct()
            )
    found: list[HotIssue] = []
    for part in _chunks(sorted(ids)):
        found.extend(HotIssue.objects.filter(pk__in=part))
    return found


def _as_issue(row: HotIssue) -> hot.Issue:
    return hot.Issue(
        id=row.pk,
        partition=(row.unit_id, row.month),
        centroid=dict(row.centroid),
        size=row.case_count,
        title=row.title,
        title_score=row.title_score,
        key_terms=tuple(row.key_terms),
    )


def _place(rows: Sequence[_Row], cursor: HotIssueCursor, *, count_terms: set[int]) -> set[int]:
    """Place `rows`; write issues, terms, memberships and frequencies. Returns the issue ids
    touched. `count_terms`: the ids of rows to add to the stored document frequencies."""
    if not rows:
        return set()
    df, local = _document_frequency(rows, cursor)
    stored: dict[tuple[int, str], int] = {(0, w): n for w, n in df.counts.items()}
    for street, frequencies in local.items():
        stored[(street, "")] = frequencies.total
        stored.update({(street, w): n for w, n in frequencies.counts.items()})
    clusterer = hot.Clusterer(df, local=dict(local))
    loaded = {issue.pk: issue for issue in _candidates(rows)}
    for row in loaded.values():
        clusterer.load(_as_issue(row))
    placed: list[tuple[_Row, hot.Issue]] = []
    for r in rows:
        result = clusterer.place(
            partition=(r.street, r.month), counts=r.counts, title=r.title, area=r.street
        )
        placed.append((r, result.issue))
    # Issues whose key terms differ from the stored ones once the whole batch is placed.
    changed_terms: dict[Any, tuple[str, ...]] = {
        i.id: i.key_terms
        for i in {id(i): i for _, i in placed}.values()
        if i.id not in loaded or tuple(loaded[i.id].key_terms) != i.key_terms
    }
    # New issues first, to have their ids.
    new = {i.id: i for _, i in placed if isinstance(i.id, tuple)}
    created: dict[Any, HotIssue] = {}
    paths = dict(
        OrgUnit.objects.filter(pk__in={i.partition[0] for i in new.values()}).values_list(
            "pk", "path"
        )
    )
    objs = [
        HotIssue(
            unit_id=i.partition[0],
            unit_path=paths[i.partition[0]],
            month=i.partition[1],
            title=i.title[:200],
            title_score=i.title_score,
            key_terms=list(i.key_terms),
            centroid=_rounded(i.centroid),
        )
        for i in new.values()
    ]
    made = HotIssue.objects.bulk_create(objs)
    for key, obj in zip(new, made, strict=True):
        created[key] = obj
    pk_of = {key: obj.pk for key, obj in created.items()}
    touched_existing = [
        loaded[i.id] for i in {id(i): i for _, i in placed}.values() if i.id in loaded
    ]
    for existing in touched_existing:
        group = clusterer.issues[existing.pk]
        existing.title = group.title[:200]
        existing.title_score = group.title_score
        existing.key_terms = list(group.key_terms)
        existing.centroid = _rounded(group.centroid)
    HotIssue.objects.bulk_update(
        touched_existing, ["title", "title_score", "key_terms", "centroid"], batch_size=CHUNK
    )
    # Key terms of changed issues.
    changed_pks = [pk_of.get(key, key) for key in changed_terms]
    for part in _chunks(changed_pks):
        HotIssueTerm.objects.filter(issue_id__in=part).delete()
    terms = []
    for key, words in changed_terms.items():
        group = clusterer.issues[key]
        for word in words:
            terms.append(
                HotIssueTerm(
                    issue_id=pk_of.get(key, key),
                    unit_id_copy=group.partition[0],
                    month=group.partition[1],
                    term=word[:40],
                )
            )
    HotIssueTerm.objects.bulk_create(terms, batch_size=CHUNK)
    HotIssueCase.objects.bulk_create(
        [
            HotIssueCase(
                issue_id=pk_of.get(i.id, i.id),
                case_id=r.id,
                resident_key=r.resident,
                community_path=community_path(r.area_path),
                submitted_at=r.submitted_at,
                day=timezone.localtime(r.submitted_at).date(),
            )
            for r, i in placed
        ],
        batch_size=CHUNK,
    )
    # Document frequencies of the newly counted cases, over all and by street.
    increments: dict[tuple[int, str], int] = defaultdict(int)
    counted = 0
    for r in rows:
        if r.id in count_terms:
            counted += 1
            increments[(r.street, "")] += 1
            for word in r.counts:
                increments[(0, word[:40])] += 1
                increments[(r.street, word[:40])] += 1
    if increments:
        HotTermStat.objects.bulk_create(
            [
                HotTermStat(scope=scope, term=w, documents=stored.get((scope, w), 0) + n)
                for (scope, w), n in increments.items()
            ],
            update_conflicts=True,
            unique_fields=["scope", "term"],
            update_fields=["documents"],
            batch_size=CHUNK,
        )
    cursor.documents += counted
    return {pk_of.get(i.id, i.id) for _, i in placed}


def _rounded(centroid: dict[str, float]) -> dict[str, float]:
    return {word: round(w, 5) for word, w in centroid.items()}


def issues_recount(issue_ids: Iterable[int]) -> None:
    """Recount cases, residents, communities, support, days and rank of these issues."""
    ids = sorted(issue_ids)
    for part in _chunks(ids):
        stats = {
            row["issue_id"]: row
            for row in HotIssueCase.objects.filter(issue_id__in=part)
            .order_by()
            .values("issue_id")
            .annotate(
                n=Count("id"),
                residents=Count("resident_key", distinct=True),
                communities=Count("community_path", distinct=True),
                first=Min("submitted_at"),
                last=Max("submitted_at"),
            )
        }
        daily: dict[int, dict[str, int]] = defaultdict(dict)
        for issue_id, day, n in (
            HotIssueCase.objects.filter(issue_id__in=part)
            .order_by()
            .values("issue_id", "day")
            .annotate(n=Count("id"))
            .values_list("issue_id", "day", "n")
        ):
            daily[issue_id][day.isoformat()] = n
        members = list(
            HotIssueCase.objects.filter(issue_id__in=part).values_list("issue_id", "case_id")
        )
        support = support_counts(case_id for _, case_id in members)
        supported: dict[int, int] = defaultdict(int)
        for issue_id, case_id in members:
            supported[issue_id] += support.get(case_id, 0)
        rows = list(HotIssue.objects.filter(pk__in=part))
        for row in rows:
            s = stats.get(row.pk)
            row.case_count = s["n"] if s else 0
            row.resident_count = s["residents"] if s else 0
            row.community_count = s["communities"] if s else 0
            row.first_seen = s["first"] if s else None
            row.last_seen = s["last"] if s else None
            row.support_count = supported.get(row.pk, 0)
            row.daily = daily.get(row.pk, {})
            row.rank = rank_of(
                residents=row.resident_count,
                support=row.support_count,
                communities=row.community_count,
                last_seen=row.last_seen,
            )
        HotIssue.objects.bulk_update(
            rows,
            [
                "case_count",
                "resident_count",
                "community_count",
                "first_seen",
                "last_seen",
                "support_count",
                "daily",
                "rank",
            ],
            batch_size=CHUNK,
        )


def _cursor() -> HotIssueCursor:
    HotIssueCursor.objects.get_or_create(name=CURSOR)
    return HotIssueCursor.objects.select_for_update().get(name=CURSOR)


CASE_FIELDS = (
    "id",
    "title",
    "description",
    "area_path",
    "submitted_at",
    "reporter_phone",
    "reporter_email",
    "is_anonymous",
)


def hot_issues_assign(*, actor: Actor, batch: int = BATCH, batches: int | None = None) -> int:
    """Place the cases that arrived since the last run. Returns how many were placed."""
    if not actor.system:
        raise Forbidden(_("Only the system places cases into hot issues."))
    total = 0
    done = 0
    while batches is None or done < batches:
        with transaction.atomic():
            cursor = _cursor()
            cases = list(
                Case.objects.filter(id__gt=cursor.last_case_id, hot_membership__isnull=True)
                .order_by("id")
                .values(*CASE_FIELDS)[:batch]
            )
            if not cases:
                break
            rows = _rows(cases)
            touched = _place(rows, cursor, count_terms={r.id for r in rows})
            issues_recount(touched)
            cursor.last_case_id = cases[-1]["id"]
            cursor.save(update_fields=["last_case_id", "documents", "updated_at"])
            total += len(rows)
        done += 1
    return total


@transaction.atomic
def hot_issues_rebuild(*, actor: Actor, month: date) -> int:
    """Place every case of `month` again from scratch (after tuning, or to repair). Issues
    adopted as issue of the month stay and take their cases back first. Returns cases placed."""
    if not actor.system:
        raise Forbidden(_("Only the system rebuilds hot issues."))
    month = month.replace(day=1)
    cursor = _cursor()
    issues = HotIssue.objects.filter(month=month)
    before = set(HotIssueCase.objects.filter(issue__in=issues).values_list("case_id", flat=True))
    HotIssueCase.objects.filter(issue__in=issues).delete()
    adopted = set(IssueOfMonth.objects.filter(month=month).values_list("issue_id", flat=True))
    HotIssueTerm.objects.filter(issue__in=issues.exclude(pk__in=adopted)).delete()
    issues.exclude(pk__in=adopted).delete()
    HotIssue.objects.filter(pk__in=adopted).update(case_count=0)
    cases = list(Case.objects.filter(cases_in_month(month)).order_by("id").values(*CASE_FIELDS))
    placed = 0
    touched: set[int] = set(adopted)
    for part in _chunks(cases, BATCH):
        rows = _rows(part)
        fresh = {r.id for r in rows if r.id not in before and r.id > cursor.last_case_id}
        touched |= _place(rows, cursor, count_terms=fresh)
        placed += len(rows)
    issues_recount(touched)
    cursor.save(update_fields=["documents", "updated_at"])
    audit_log(
        actor=actor,
        action="insight.hot_issues.rebuilt",
        target=cursor,
        data={"month": month.isoformat(), "cases": placed},
    )
    return placed


def may_adopt(actor: Actor, issue: HotIssue) -> bool:
    """Supervisors of the issue's own street adopt it."""
    own = actor.unit
    return (
        own is not None
        and own.pk == issue.unit_id
        and own.kind in STREET_KINDS
        and actor.has_capability(Capability.SUPERVISE)
    )


@transaction.atomic
def issue_of_month_adopt(
    *, actor: Actor, issue: HotIssue, note: str = "", deadline: datetime | None = None
) -> IssueOfMonth:
    """The street takes `issue` on as its issue of the month: a rectification item it must
    put right, verified from above like every other."""
    if not may_adopt(actor, issue):
        raise Forbidden(_("Only the supervisors of the issue's street can adopt it."))
    issue = HotIssue.objects.select_for_update().get(pk=issue.pk)
    if IssueOfMonth.objects.filter(issue=issue).exists():
        raise Conflict(_("This issue is already adopted."))
    if IssueOfMonth.objects.filter(unit_id=issue.unit_id, month=issue.month).exists():
        raise Conflict(_("Your street has already adopted an issue for this month."))
    note = (note or "").strip()
    if len(note) > 2000:
        raise DomainError(_("Keep the note under 2000 characters."), field="note")
    unit = OrgUnit.objects.get(pk=issue.unit_id)
    item: RectificationItem = rectification_open(
        actor=actor,
        unit=unit,
        title=(_("Issue of the month: %(title)s") % {"title": issue.title})[:200],
        deadline=deadline or clock.now() + timedelta(days=ADOPT_DAYS),
        source_kind="insight.hot_issue",
        source_id=issue.pk,
        description=note
        or _("%(count)d requests from %(residents)d residents between %(first)s and %(last)s.")
        % {
            "count": issue.case_count,
            "residents": issue.resident_count,
            "first": f"{issue.first_seen:%Y-%m-%d}" if issue.first_seen else "-",
            "last": f"{issue.last_seen:%Y-%m-%d}" if issue.last_seen else "-",
        },
    )
    adoption = IssueOfMonth.objects.create(
        issue=issue,
        unit=unit,
        month=issue.month,
        rectification=item,
        adopted_by=actor.user,
        adopted_at=clock.now(),
    )
    audit_log(
        actor=actor,
        action="insight.issue_of_month.adopted",
        target=adoption,
        data={"issue": issue.pk, "month": issue.month.isoformat(), "item": item.pk},
    )
    return adoption


def cases_in_month(month: date) -> Q:
    start = timezone.make_aware(datetime.combine(month, datetime.min.time()))
    end = timezone.make_aware(
        datetime.combine((month + timedelta(days=32)).replace(day=1), datetime.min.time())
    )
    return Q(submitted_at__gte=start, submitted_at__lt=end)
