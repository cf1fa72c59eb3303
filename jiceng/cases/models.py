"""Residents' requests (诉求): the case, its timeline, replies, feedback and escalations."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel
from jiceng.orgs.models import OrgUnit


class Level(models.TextChoices):
    """The level of unit a category's cases go to first."""

    GRID = "grid", _("Grid")
    COMMUNITY = "community", _("Community or village")
    STREET = "street", _("Street or township")
    DISTRICT = "district", _("District")


LEVEL_DEPTH = {Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 3, Level.GRID: 4}


class Category(TimeStampedModel):
    """A two-level taxonomy; leaves are what residents choose and Open311 calls services."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    responsible_level = models.CharField(
        _("responsible level"), max_length=16, choices=Level.choices, default=Level.COMMUNITY
    )
    respond_hours = models.PositiveSmallIntegerField(_("respond within (working hours)"), default=8)
    resolve_days = models.PositiveSmallIntegerField(_("resolve within (working days)"), default=5)
    urgent_respond_hours = models.PositiveSmallIntegerField(
        _("urgent: respond within (working hours)"), default=2
    )
    urgent_resolve_days = models.PositiveSmallIntegerField(
        _("urgent: resolve within (working days)"), default=1
    )
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return (
            self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name
        )

    @property
    def is_group(self) -> bool:
        return self.parent_id is None


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    TRANSFER_PENDING = "transfer_pending", _("Transfer awaiting approval")
    RESOLVED = "resolved", _("Resolved, awaiting feedback")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged as duplicate")


OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.TRANSFER_PENDING,
)
FINAL_STATUSES = (Status.CLOSED, Status.REJECTED, Status.MERGED)
_CODE = re.compile(r"[a-z_]+")


class Priority(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Channel(models.TextChoices):
    WEB = "web", _("Resident web form")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")
    OPEN311 = "open311", _("Open311 client")
    IMPORT = "import", _("Hotline import")


class CloseReason(models.TextChoices):
    FEEDBACK = "feedback", _("Resident confirmed")
    NO_FEEDBACK = "no_feedback", _("No feedback in time")


@deconstructible(path="jiceng.cases.models.LiteralIn")
class LiteralIn(models.Func):
    """`field IN ('a', 'b')` with the values written into the SQL instead of bound.

    SQLite uses a partial index only when the query repeats the index's condition, and a
    condition with bound parameters does not count.
    """

    output_field = models.BooleanField()
    conditional = True
    template = "%(expressions)s IN (%(values)s)"

    def __init__(self, field: str, values: tuple[str, ...]) -> None:
        if not all(_CODE.fullmatch(value) for value in values):
            raise ValueError("only plain codes can be written into SQL")
        super().__init__(models.F(field), values=", ".join(f"'{value}'" for value in values))


IS_OPEN = models.Q(LiteralIn("status", tuple(OPEN_STATUSES)))


class Case(models.Model):
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=4000)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="cases_in_area",
        help_text=_("Where the problem is."),
    )
    area_path = models.CharField(_("community path"), max_length=255, db_index=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    external_id = models.CharField(_("external reference"), max_length=64, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    reporter_name = models.CharField(_("name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    reporter_email = models.EmailField(_("e-mail"), blank=True)
    # The language the resident used at intake: the e-mails to them speak it (resident_mail.py).
    reporter_language = models.CharField(_("resident's language"), max_length=16, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    close_reason = models.CharField(
        _("closed because"), max_length=12, choices=CloseReason.choices, blank=True
    )
    # No index of its own: `case_queue_idx` (current_unit, status, resolve_by) starts with it and
    # serves its lookups; with a second index SQLite picked the single-column one for the
    # worklist and read every case the unit ever held (docs/PERFORMANCE.md, section 2).
    current_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("with unit"),
        on_delete=models.PROTECT,
        related_name="cases_held",
        db_index=False,
    )
    # The current unit's tree path, copied so a subtree's cases are one index range scan.
    current_path = models.CharField(_("path of the unit holding it"), max_length=255, db_index=True)
    accepted_by_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("first receiver"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dispatched_by_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("dispatched by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_by_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pending_transfer_to = models.ForeignKey(
        OrgUnit,
        verbose_name=_("transfer requested to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    respond_by = models.DateTimeField(_("respond by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    feedback_due = models.DateTimeField(_("feedback due"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    transfer_count = models.PositiveSmallIntegerField(_("transfers"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["current_unit", "status", "resolve_by"], name="case_queue_idx"),
            models.Index(fields=["current_path", "status", "resolve_by"], name="case_subtree_idx"),
            models.Index(fields=["status", "respond_by"], name="case_respond_due_idx"),
            models.Index(fields=["status", "resolve_by"], name="case_resolve_due_idx"),
            # Open cases by deadline, for the overdue view. Queries must use IS_OPEN (literal
            # statuses): SQLite uses a partial index only when the query repeats its condition,
            # and a condition with bound parameters does not count.
            models.Index(fields=["resolve_by"], condition=IS_OPEN, name="case_open_resolve_idx"),
            models.Index(fields=["status", "feedback_due"], name="case_feedback_due_idx"),
            models.Index(fields=["submitted_at"], name="case_submitted_idx"),
            models.Index(fields=["channel", "external_id"], name="case_external_idx"),
            models.Index(fields=["accepted_by_unit", "submitted_at"], name="case_received_idx"),
            models.Index(fields=["resolved_by_unit", "resolved_at"], name="case_resolved_idx"),
            models.Index(fields=["resolved_by_unit", "closed_at"], name="case_closed_idx"),
        ]
        constraints = [
            # A hotline record is imported once, whoever imports it and however often.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(channel="import"),
                name="case_import_external_unique",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="case_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="case_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def respond_overdue(self, now: object = None) -> bool:
        moment = now or timezone.now()
        if self.accepted_at is not None:
            return self.accepted_at > self.respond_by
        return self.status == Status.SUBMITTED and moment > self.respond_by  # type: ignore[operator]

    def resolve_overdue(self, now: object = None) -> bool:
        moment = now or timezone.now()
        if self.resolved_at is not None and self.status not in OPEN_STATUSES:
            return self.resolved_at > self.resolve_by
        return self.status in OPEN_STATUSES and moment > self.resolve_by  # type: ignore[operator]

    def is_overdue(self, now: object = None) -> bool:
        return self.is_open and (self.respond_overdue(now) or self.resolve_overdue(now))


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    STARTED = "started", _("Work started")
    RETURNED = "returned", _("Returned")
    TRANSFERRED = "transferred", _("Transferred")
    TRANSFER_REQUESTED = "transfer_requested", _("Transfer requested")
    TRANSFER_APPROVED = "transfer_approved", _("Transfer approved")
    TRANSFER_DENIED = "transfer_denied", _("Transfer denied")
    REPLIED = "replied", _("Replied")
    RESOLVED = "resolved", _("Resolved")
    FEEDBACK = "feedback", _("Resident feedback")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    ESCALATED = "escalated", _("Escalated")
    NOTE = "note", _("Note")
    SUPPORTED = "supported", _("Another resident reported the same")


class CaseEvent(models.Model):
    """One step on a case's timeline, written by the workflow service with the transition."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    status_after = models.CharField(_("status"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit acting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("from unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("to unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    public = models.BooleanField(_("shown to the resident"), default=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="caseevent_case_idx"),
            models.Index(fields=["kind", "created_at"], name="caseevent_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.tracking_code} {self.kind}"


class Reply(models.Model):
    """A written answer to the resident; the resolving reply says what was done."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("reply"), max_length=4000)
    is_resolution = models.BooleanField(_("resolution"), default=False)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case.tracking_code}: {self.body[:40]}"


class Solved(models.TextChoices):
    YES = "yes", _("Solved")
    PARTLY = "partly", _("Partly solved")
    NO = "no", _("Not solved")


class Satisfaction(models.IntegerChoices):
    """The five-level 好差评 scale."""

    VERY_SATISFIED = 5, _("Very satisfied")
    SATISFIED = 4, _("Satisfied")
    ACCEPTABLE = 3, _("Acceptable")
    DISSATISFIED = 2, _("Dissatisfied")
    VERY_DISSATISFIED = 1, _("Very dissatisfied")


class FeedbackChannel(models.TextChoices):
    TRACKING = "tracking", _("Tracking page")
    PHONE = "phone", _("Phone call by staff")


class Feedback(models.Model):
    """The resident's answer after a resolution (回访): solved? and how satisfied."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="feedback"
    )
    solved = models.CharField(_("solved?"), max_length=8, choices=Solved.choices)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), choices=Satisfaction.choices, null=True, blank=True
    )
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=FeedbackChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "round"], name="feedback_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.case.tracking_code}: {self.solved}"


