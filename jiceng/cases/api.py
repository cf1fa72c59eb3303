"""Read-only JSON of requests: the worklist, the unit's queue, one request with its timeline.

Every read goes through the case selectors, so a caller sees exactly the requests the HTML
pages show them (their unit's subtree); another unit's request answers 404 like a missing one.
Staff who work on requests and API keys of a unit read them; other roles get a 403 on the
lists. Residents' names and phone numbers, and the names of staff on the timeline, are given to
staff signed in with a session (who see them on the request's page), never to an API key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from jiceng.cases import selectors
from jiceng.cases.forms_transfer import CaseFilterForm
from jiceng.cases.models import Case, CaseEvent, Channel, Status
from jiceng.cases.permissions import reads_cases
from jiceng.core.actors import Actor
from jiceng.core.api import bounded_page_size, form_errors
from jiceng.core.errors import Forbidden
from jiceng.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, Page, decode_cursor, paginate

router = Router(tags=["cases"])


class UnitRef(Schema):
    code: str
    name: str


class CategoryRef(Schema):
    code: str
    name: str


class CaseRow(Schema):
    id: int
    tracking_code: str
    title: str
    status: Status
    status_label: str
    priority: str
    priority_label: str
    category: CategoryRef
    current_unit: UnitRef
    area: UnitRef
    submitted_at: datetime
    respond_by: datetime
    resolve_by: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    respond_overdue: bool
    resolve_overdue: bool


class CasePage(Schema):
    items: list[CaseRow]
    page: int
    page_size: int
    has_next: bool
    has_previous: bool
    next_after: str | None = None
    previous_before: str | None = None


class Reporter(Schema):
    name: str | None
    phone: str


class EventOut(Schema):
    kind: str
    kind_label: str
    status_after: str
    created_at: datetime
    actor_unit: UnitRef | None
    from_unit: UnitRef | None
    to_unit: UnitRef | None
    actor: str | None
    note: str


class CaseOut(CaseRow):
    description: str
    address: str
    channel: Channel
    channel_label: str
    is_anonymous: bool
    reporter: Reporter | None
    closed_at: datetime | None
    pending_transfer_to: UnitRef | None
    merged_into: str | None
    events: list[EventOut]


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _case_reader(request: HttpRequest) -> Actor:
    """The caller, if it works on requests (the HTML pages answer other roles with 403)."""
    actor = _actor(request)
    if not reads_cases(actor):
        raise Forbidden()
    return actor


def _unit(unit: Any) -> dict[str, str] | None:
    return None if unit is None else {"code": unit.code, "name": unit.name}


def _row(case: Case, now: datetime) -> dict[str, Any]:
    """What a case table shows; only the columns `selectors.listed` loads."""
    return {
        "id": case.pk,
        "tracking_code": case.tracking_code,
        "title": case.title,
        "status": case.status,
        "status_label": case.get_status_display(),
        "priority": case.priority,
        "priority_label": case.get_priority_display(),
        "category": {"code": case.category.code, "name": case.category.display_name},
        "current_unit": _unit(case.current_unit),
        "area": _unit(case.area),
        "submitted_at": case.submitted_at,
        "respond_by": case.respond_by,
        "resolve_by": case.resolve_by,
        "accepted_at": case.accepted_at,
        "resolved_at": case.resolved_at,
        "respond_overdue": case.respond_overdue(now),
        "resolve_overdue": case.resolve_overdue(now),
    }


def _page(page: Page[Case]) -> dict[str, Any]:
    now = timezone.now()
    keyset = page.more_before is not None
    return {
        "items": [_row(case, now) for case in page.items],
        "page": page.number,
        "page_size": page.page_size,
        "has_next": page.has_next,
        "has_previous": page.has_previous,
        "next_after": page.last_cursor if keyset and page.has_next else None,
        "previous_before": page.first_cursor if keyset and page.has_previous else None,
    }


PAGE = Query(1, ge=1, le=MAX_PAGE, description="Page number (from 1).")
PAGE_SIZE = Query(
    DEFAULT_PAGE_SIZE, ge=1, description="Rows per page; sizes above 100 get 100 rows."
)


@router.get(
    "/cases/worklist",
    response=CasePage,
    summary="My worklist: open requests held by my unit, overdue first",
)
def worklist(request: HttpRequest, page: int = PAGE, page_size: int = PAGE_SIZE) -> object:
    actor = _case_reader(request)
    return _page(
        paginate(request, selectors.worklist(actor), page_size=bounded_page_size(page_size))
    )


@router.get(
    "/cases",
    response=CasePage,
    summary="Requests held in my unit's subtree, with the queue page's filters",
    description=(
        "Newest first, paged by `after` (the `next_after` of the page before) or by `page`; "
        "with `overdue=true`, most overdue first, paged by `page`. `q` finds a tracking code, "
        "or words in titles and addresses of the last 90 days unless dates are given."
    ),
)
def queue(
    request: HttpRequest,
    q: str = Query("", description="A tracking code, or words of titles and addresses."),
    status: Status | None = None,
    category: str = Query("", description="A category code; a group means all its categories."),
    unit: str = Query("", description="A unit code within your subtree."),
    channel: Channel | None = None,
    overdue: bool = False,
    escalated: bool = False,
    open: bool = False,  # the queue page's name for it
    submitted_from: date | None = None,
    submitted_to: date | None = None,
    after: str = Query("", description="The `next_after` of the page before."),
    before: str = Query("", description="The `previous_before` of the page after."),
    page: int = PAGE,
    page_size: int = PAGE_SIZE,
) -> object:
    # The parameters above are typed for the OpenAPI document (and checked by ninja); the queue
    # page's own form then reads them, so both refuse the same values with the same messages.
    actor = _case_reader(request)
    form = CaseFilterForm(request.GET, actor=actor)
    if not form.is_valid():
        raise form_errors(form)
    if any(cursor and decode_cursor(cursor) is None for cursor in (after, before)):
        form.add_error(None, _("This page link is not valid any more. Start from page 1."))
        raise form_errors(form)
    filters = form.to_filter()
    queryset = selectors.listed(selectors.unit_queue(actor, filters))
    return _page(
        paginate(
            request,
            queryset,
            page_size=bounded_page_size(page_size),
            keyset="submitted_at" if filters.newest_first else None,
        )
    )


def _event(event: CaseEvent, people: bool) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "status_after": event.status_after,
        "created_at": event.created_at,
        "actor_unit": _unit(event.actor_unit),
        "from_unit": _unit(event.from_unit),
        "to_unit": _unit(event.to_unit),
        "actor": str(event.actor) if people and event.actor is not None else None,
        "note": event.note,
    }


@router.get(
    "/cases/{case_id}",
    response=CaseOut,
    summary="One request with its timeline",
    description=(
        "404 for a request outside your subtree as for one that does not exist. `reporter` and "
        "the staff names of the timeline are given to staff signed in with a session only."
    ),
)
def case_detail(request: HttpRequest, case_id: int) -> object:
    actor = _actor(request)
    case = selectors.case_get(actor, pk=case_id)
    # Whoever sees the request's page sees the resident's contact and the staff's names there.
    people = actor.membership is not None
    reporter = (
        {
            "name": None if case.is_anonymous else case.reporter_name,
            "phone": case.reporter_phone,
        }
        if people
        else None
    )
    return {
        **_row(case, timezone.now()),
        "description": case.description,
        "address": case.address,
        "channel": case.channel,
        "channel_label": case.get_channel_display(),
        "is_anonymous": case.is_anonymous,
        "reporter": reporter,
        "closed_at": case.closed_at,
        "pending_transfer_to": _unit(case.pending_transfer_to),
        "merged_into": case.merged_into.tracking_code if case.merged_into else None,
        "events": [_event(event, people) for event in selectors.timeline(case)],
    }
