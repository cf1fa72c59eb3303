"""Every write to cases: intake, the workflow, replies, feedback, escalation, notifications.

`case_transition` is the one function that changes a case's status; it consults the transition
table in workflow.py. The named actions (`case_accept`, `case_dispatch`, …) are thin, typed
doors to it that add what each action needs (a target unit, a reply, feedback).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.models import (
    LEVEL_DEPTH,
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseEvent,
    Category,
    Channel,
    CloseReason,
    Escalation,
    EscalationReason,
    EventKind,
    Feedback,
    FeedbackChannel,
    Level,
    Notification,
    Priority,
    Reply,
    ResponseTemplate,
    Satisfaction,
    Solved,
    Status,
)
from jiceng.cases.photos import Photo, checked_photo
from jiceng.cases.resident_mail import ResidentMail
from jiceng.cases.workflow import TRANSITIONS, Action, Who, target_of
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.audit import AuditDraft, AuditRecord, audit_log
from jiceng.core.calendar import get_calendar
from jiceng.core.db.prepared_insert import PreparedInsert
from jiceng.core.errors import Conflict, DomainError, Forbidden, validate_fields
from jiceng.core.group_commit import GroupCommit
from jiceng.core.permissions import require
from jiceng.core.request_context import current_request_id
from jiceng.orgs import lookups
from jiceng.orgs.models import OrgUnit, User
from jiceng.orgs.roles import ROLE_CAPABILITIES, Capability, UnitKind

# Crockford's base32 without look-alikes: easy to read out on the phone.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_LENGTH = 12  # 30**12 ≈ 5·10**17 codes (59 bits); lookups are rate-limited.
RESIDENT_AREA_KINDS = (UnitKind.COMMUNITY, UnitKind.VILLAGE, UnitKind.GRID)


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(raw: str) -> str:
    """What a resident typed, made comparable: no spaces or dashes, upper case."""
    return raw.strip().upper().replace("-", "").replace(" ", "")


# --- routing and deadlines ------------------------------------------------------------------
def route(category: Category, area: OrgUnit) -> OrgUnit:
    """The unit a new case goes to: the area's ancestor at the category's responsible level.

    Grid-level categories go to the community, which dispatches them to the right grid: only
    the community has someone to accept, dispatch and supervise.
    """
    depth = min(
        LEVEL_DEPTH[Level(category.responsible_level)], LEVEL_DEPTH[Level.COMMUNITY], area.depth
    )
    if depth == area.depth:
        return area
    holder = lookups.unit_at_path(area.path[: OrgUnit.steplen * depth])
    if holder is None:
        raise OrgUnit.DoesNotExist(area.path[: OrgUnit.steplen * depth])
    return holder


@dataclass(frozen=True)
class Deadlines:
    respond_by: datetime
    resolve_by: datetime


def deadlines_for(category: Category, priority: str, start: datetime) -> Deadlines:
    calendar = get_calendar()
    urgent = priority == Priority.URGENT
    hours = category.urgent_respond_hours if urgent else category.respond_hours
    days = category.urgent_resolve_days if urgent else category.resolve_days
    return Deadlines(
        respond_by=calendar.add_working_hours(start, hours),
        resolve_by=calendar.add_working_days(start, days),
    )


# --- notifications --------------------------------------------------------------------------
def _roles_with(capability: str) -> list[str]:
    return [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]


def notify_unit(
    *, unit: OrgUnit, capability: str, case: Case | None, verb: str, message: Any
) -> list[Notification]:
    """Tell the active staff of `unit` who hold `capability`, each in their own language.

    `message` is a lazy translatable string with %(…)s fields filled from `case`.
    """
    return notifications_send(
        notifications_draft([(unit, case)], capability=capability, verb=verb, message=message)
    )


def notifications_draft(
    items: Sequence[tuple[OrgUnit, Case | None]], *, capability: str, verb: str, message: Any
) -> list[Notification]:
    """The notifications for many (unit, case) pairs, not stored yet: one read per distinct
    unit, and the text in each recipient's language."""
    recipients_of: dict[int, list[User]] = {}
    made = []
    now = clock.now()
    for unit, case in items:
        if unit.pk not in recipients_of:
            recipients_of[unit.pk] = lookups.active_staff(unit, _roles_with(capability))
        fields = _message_fields(case)
        texts: dict[str, str] = {}
        for user in recipients_of[unit.pk]:
            if user.preferred_language not in texts:
                with translation.override(user.preferred_language):
                    texts[user.preferred_language] = (str(message) % fields)[:300]
            made.append(
                Notification(
                    recipient=user,
                    case=case,
                    verb=verb,
                    message=texts[user.preferred_language],
                    created_at=now,
                )
            )
    return made


def notifications_send(made: list[Notification]) -> list[Notification]:
    """Store drafted notifications; e-mail them once the transaction commits."""
    Notification.objects.bulk_create(made)
    _email_after_commit(made)
    return made


