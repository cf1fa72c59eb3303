"""Service conduct (改进服务作风): supervision and rectification; later misconduct reports.

A rectification item (整改事项) is what a finding turns into: someone at the unit owns it, reports
progress against a deadline, and the supervisor verifies it or returns it. Findings come from
supervision visits and from venue spot checks (`source_kind`, `source_id` say which).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
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
    unit_path = models.CharField(max_length=255, db_index=True)
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
        ]

    def __str__(self) -> str:
        return self.title
