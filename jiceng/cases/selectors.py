"""Reads of requests, always scoped to the actor (or to a resident's tracking code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case as When_
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from jiceng.cases.models import (
    IS_OPEN,
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Category,
    Notification,
    ResponseTemplate,
    Status,
)
from jiceng.cases.services import TRACKING_ALPHABET, TRACKING_LENGTH, normalise_tracking_code
from jiceng.core.actors import Actor
from jiceng.core.permissions import access_object, visible

LIST_RELATED = ("category", "current_unit", "area")
# What the case tables (templates/cases/_case_table.html, _status.html) show of a case and its
# related rows: loading every column, the 4,000-character description included, cost more than
# the query on the list pages. The codes are what the JSON API's case rows name them by.
LIST_COLUMNS = (
    "tracking_code",
    "title",
    "status",
    "priority",
    "submitted_at",
    "respond_by",
    "resolve_by",
    "accepted_at",
    "resolved_at",
    "category__code",
    "category__name",
    "category__name_en",
    "current_unit__code",
    "current_unit__name",
    "area__code",
    "area__name",
)
# A text search (not a tracking code) without dates looks at the requests of this many days.
TEXT_SEARCH_DAYS = 90


def cases_visible(actor: Actor) -> QuerySet[Case]:
    return visible(actor, Case)


def case_get(actor: Actor, *, pk: object) -> Case:
    return access_object(
        actor,
        Case,
        queryset=Case.objects.select_related(
            *LIST_RELATED,
            "accepted_by_unit",
            "resolved_by_unit",
            "pending_transfer_to",
            "merged_into",
        ),
        pk=pk,
    )


def case_by_tracking_code(code: str) -> Case | None:
    """The resident's own request; the caller rate-limits lookups."""
    cleaned = normalise_tracking_code(code)
    if not cleaned or len(cleaned) > 16 or not set(cleaned) <= set(TRACKING_ALPHABET):
        return None
    return (
        Case.objects.select_related(*LIST_RELATED, "merged_into")
        .filter(tracking_code=cleaned)
        .first()
    )