def _email_after_commit(made: list[Notification]) -> None:
    ids = [n.pk for n in made if n.pk is not None and n.recipient.email]
    if ids:
        from jiceng.cases.tasks import email_notifications

        transaction.on_commit(lambda: email_notifications(ids))


def _mail_resident_after_commit(case: Case, kind: str) -> None:
    """E-mail the resident (resident_mail.py) once the transaction commits, if they gave an
    address. Robust: a queue that cannot take the job must not fail a committed action."""
    if not case.reporter_email:
        return
    from jiceng.cases.tasks import email_resident

    case_id, message = case.pk, ResidentMail(kind).value  # plain values for the job queue
    transaction.on_commit(lambda: email_resident(case_id, message), robust=True)


def _classify_after_commit(cases: list[Case]) -> None:
    from jiceng.insight.classifier_services import classify_after_commit

    classify_after_commit(cases)


def _message_fields(case: Case | None) -> dict[str, str]:
    if case is None:
        return {}
    return {"code": case.tracking_code, "title": case.title, "unit": case.current_unit.name}


# --- intake ---------------------------------------------------------------------------------
def _clean_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), field=field)
    if len(value) > limit:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": limit, "count": len(value)},
            field=field,
        )
    return value


@dataclass
class Submission:
    """A new case checked, routed and given its deadlines, not stored yet (see `case_prepare`)."""

    actor: Actor
    case: Case
    photos: list[tuple[bytes, Photo]]
    request_id: str
    rows: _IntakeWrite | None = None
    # Rows of other apps keyed by the case (insight: routing, duplicate index), stored with it.
    extra_rows: Sequence[Any] = ()

    def draft(self) -> _IntakeWrite:
        """Its rows, adapted for the database (again after its tracking code changed)."""
        self.rows = _IntakeWrite([self])
        return self.rows


def case_prepare(
    *,
    actor: Actor,
    category: Category | None,
    area: OrgUnit,
    title: str,
    description: str,
    channel: str,
    address: str = "",
    priority: str = Priority.NORMAL,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    is_anonymous: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    reporter_language: str = "",
    photos: Sequence[UploadedFile] = (),
    external_id: str = "",
    submitted_at: datetime | None = None,
) -> Submission:
    """Everything `case_submit` checks and decides, without writing: bad input raises here."""
    if channel in (Channel.PHONE, Channel.WALK_IN, Channel.IMPORT) and not (
        actor.system or actor.has_capability(Capability.CASE_HANDLE)
    ):
        raise Forbidden(_("Only staff enter requests on behalf of residents."))
    if channel not in Channel.values:
        raise DomainError(_("Choose a valid channel."), field="channel")
    category_source, prediction = "person", None
    if category is None:  # the resident left it to the classifier (insight, docs/INSIGHT.md)
        from jiceng.insight.classifier_services import category_for_intake

        chosen = category_for_intake(title=title, description=description)
        category, category_source, prediction = chosen.category, chosen.source, chosen.prediction
    if category.is_group or not category.is_active:
        raise DomainError(_("Choose a specific, active category."), field="category")
    if area.kind not in RESIDENT_AREA_KINDS or not area.is_active:
        raise DomainError(_("Choose the community or village where the problem is."), field="area")
    if actor.unit is not None and not actor.system and not actor.unit.contains(area):
        raise Forbidden(_("This unit is outside the units you serve."))
    if priority not in Priority.values:
        raise DomainError(_("Choose a valid priority."), field="priority")
    if len(photos) > settings.CASE_MAX_PHOTOS:
        raise DomainError(
            _("Attach at most %(count)d photos.") % {"count": settings.CASE_MAX_PHOTOS},
            field="photos",
        )
    checked = [checked_photo(photo) for photo in photos]
    start = submitted_at or clock.now()
    if start > timezone.now() + timedelta(minutes=5):  # real time, even when replaying
        raise DomainError(_("The time cannot lie in the future."), field="submitted_at")
    from jiceng.insight.routing_services import intake_rows, place_case

    placement = place_case(
        actor=actor, category=category, area=area, address=address, channel=channel
    )
    area, holder = placement.area, placement.unit
    due = deadlines_for(category, priority, start)
    case = Case(
        tracking_code=new_tracking_code(),
        category=category,
        priority=priority,
        title=_clean_text(title, field="title", limit=100),
        description=_clean_text(description, field="description", limit=4000),
        address=_clean_text(address, field="address", limit=200, required=False),
        area=area,
        area_path=area.path,
        latitude=latitude,
        longitude=longitude,
        channel=channel,
        external_id=external_id.strip()[:64],
        is_anonymous=is_anonymous,
        reporter_name="" if is_anonymous else reporter_name.strip()[:50],
        reporter_phone=reporter_phone.strip()[:20],
        reporter_email=reporter_email.strip(),
        reporter_language=reporter_language[:16],
        entered_by=actor.user,
        status=Status.SUBMITTED,
        current_unit=holder,
        current_path=holder.path,
        submitted_at=start,
        respond_by=due.respond_by,
        resolve_by=due.resolve_by,
    )
    validate_fields(case, exclude=["category", "area", "current_unit", "entered_by"])
    case.category_source = category_source  # type: ignore[attr-defined]
    case.intake_prediction = prediction  # type: ignore[attr-defined]
    submission = Submission(
        actor=actor,
        case=case,
        photos=checked,
        request_id=current_request_id.get(),
        extra_rows=intake_rows(case, placement),
    )
    # Drafted here, in the request's own thread, so the thread that stores a group of
    # submissions (core.group_commit) only has to put their rows together.
    submission.draft()
    return submission


