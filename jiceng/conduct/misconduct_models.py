"""Misconduct reports (作风问题举报): apart from cases, seen only by discipline inspectors.

The reporter is identified by nothing but a receipt code (and, when anonymous, a passphrase kept
as a slow hash). Named reporters' contact details are Fernet-encrypted at rest.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel

__all__ = [
    "MisconductEvent",
    "MisconductEvidence",
    "MisconductKind",
    "MisconductOutcome",
    "MisconductReport",
    "MisconductStatus",
]


class MisconductKind(models.TextChoices):
    EXTORTION = "extortion", _("Extortion or bribe-taking")
    SHIRKING = "shirking", _("Shirking and bouncing")
    OBSTRUCTION = "obstruction", _("Hard to enter, cold faces, hard to get done")
    FALSIFICATION = "falsification", _("Falsification")
    OTHER = "other", _("Other")


class MisconductStatus(models.TextChoices):
    NEW = "new", _("Received")
    ACCEPTED = "accepted", _("Under investigation")
    NOT_IN_SCOPE = "not_in_scope", _("Not in scope")
    CONCLUDED = "concluded", _("Concluded")


class MisconductOutcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("Substantiated")
    PARTLY = "partly", _("Partly substantiated")
    NOT_SUBSTANTIATED = "not_substantiated", _("Not substantiated")


class MisconductReport(TimeStampedModel):
    # SHA-256 of the receipt code: the code itself is only ever shown to the reporter.
    receipt_digest = models.CharField(_("receipt code hash"), max_length=64, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=MisconductKind.choices)
    accused_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit concerned"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The unit whose discipline inspectors handle the report (the level above the accused one).
    handling_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The accused unit's path when the report was filed: scoping by subtree uses it.
    accused_path = models.CharField(_("path of the unit concerned"), max_length=255, db_index=True)
    accused_person = models.CharField(_("person concerned"), max_length=100, blank=True)
    details = models.TextField(_("details"), max_length=4000)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    contact_encrypted = models.BinaryField(_("contact (encrypted)"), null=True, blank=True)
    passphrase_hash = models.CharField(_("passphrase hash"), max_length=256, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=MisconductStatus.choices, default=MisconductStatus.NEW
    )
    outcome = models.CharField(
        _("outcome"), max_length=24, choices=MisconductOutcome.choices, blank=True
    )
    action_taken = models.TextField(_("action taken"), blank=True)

    class Meta:
        verbose_name = _("misconduct report")
        verbose_name_plural = _("misconduct reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["accused_path", "status"], name="misconduct_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"MR-{self.pk}"


class MisconductEvidence(models.Model):
    report = models.ForeignKey(
        MisconductReport,
        verbose_name=_("misconduct report"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    content_type = models.CharField(_("type"), max_length=64)
    data = models.BinaryField(_("file content"))
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("misconduct evidence")
        verbose_name_plural = _("misconduct evidence")

    def __str__(self) -> str:
        return f"{self.content_type} ({self.size} B)"


class MisconductEvent(models.Model):
    """One step of a report's timeline. `public` steps are shown to the reporter."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Report filed")
        ACCEPTED = "accepted", _("Accepted for investigation")
        NOT_IN_SCOPE = "not_in_scope", _("Not in scope")
        NOTE = "note", _("Investigation note")
        OUTCOME = "outcome", _("Outcome recorded")
        REPLY = "reply", _("Reply to the reporter")
        INFO = "info", _("Information added by the reporter")

    report = models.ForeignKey(
        MisconductReport,
        verbose_name=_("misconduct report"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    public = models.BooleanField(_("shown to the reporter"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("misconduct report event")
        verbose_name_plural = _("misconduct report events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.get_kind_display()