def _overdue_first(queryset: QuerySet[Case], now: datetime) -> QuerySet[Case]:
    return queryset.annotate(
        overdue=When_(
            When(resolve_by__lt=now, then=Value(0)),
            When(status=Status.SUBMITTED, respond_by__lt=now, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("overdue", "resolve_by", "pk")


def worklist(actor: Actor, *, now: datetime | None = None) -> QuerySet[Case]:
    """Open requests held by the actor's own unit, overdue first, then by deadline."""
    unit = actor.unit
    if unit is None:
        return Case.objects.none()
    queryset = cases_visible(actor).filter(current_unit=unit, status__in=OPEN_STATUSES)
    return listed(_overdue_first(queryset, now or timezone.now()))


def listed(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The cases with what a case table shows, and nothing more (LIST_COLUMNS)."""
    return queryset.select_related(*LIST_RELATED).only(*LIST_RELATED, *LIST_COLUMNS)


@dataclass(frozen=True)
class CaseFilter:
    query: str = ""
    status: str = ""
    category: Category | None = None
    unit_path: str = ""
    overdue: bool = False
    channel: str = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    escalated: bool = False
    open_only: bool = False
    needs_routing: bool = False  # address not recognised at intake (insight.CaseRouting)

    @property
    def newest_first(self) -> bool:
        """Whether `unit_queue` lists newest first (and pages by submission time)."""
        return not self.overdue


def _local_midnight(day: date) -> datetime:
    """The first moment of a day in the current time zone (days at the ends of the calendar
    are kept a day away from them, so the moment in UTC exists)."""
    day = min(max(day, date.min + timedelta(days=1)), date.max - timedelta(days=1))
    return timezone.make_aware(datetime.combine(day, time.min))


def unit_queue(actor: Actor, filters: CaseFilter, *, now: datetime | None = None) -> QuerySet[Case]:
    """Requests held anywhere in the actor's subtree (or a chosen unit within it), filtered.

    `filters.query` in the shape of a tracking code finds that request; other text is looked
    for in titles and addresses, of the last TEXT_SEARCH_DAYS days unless dates are given.
    Every column is loaded (exports need them); list pages narrow it with `listed`.
    """
    unit = actor.unit
    if unit is None:
        return Case.objects.none()
    moment = now or timezone.now()
    path = filters.unit_path if filters.unit_path.startswith(unit.path) else unit.path
    queryset = cases_visible(actor).filter(current_path__startswith=path)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    elif filters.open_only:
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    if filters.category is not None:
        if filters.category.is_group:
            queryset = queryset.filter(category__parent=filters.category)
        else:
            queryset = queryset.filter(category=filters.category)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    if filters.overdue:
        queryset = queryset.filter(IS_OPEN).filter(
            Q(resolve_by__lt=moment) | Q(status=Status.SUBMITTED, respond_by__lt=moment)
        )
    if filters.escalated:
        queryset = queryset.filter(escalation_count__gt=0)
    if filters.needs_routing:
        queryset = queryset.filter(routing__needs_routing=True)
    # Local days as ranges of moments (`submitted_at__date` would wrap the column in a function
    # and read every row instead of a range of case_submitted_idx).
    if filters.submitted_from:
        queryset = queryset.filter(submitted_at__gte=_local_midnight(filters.submitted_from))
    if filters.submitted_to:
        next_day = min(filters.submitted_to, date.max - timedelta(days=1)) + timedelta(days=1)
        queryset = queryset.filter(submitted_at__lt=_local_midnight(next_day))
    if filters.query:
        code = normalise_tracking_code(filters.query)
        if len(code) == TRACKING_LENGTH and set(code) <= set(TRACKING_ALPHABET):
            # A tracking code is looked up on its unique index; mixing it into the text
            # search below made every code lookup scan the table.
            queryset = queryset.filter(tracking_code=code)
        else:
            # Substrings cannot use an index: without dates, the search keeps to the last
            # TEXT_SEARCH_DAYS days (a range of case_submitted_idx) so it never reads the table.
            if not (filters.submitted_from or filters.submitted_to):
                queryset = queryset.filter(
                    submitted_at__gte=moment - timedelta(days=TEXT_SEARCH_DAYS)
                )
            queryset = queryset.filter(
                Q(title__icontains=filters.query) | Q(address__icontains=filters.query)
            )
    queryset = queryset.select_related(*LIST_RELATED)
    if filters.overdue:
        # Most overdue first: case_open_resolve_idx holds the open cases in this order, so a
        # page reads its rows and stops instead of sorting the whole backlog.
        return queryset.order_by("resolve_by", "pk")
    return queryset.order_by("-submitted_at", "-pk")


def timeline(case: Case, *, public_only: bool = False) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor", "actor_unit", "from_unit", "to_unit")
    if public_only:
        events = events.filter(public=True)
    return events.order_by("created_at", "pk")


def response_templates(actor: Actor, case: Case | None = None) -> QuerySet[ResponseTemplate]:
    templates = visible(actor, ResponseTemplate).filter(is_active=True)
    if case is not None:
        templates = templates.filter(Q(category__isnull=True) | Q(category=case.category))
    return templates.order_by("title")


def notifications_for(actor: Actor) -> QuerySet[Notification]:
    return visible(actor, Notification).select_related("case").order_by("-created_at", "-pk")


def unread_count(actor: Actor) -> int:
    if actor.user is None:
        return 0
    return Notification.objects.filter(recipient=actor.user, read_at=None).count()


def leaf_categories() -> QuerySet[Category]:
    return (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .order_by("parent__position", "parent__code", "position", "code")
    )


def response_templates_all(actor: Actor) -> QuerySet[ResponseTemplate]:
    """Every template the actor can use, active or not, with the unit that keeps it."""
    return (
        visible(actor, ResponseTemplate)
        .select_related("unit", "category")
        .order_by("-is_active", "unit__depth", "title")
    )


@dataclass(frozen=True)
class HomeSummary:
    held_open: int
    held_overdue: int
    awaiting_approval: int
    escalations_received: int


def home_summary(actor: Actor, *, now: datetime | None = None) -> HomeSummary | None:
    """Counts for the staff home page; None for people who do not work on requests."""
    from jiceng.cases.models import Escalation
    from jiceng.orgs.roles import Capability

    unit = actor.unit
    if unit is None or not (
        actor.has_capability(Capability.CASE_HANDLE)
        or actor.has_capability(Capability.CASE_SUPERVISE)
    ):
        return None
    moment = now or timezone.now()
    held = Case.objects.filter(current_unit=unit, status__in=OPEN_STATUSES)
    overdue = held.filter(
        Q(resolve_by__lt=moment) | Q(status=Status.SUBMITTED, respond_by__lt=moment)
    )
    supervising = actor.has_capability(Capability.CASE_SUPERVISE)
    return HomeSummary(
        held_open=held.count(),
        held_overdue=overdue.count(),
        awaiting_approval=(
            Case.objects.filter(status=Status.TRANSFER_PENDING, current_path__startswith=unit.path)
            .exclude(current_unit=unit)
            .count()
            if supervising
            else 0
        ),
        escalations_received=Escalation.objects.filter(
            to_unit=unit, case__status__in=OPEN_STATUSES
        ).count(),
    )