def case_submit_prepared(*, submissions: Sequence[Submission]) -> list[Case]:
    """Store prepared cases, their timeline, audit entries and notifications in one transaction.

    Many at once is how intake keeps up under load (`case_submit` groups concurrent requests).
    Everything that only reads or computes happens before the transaction (`_IntakeWrite`): on
    SQLite the transaction holds the database's single write lock from its first statement.
    """
    for submission in submissions:
        if submission.case.pk is not None:  # an id from a rolled-back attempt is not its own
            submission.case.pk = None
            submission.draft()
    for _attempt in range(3):
        write = _IntakeWrite.combine(
            [submission.rows or submission.draft() for submission in submissions]
        )
        try:
            with transaction.atomic():
                write.store()
            break
        except IntegrityError:  # a tracking code collision: astronomically rare, but cheap
            for submission in submissions:
                submission.case.pk = None
                submission.case.tracking_code = new_tracking_code()
                submission.draft()
    else:
        raise Conflict()
    return [submission.case for submission in submissions]


class _IntakeWrite:
    """The rows of new cases, adapted for the database ahead of the transaction that stores them."""

    def __init__(self, submissions: Sequence[Submission]) -> None:
        from jiceng.insight.duplicate_services import PreparedRows

        self.submissions = submissions
        cases = [submission.case for submission in submissions]
        self.cases = PreparedInsert(cases)
        self.extra_rows = PreparedRows(
            [row for submission in submissions for row in submission.extra_rows]
        )
        self.events = PreparedInsert(
            [
                CaseEvent(
                    case=submission.case,
                    kind=EventKind.SUBMITTED,
                    status_after=Status.SUBMITTED,
                    actor=submission.actor.user,
                    actor_unit=submission.actor.unit,
                    to_unit=submission.case.current_unit,
                    created_at=submission.case.submitted_at,
                )
                for submission in submissions
            ]
        )
        self.notifications = notifications_draft(
            [(case.current_unit, case) for case in cases],
            capability=Capability.CASE_HANDLE,
            verb="submitted",
            message=gettext_lazy("New request %(code)s: %(title)s"),
        )
        self.notification_rows = PreparedInsert(self.notifications)
        self.audit = AuditDraft(
            [
                AuditRecord(
                    actor=submission.actor,
                    action="cases.case.submitted",
                    target=submission.case,
                    data={
                        "channel": submission.case.channel,
                        "category": submission.case.category.code,
                        "unit": submission.case.current_unit.code,
                    },
                    request_id=submission.request_id,
                )
                for submission in submissions
            ]
        )

    @classmethod
    def combine(cls, parts: Sequence[_IntakeWrite]) -> _IntakeWrite:
        from jiceng.insight.duplicate_services import PreparedRows

        if len(parts) == 1:
            return parts[0]
        combined = cls([])
        combined.submissions = [submission for part in parts for submission in part.submissions]
        combined.cases = PreparedInsert.combine([part.cases for part in parts])
        combined.extra_rows = PreparedRows.combine([part.extra_rows for part in parts])
        combined.events = PreparedInsert.combine([part.events for part in parts])
        combined.notifications = [n for part in parts for n in part.notifications]
        combined.notification_rows = PreparedInsert.combine(
            [part.notification_rows for part in parts]
        )
        combined.audit = AuditDraft.combine([part.audit for part in parts])
        return combined

    def store(self) -> None:
        self.cases.execute()
        self.extra_rows.execute()
        for submission in self.submissions:
            _store_photos(submission)
        self.events.set("case_id", [event.case.pk for event in self.events.objs])
        self.events.execute()
        self.notification_rows.set(
            "case_id", [n.case.pk if n.case else None for n in self.notifications]
        )
        self.notification_rows.execute()
        _email_after_commit(self.notifications)
        for submission in self.submissions:
            _mail_resident_after_commit(submission.case, ResidentMail.RECEIVED)
        _classify_after_commit([submission.case for submission in self.submissions])
        self.audit.append()