class EscalationReason(models.TextChoices):
    RESPOND_OVERDUE = "respond_overdue", _("Not accepted in time")
    RESOLVE_OVERDUE = "resolve_overdue", _("Not resolved in time")


class Escalation(models.Model):
    """督办: a missed deadline sent up to the supervisor of the unit holding the case, once."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="escalations"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=EscalationReason.choices)
    deadline = models.DateTimeField(_("missed deadline"))
    from_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("escalated from"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("escalated to"),
        on_delete=models.PROTECT,
        related_name="escalations_received",
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "reason", "deadline"], name="escalation_once_per_deadline"
            )
        ]
        indexes = [models.Index(fields=["to_unit", "created_at"], name="escalation_to_idx")]

    def __str__(self) -> str:
        return f"{self.case.tracking_code} → {self.to_unit}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.submitted_at:%Y/%m}/{instance.sha256}.{instance.extension}"


class Attachment(models.Model):
    """A photo sent with a case; its type was recognised from its content, not its name."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.case.tracking_code} {self.content_type}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
            self.content_type, "bin"
        )


class ResponseTemplate(TimeStampedModel):
    """A reusable reply opening, kept by a unit (or the district for everyone below)."""

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="response_templates"
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=2000)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """An in-app message to a staff member; e-mailed too when they have an address."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    verb = models.CharField(_("what"), max_length=30)
    message = models.CharField(_("message"), max_length=300)
    # Where a notification without a case opens (a page the recipient may see, e.g. a misconduct
    # report for its inspectors), as a site path; empty: it opens nothing.
    link = models.CharField(_("link"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx"
            )
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def url(self) -> str:
        """The page the notification opens: its case's, else its link; "" for none."""
        if self.case_id is not None:
            return reverse("case_detail", args=[self.case_id])
        return self.link


