"""Service conduct (改进服务作风): supervision and rectification; later misconduct reports.

A rectification item (整改事项) is what a finding turns into: someone at the unit owns it, reports
progress against a deadline, and the supervisor verifies it or returns it. Findings come from
supervision visits and from venue spot checks (`source_kind`, `source_id` say which).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    REPORTED = "reported", _("Reported done")
    VERIFIED = "verified", _("Verified")
    RETURNED = "returned", _("Returned")


class RectificationItem(TimeStampedModel):
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="rectification_items",
    )
    # The unit's path when the item was opened: scoping by subtree uses it.
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source_kind = models.CharField(_("source"), max_length=32)
    source_id = models.PositiveBigIntegerField(_("source record"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deadline = models.DateTimeField(_("deadline"))
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RectificationStatus.choices,
        default=RectificationStatus.OPEN,
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["source_kind", "source_id"], name="rectification_source_idx"),
            models.Index(fields=["status", "deadline"], name="rectification_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status == RectificationStatus.VERIFIED

    @property
    def awaits_unit(self) -> bool:
        """Open or returned: the unit has work to do on it."""
        return self.status in UNIT_STATUSES

    def overdue_at(self, moment: datetime) -> bool:
        """Past its deadline while the unit still has work to do (computed, never stored)."""
        return self.awaits_unit and self.deadline < moment

    @property
    def is_overdue(self) -> bool:
        return self.overdue_at(timezone.now())


# The statuses in which the unit has work to do; only these escalate and count as overdue.
UNIT_STATUSES = (RectificationStatus.OPEN, RectificationStatus.RETURNED)


class RectificationEventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    PROGRESS = "progress", _("Progress reported")
    REPORTED = "reported", _("Reported done")
    VERIFIED = "verified", _("Verified")
    RETURNED = "returned", _("Returned")
    ESCALATED = "escalated", _("Escalated")


class RectificationEvent(models.Model):
    """One step in an item's timeline: who did what, when, with which note. Append-only."""

    item = models.ForeignKey(
        RectificationItem,
        verbose_name=_("rectification item"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("what"), max_length=16, choices=RectificationEventKind.choices)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit acting"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    status_after = models.CharField(
        _("status after"), max_length=16, choices=RectificationStatus.choices
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("rectification event")
        verbose_name_plural = _("rectification events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["item", "created_at"], name="rectification_event_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind}"


def evidence_path(instance: RectificationEvidence, filename: str) -> str:
    return f"conduct/evidence/{instance.event.created_at:%Y/%m}/{filename}"


class RectificationEvidence(models.Model):
    """A file sent with a progress report; its type was recognised from its content."""

    event = models.ForeignKey(
        RectificationEvent,
        verbose_name=_("progress report"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class Inspection(TimeStampedModel):
    """A supervision visit (督导) by a supervisor to a unit below them."""

    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit visited"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    visited_on = models.DateField(_("date of the visit"))
    people_met = models.CharField(_("people met"), max_length=300)
    checked = models.TextField(_("what was checked"))
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    supervisor_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("supervising unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("supervision visit")
        verbose_name_plural = _("supervision visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["unit_path", "visited_on"], name="inspection_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.visited_on:%Y-%m-%d}"


class InspectionFinding(models.Model):
    """One thing found wrong on a visit; it becomes a rectification item (source "supervision")."""

    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("supervision visit"),
        on_delete=models.CASCADE,
        related_name="findings",
    )
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    title = models.CharField(_("finding"), max_length=200)
    note = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["inspection", "position", "pk"]

    def __str__(self) -> str:
        return self.title


def finding_photo_path(instance: FindingPhoto, filename: str) -> str:
    return f"conduct/findings/{instance.created_at:%Y/%m}/{filename}"


class FindingPhoto(models.Model):
    """A photo taken for a finding: recognised by content and re-encoded (cases.photos)."""

    finding = models.ForeignKey(
        InspectionFinding,
        verbose_name=_("finding"),
        on_delete=models.CASCADE,
        related_name="photos",
    )
    file = models.FileField(_("file"), upload_to=finding_photo_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.content_type}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
            self.content_type, "bin"
        )


from jiceng.conduct.misconduct_models import *  # noqa: F403,E402
from jiceng.conduct.reply_quality_models import *  # noqa: F403,E402