def _store_photos(submission: Submission) -> None:
    for content, photo in submission.photos:
        attachment = Attachment(
            case=submission.case,
            content_type=photo.content_type,
            size=photo.size,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
        attachment.file.save(
            f"{photo.sha256}.{attachment.extension}", ContentFile(content), save=False
        )
        attachment.save()


_intake: GroupCommit[Submission, Case] = GroupCommit(
    lambda submissions: case_submit_prepared(submissions=submissions)
)


def case_submit(
    *,
    actor: Actor,
    category: Category | None,
    area: OrgUnit,
    title: str,
    description: str,
    channel: str,
    address: str = "",
    priority: str = Priority.NORMAL,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    is_anonymous: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    reporter_language: str = "",
    photos: Sequence[UploadedFile] = (),
    external_id: str = "",
    submitted_at: datetime | None = None,
) -> Case:
    """A new case from any channel, routed to the responsible unit with its deadlines.

    Concurrent submissions in one process are stored together (core.group_commit); each call
    returns after its own case is committed.
    """
    submission = case_prepare(
        actor=actor,
        category=category,
        area=area,
        title=title,
        description=description,
        channel=channel,
        address=address,
        priority=priority,
        latitude=latitude,
        longitude=longitude,
        is_anonymous=is_anonymous,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_email=reporter_email,
        reporter_language=reporter_language,
        photos=photos,
        external_id=external_id,
        submitted_at=submitted_at,
    )
    return _intake.run(submission)


# --- the workflow ---------------------------------------------------------------------------
def roles_of(actor: Actor, case: Case) -> set[Who]:
    """What `actor` is to `case`: holder, superior, resident or the system."""
    roles: set[Who] = set()
    if actor.system:
        roles.add(Who.SYSTEM)
    if actor.resident:
        roles.add(Who.RESIDENT)
    unit = actor.unit
    if unit is not None and actor.membership is not None:
        if unit.pk == case.current_unit_id:
            roles.add(Who.HOLDER)
        elif case.current_path.startswith(unit.path):
            roles.add(Who.SUPERIOR)
    return roles


def can_take(actor: Actor, case: Case, action: Action) -> bool:
    transition = TRANSITIONS[action]
    if case.status not in transition.sources:
        return False
    roles = roles_of(actor, case) & transition.who
    if not roles:
        return False
    if roles <= {Who.HOLDER, Who.SUPERIOR} and transition.capability:
        return actor.has_capability(transition.capability)
    return True


def available_actions(actor: Actor, case: Case) -> list[Action]:
    return [action for action in TRANSITIONS if can_take(actor, case, action)]


def case_transition(
    *,
    case: Case,
    action: Action,
    actor: Actor,
    note: str = "",
    to_unit: OrgUnit | None = None,
    public: bool = True,
    event_kind: str | None = None,
    updates: dict[str, Any] | None = None,
) -> Case:
    """Move `case` by `action`, if the table allows it for this actor; write the timeline.

    The move is one conditional UPDATE: it succeeds only if the case still has the status and
    holder it was checked against, so two people acting at once cannot both move it.
    `updates` are further fields the named action sets in the same statement.
    Call it inside the action's transaction.
    """
    if not can_take(actor, case, action):
        raise Forbidden(
            _("You cannot %(action)s a request that is %(status)s.")
            % {"action": ACTION_LABELS[action], "status": case.get_status_display()}
        )
    from_unit = case.current_unit
    target = target_of(action, transfer_count=case.transfer_count)
    changes: dict[str, Any] = {"status": target, **(updates or {})}
    if to_unit is not None and target != Status.TRANSFER_PENDING:
        changes.update(current_unit=to_unit, current_path=to_unit.path)
    moved = Case.objects.filter(
        pk=case.pk, status=case.status, current_unit_id=case.current_unit_id
    ).update(updated_at=clock.now(), **changes)
    if not moved:
        raise Conflict(_("Someone else changed this request meanwhile. Reload and try again."))
    for name, value in changes.items():
        setattr(case, name, value)
    CaseEvent.objects.create(
        case=case,
        created_at=clock.now(),
        kind=event_kind or ACTION_EVENTS[action],
        status_after=target,
        actor=actor.user,
        actor_unit=actor.unit,
        from_unit=from_unit,
        to_unit=to_unit,
        note=note.strip()[:2000],
        public=public,
    )
    audit_log(
        actor=actor,
        action=f"cases.case.{action.value}",
        target=case,
        data={"from": from_unit.code, "to": to_unit.code if to_unit else None, "status": target},
        reason=note.strip()[:500],
    )
    return case


ACTION_EVENTS: dict[Action, str] = {
    Action.ACCEPT: EventKind.ACCEPTED,
    Action.REJECT: EventKind.REJECTED,
    Action.MERGE: EventKind.MERGED,
    Action.DISPATCH: EventKind.DISPATCHED,
    Action.START: EventKind.STARTED,
    Action.RETURN: EventKind.RETURNED,
    Action.TRANSFER: EventKind.TRANSFERRED,
    Action.APPROVE_TRANSFER: EventKind.TRANSFER_APPROVED,
    Action.DENY_TRANSFER: EventKind.TRANSFER_DENIED,
    Action.RESOLVE: EventKind.RESOLVED,
    Action.CONFIRM: EventKind.CLOSED,
    Action.REOPEN: EventKind.REOPENED,
    Action.CLOSE_NO_FEEDBACK: EventKind.CLOSED,
}

ACTION_LABELS: dict[Action, Any] = {
    Action.ACCEPT: gettext_lazy("accept"),
    Action.REJECT: gettext_lazy("reject"),
    Action.MERGE: gettext_lazy("merge"),
    Action.DISPATCH: gettext_lazy("dispatch"),
    Action.START: gettext_lazy("start work on"),
    Action.RETURN: gettext_lazy("return"),
    Action.TRANSFER: gettext_lazy("transfer"),
    Action.APPROVE_TRANSFER: gettext_lazy("approve the transfer of"),
    Action.DENY_TRANSFER: gettext_lazy("deny the transfer of"),
    Action.RESOLVE: gettext_lazy("resolve"),
    Action.CONFIRM: gettext_lazy("confirm"),
    Action.REOPEN: gettext_lazy("reopen"),
    Action.CLOSE_NO_FEEDBACK: gettext_lazy("close"),
}


def _required_reason(note: str) -> str:
    if not note.strip():
        raise DomainError(_("Give a reason."), field="note")
    return note


@transaction.atomic
def case_accept(*, case: Case, actor: Actor, note: str = "") -> Case:
    return case_transition(
        case=case,
        action=Action.ACCEPT,
        actor=actor,
        note=note,
        updates={"accepted_at": clock.now(), "accepted_by_unit": case.current_unit},
    )


@transaction.atomic
def case_reject(*, case: Case, actor: Actor, note: str) -> Case:
    case_transition(
        case=case,
        action=Action.REJECT,
        actor=actor,
        note=_required_reason(note),
        updates={"closed_at": clock.now()},
    )
    _mail_resident_after_commit(case, ResidentMail.REJECTED)
    return case


@transaction.atomic
def case_merge(*, case: Case, actor: Actor, into: Case, note: str = "") -> Case:
    if into.pk == case.pk or (not into.is_open and into.status != Status.RESOLVED):
        raise DomainError(_("Merge into another request that is still open."), field="into")
    if into.merged_into_id is not None:
        raise DomainError(_("That request was itself merged; use the one it was merged into."))
    case_transition(
        case=case,
        action=Action.MERGE,
        actor=actor,
        note=note or _("Same problem as %(code)s.") % {"code": into.tracking_code},
        updates={"merged_into": into, "closed_at": clock.now()},
    )
    into.events.create(
        created_at=clock.now(),
        kind=EventKind.SUPPORTED,
        status_after=into.status,
        actor=actor.user,
        actor_unit=actor.unit,
        note=_("Request %(code)s was merged into this one.") % {"code": case.tracking_code},
    )
    _mail_resident_after_commit(case, ResidentMail.MERGED)
    return case


def _check_dispatch_target(case: Case, to_unit: OrgUnit) -> None:
    if not to_unit.is_active:
        raise DomainError(_("This unit is no longer active."), field="to_unit")
    if not to_unit.path.startswith(case.current_unit.path):
        raise DomainError(_("Dispatch to your own unit or a unit below it."), field="to_unit")


@transaction.atomic
def case_dispatch(*, case: Case, actor: Actor, to_unit: OrgUnit, note: str = "") -> Case:
    _check_dispatch_target(case, to_unit)
    dispatcher = case.current_unit
    case_transition(
        case=case,
        action=Action.DISPATCH,
        actor=actor,
        note=note,
        to_unit=to_unit,
        updates={"dispatched_by_unit": dispatcher},
    )
    if to_unit.pk != dispatcher.pk:
        notify_unit(
            unit=to_unit,
            capability=Capability.CASE_HANDLE,
            case=case,
            verb="dispatched",
            message=gettext_lazy("Request %(code)s was dispatched to you: %(title)s"),
        )
    return case


@transaction.atomic
def case_start(*, case: Case, actor: Actor, note: str = "") -> Case:
    return case_transition(case=case, action=Action.START, actor=actor, note=note)


@transaction.atomic
def case_return(*, case: Case, actor: Actor, note: str) -> Case:
    """退回: back to the unit that dispatched it, with the reason.

    Only a dispatch can be returned: a transferred case goes on by transfer, so that sending
    it back is counted and, from the second time, approved.
    """
    back_to = case.dispatched_by_unit
    if back_to is None or back_to.pk == case.current_unit_id:
        raise DomainError(_("There is no unit to return this request to; transfer it instead."))
    case_transition(
        case=case, action=Action.RETURN, actor=actor, note=_required_reason(note), to_unit=back_to
    )
    notify_unit(
        unit=back_to,
        capability=Capability.CASE_DISPATCH,
        case=case,
        verb="returned",
        message=gettext_lazy("Request %(code)s was returned to you: %(title)s"),
    )
    return case


def transfer_targets(case: Case) -> QuerySet[OrgUnit]:
    """Units a case may be transferred to: anywhere under the holder's parent, but the holder."""
    holder = case.current_unit
    parent_path = holder.path[: -OrgUnit.steplen] or holder.path
    return (
        OrgUnit.objects.filter(path__startswith=parent_path, is_active=True)
        .exclude(pk=holder.pk)
        .exclude(kind=UnitKind.GRID)
        .order_by("path")
    )


@transaction.atomic
def case_transfer(*, case: Case, actor: Actor, to_unit: OrgUnit, note: str) -> Case:
    """转办: the first transfer takes effect at once; later ones wait for the superior."""
    _required_reason(note)
    if not transfer_targets(case).filter(pk=to_unit.pk).exists():
        raise DomainError(
            _("Transfer to another unit under the same street or district."), field="to_unit"
        )
    needs_approval = case.transfer_count >= 1
    if needs_approval:
        if case.current_unit.depth <= 1:
            raise DomainError(
                _("No unit above this one can approve another transfer; dispatch it instead."),
                field="to_unit",
            )
        case_transition(
            case=case,
            action=Action.TRANSFER,
            actor=actor,
            note=note,
            to_unit=to_unit,
            event_kind=EventKind.TRANSFER_REQUESTED,
            updates={"pending_transfer_to": to_unit},
        )
        superior = _superior_unit(case.current_unit)
        notify_unit(
            unit=superior,
            capability=Capability.CASE_SUPERVISE,
            case=case,
            verb="transfer_requested",
            message=gettext_lazy("Request %(code)s waits for your approval of another transfer."),
        )
    else:
        case_transition(
            case=case,
            action=Action.TRANSFER,
            actor=actor,
            note=note,
            to_unit=to_unit,
            updates={"transfer_count": case.transfer_count + 1, "dispatched_by_unit": None},
        )
        _notify_transferred(case, to_unit)
    return case


def _notify_transferred(case: Case, unit: OrgUnit) -> None:
    notify_unit(
        unit=unit,
        capability=Capability.CASE_HANDLE,
        case=case,
        verb="transferred",
        message=gettext_lazy("Request %(code)s was transferred to you: %(title)s"),
    )


def _superior_unit(unit: OrgUnit) -> OrgUnit:
    if unit.depth <= 1:
        return unit
    return OrgUnit.objects.get(path=unit.path[: -OrgUnit.steplen])


@transaction.atomic
def case_decide_transfer(*, case: Case, actor: Actor, approve: bool, note: str = "") -> Case:
    target = case.pending_transfer_to
    if target is None:
        raise Conflict()
    if approve:
        case_transition(
            case=case,
            action=Action.APPROVE_TRANSFER,
            actor=actor,
            note=note,
            to_unit=target,
            updates={
                "pending_transfer_to": None,
                "transfer_count": case.transfer_count + 1,
                "dispatched_by_unit": None,
            },
        )
        _notify_transferred(case, target)
    else:
        case_transition(
            case=case,
            action=Action.DENY_TRANSFER,
            actor=actor,
            note=_required_reason(note),
            updates={"pending_transfer_to": None},
        )
        notify_unit(
            unit=case.current_unit,
            capability=Capability.CASE_HANDLE,
            case=case,
            verb="transfer_denied",
            message=gettext_lazy("The transfer of request %(code)s was denied: please handle it."),
        )
    return case


@transaction.atomic
def case_reply(*, case: Case, actor: Actor, body: str) -> Reply:
    """A reply to the resident without changing the status (progress, a question)."""
    if Who.HOLDER not in roles_of(actor, case) or not actor.has_capability(Capability.CASE_HANDLE):
        raise Forbidden()
    if not case.is_open:
        raise DomainError(_("This request is no longer open."))
    body = _clean_text(body, field="body", limit=4000)
    assert actor.user is not None and actor.unit is not None
    reply = Reply.objects.create(
        case=case, author=actor.user, unit=actor.unit, body=body, created_at=clock.now()
    )
    case.events.create(
        created_at=clock.now(),
        kind=EventKind.REPLIED,
        status_after=case.status,
        actor=actor.user,
        actor_unit=actor.unit,
        note=body,
    )
    audit_log(actor=actor, action="cases.case.replied", target=case, data={"reply": reply.pk})
    return reply


@transaction.atomic
def case_resolve(*, case: Case, actor: Actor, body: str) -> Case:
    """办结答复: resolved with a written reply; the resident's confirmation is now due."""
    body = _clean_text(body, field="body", limit=4000)
    now = clock.now()
    case_transition(
        case=case,
        action=Action.RESOLVE,
        actor=actor,
        note=body,
        updates={
            "resolved_at": now,
            "resolved_by_unit": actor.unit,
            "feedback_due": get_calendar().add_working_days(
                now, settings.CASE_FEEDBACK_WORKING_DAYS
            ),
        },
    )
    assert actor.user is not None and actor.unit is not None
    reply = Reply.objects.create(
        case=case, author=actor.user, unit=actor.unit, body=body, is_resolution=True, created_at=now
    )
    _score_reply_after_commit(reply)
    _mail_resident_after_commit(case, ResidentMail.RESOLVED)
    return case


def _score_reply_after_commit(reply: Reply) -> None:
    """Reply quality (conduct) is scored in the background once the resolution is stored."""
    from jiceng.conduct.tasks import score_resolution_reply

    transaction.on_commit(lambda: score_resolution_reply(reply.pk))


@transaction.atomic
def case_feedback(
    *,
    case: Case,
    actor: Actor,
    solved: str,
    satisfaction: int | None,
    comment: str = "",
) -> Feedback:
    """回访: the resident (by tracking code) or staff (by phone) records whether it was solved."""
    if solved not in Solved.values:
        raise DomainError(_("Say whether the problem was solved."), field="solved")
    if satisfaction is not None and satisfaction not in Satisfaction.values:
        raise DomainError(_("Choose one of the five levels."), field="satisfaction")
    comment = _clean_text(comment, field="comment", limit=1000, required=False)
    action = Action.REOPEN if solved == Solved.NO else Action.CONFIRM
    channel = FeedbackChannel.TRACKING if actor.resident else FeedbackChannel.PHONE
    round_number = case.reopen_count + 1
    now = clock.now()
    if action is Action.REOPEN:
        updates: dict[str, Any] = {
            "reopen_count": case.reopen_count + 1,
            "resolved_at": None,
            "resolved_by_unit": None,
            "feedback_due": None,
            "resolve_by": deadlines_for(case.category, case.priority, now).resolve_by,
        }
    else:
        updates = {"closed_at": now, "close_reason": CloseReason.FEEDBACK}
    case_transition(
        case=case,
        action=action,
        actor=actor,
        note=comment,
        event_kind=EventKind.FEEDBACK,
        updates=updates,
    )
    feedback = Feedback.objects.create(
        case=case,
        solved=solved,
        satisfaction=satisfaction,
        comment=comment,
        channel=channel,
        recorded_by=actor.user,
        round=round_number,
        created_at=now,
    )
    if action is Action.REOPEN:
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("The resident says the problem is not solved.")
        case.events.create(
            created_at=now,
            kind=EventKind.REOPENED,
            status_after=Status.IN_PROGRESS,
            actor=actor.user,
            actor_unit=actor.unit,
            note=reason,
        )
        notify_unit(
            unit=case.current_unit,
            capability=Capability.CASE_HANDLE,
            case=case,
            verb="reopened",
            message=gettext_lazy(
                "Request %(code)s was reopened: the resident says it is not solved."
            ),
        )
    return feedback


# --- background actions ---------------------------------------------------------------------
@transaction.atomic
def case_close_without_feedback(*, case: Case, actor: Actor) -> Case:
    with translation.override(settings.LANGUAGE_CODE):
        note = _("No feedback within the time allowed.")
    return case_transition(
        case=case,
        action=Action.CLOSE_NO_FEEDBACK,
        actor=actor,
        note=note,
        updates={"closed_at": clock.now(), "close_reason": CloseReason.NO_FEEDBACK},
    )


@transaction.atomic
def case_escalate(
    *, case: Case, actor: Actor, reason: str, deadline: datetime
) -> Escalation | None:
    """督办 once per missed deadline: to the unit above the holder; None if done before."""
    if reason not in EscalationReason.values:
        raise DomainError(_("Unknown escalation reason."))
    holder = case.current_unit
    superior = _superior_unit(holder)
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                case=case,
                reason=reason,
                deadline=deadline,
                from_unit=holder,
                to_unit=superior,
                created_at=clock.now(),
            )
    except IntegrityError:
        return None
    Case.objects.filter(pk=case.pk).update(escalation_count=F("escalation_count") + 1)
    case.escalation_count += 1
    with translation.override(settings.LANGUAGE_CODE):
        note = str(EscalationReason(reason).label)
    case.events.create(
        created_at=clock.now(),
        kind=EventKind.ESCALATED,
        status_after=case.status,
        actor=actor.user,
        actor_unit=actor.unit,
        from_unit=holder,
        to_unit=superior,
        note=note,
    )
    audit_log(
        actor=actor,
        action="cases.case.escalated",
        target=case,
        data={"reason": reason, "to": superior.code, "deadline": deadline.isoformat()},
    )
    notify_unit(
        unit=superior,
        capability=Capability.CASE_SUPERVISE,
        case=case,
        verb="escalated",
        message=(
            gettext_lazy("Request %(code)s was not accepted in time by %(unit)s.")
            if reason == EscalationReason.RESPOND_OVERDUE
            else gettext_lazy("Request %(code)s was not resolved in time by %(unit)s.")
        ),
    )
    return escalation