class RateTally(models.Model):
    """One unit's own counts behind the case rates for one calendar month (docs/SCORING.md,
    "Stored tallies"): what `jiceng.cases.rates.Tally` holds, written for every unit, zeros
    included, by `rate_services.rate_tallies_rebuild`. Subtree figures add them up.

    `handling_histogram` holds the handling times, JSON text `{"tenths of an hour": cases}`,
    each time rounded down to a tenth of an hour (6 minutes); the median is taken from it.
    """

    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"))  # the first day of the month, local time
    built_at = models.DateTimeField(_("built at"))
    responded_in_time = models.PositiveIntegerField(_("responded in time"), default=0)
    due_response = models.PositiveIntegerField(_("due response"), default=0)
    solved = models.PositiveIntegerField(_("reported solved"), default=0)
    answered = models.PositiveIntegerField(_("feedback answered"), default=0)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    resolved_in_time = models.PositiveIntegerField(_("resolved in time"), default=0)
    resolved = models.PositiveIntegerField(_("resolved"), default=0)
    closed_no_feedback = models.PositiveIntegerField(_("closed without feedback"), default=0)
    closed = models.PositiveIntegerField(_("cases closed"), default=0)
    handling_histogram = models.TextField(_("handling times"), default="{}")

    class Meta:
        verbose_name = _("rate tally")
        verbose_name_plural = _("rate tallies")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="rate_tally_once_per_month")
        ]
        indexes = [models.Index(fields=["month"], name="rate_tally_month_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m}"