def escalate_overdue(*, actor: Actor, now: datetime | None = None, limit: int = 1000) -> int:
    """Escalate every missed deadline not escalated yet; safe to run as often as wanted."""
    moment = now or clock.now()
    made = 0
    checks = (
        (
            EscalationReason.RESPOND_OVERDUE,
            "respond_by",
            Case.objects.filter(status=Status.SUBMITTED, respond_by__lt=moment),
        ),
        (
            EscalationReason.RESOLVE_OVERDUE,
            "resolve_by",
            Case.objects.filter(status__in=OPEN_STATUSES, resolve_by__lt=moment),
        ),
    )
    for reason, deadline_field, late in checks:
        done = Escalation.objects.filter(
            case=OuterRef("pk"), reason=reason, deadline=OuterRef(deadline_field)
        )
        for case in late.filter(~Exists(done)).select_related("current_unit")[:limit]:
            escalation = case_escalate(
                case=case, actor=actor, reason=reason, deadline=getattr(case, deadline_field)
            )
            made += escalation is not None
    return made


def close_unanswered(*, actor: Actor, now: datetime | None = None, limit: int = 1000) -> int:
    moment = now or clock.now()
    due = Case.objects.filter(status=Status.RESOLVED, feedback_due__lt=moment).select_related(
        "current_unit"
    )[:limit]
    closed = 0
    for case in due:
        case_close_without_feedback(case=case, actor=actor)
        closed += 1
    return closed


@transaction.atomic
def notifications_mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    if actor.user is None:
        raise Forbidden()
    unread = Notification.objects.filter(recipient=actor.user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=clock.now())


# --- configuration --------------------------------------------------------------------------
CATEGORY_FIELDS = (
    "name",
    "name_en",
    "description",
    "keywords",
    "responsible_level",
    "respond_hours",
    "resolve_days",
    "urgent_respond_hours",
    "urgent_resolve_days",
    "position",
    "is_active",
)


def _check_deadlines(category: Category) -> None:
    if not 1 <= category.respond_hours <= 24 * 7:
        raise DomainError(_("Give between 1 and 168 working hours."), field="respond_hours")
    if not 1 <= category.resolve_days <= 90:
        raise DomainError(_("Give between 1 and 90 working days."), field="resolve_days")
    if not 1 <= category.urgent_respond_hours <= category.respond_hours:
        raise DomainError(
            _("Urgent requests must be answered at least as fast as normal ones."),
            field="urgent_respond_hours",
        )
    if not 1 <= category.urgent_resolve_days <= category.resolve_days:
        raise DomainError(
            _("Urgent requests must be resolved at least as fast as normal ones."),
            field="urgent_resolve_days",
        )


@transaction.atomic
def category_save(
    *, actor: Actor, category: Category | None, parent: Category | None, code: str, **fields: Any
) -> Category:
    """Create (category None) or change a category; deadlines apply to new requests only."""
    require(actor, "edit", Category)
    unknown = set(fields) - set(CATEGORY_FIELDS)
    if unknown:
        raise TypeError(f"unknown category fields: {sorted(unknown)}")
    creating = category is None
    if creating:
        if Category.objects.filter(code=code).exists():
            raise DomainError(_("Another category uses this code."), field="code")
        if parent is not None and parent.parent_id is not None:
            raise DomainError(_("Categories have two levels: choose a group."), field="parent")
        category = Category(code=code, parent=parent)
    assert category is not None
    before = {name: getattr(category, name) for name in CATEGORY_FIELDS}
    for name, value in fields.items():
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    if not category.name or not category.name_en:
        raise DomainError(_("Give the name in Chinese and in English."), field="name")
    _check_deadlines(category)
    validate_fields(category, exclude=["parent"])
    category.save()
    changes = {
        name: [before[name], getattr(category, name)]
        for name in CATEGORY_FIELDS
        if before[name] != getattr(category, name)
    }
    audit_log(
        actor=actor,
        action="cases.category.created" if creating else "cases.category.updated",
        target=category,
        data={"code": category.code, "changes": changes},
    )
    return category


@transaction.atomic
def response_template_save(
    *,
    actor: Actor,
    template: ResponseTemplate | None,
    title: str,
    body: str,
    category: Category | None = None,
    is_active: bool = True,
) -> ResponseTemplate:
    """A unit's own reply template; units below it see it too."""
    require(actor, "edit", ResponseTemplate, template)
    assert actor.unit is not None
    creating = template is None
    if template is None:
        template = ResponseTemplate(unit=actor.unit)
    template.title = _clean_text(title, field="title", limit=60)
    template.body = _clean_text(body, field="body", limit=2000)
    template.category = category
    template.is_active = is_active
    template.save()
    audit_log(
        actor=actor,
        action="cases.template.created" if creating else "cases.template.updated",
        target=template,
        data={"title": template.title, "active": is_active},
    )
    return template
