"""Reply quality (做给别人看): the stored scores of each resolution reply.

Scores are computed by the pure functions in ``reply_quality.py`` and stored here so that the
reply page, the conduct dashboard and evaluation schemes read them without recomputing.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReplyFlag(models.TextChoices):
    ACKNOWLEDGEMENT_ONLY = "ack_only", _("acknowledgement only")
    BOILERPLATE = "boilerplate", _("reused across unrelated requests")
    OFF_TOPIC = "off_topic", _("does not address the request")
    INCOMPLETE = "incomplete", _("does not say what was done, by whom, when or what next")
    IMPOLITE = "impolite", _("impolite or bureaucratic wording")
    LATE = "late", _("after the deadline")


class ReplyScore(models.Model):
    """The quality of one resolution reply; components 0–1, total 0–100."""

    reply = models.OneToOneField(
        "cases.Reply", on_delete=models.CASCADE, related_name="quality", verbose_name=_("reply")
    )
    # Copied from the reply so that per-unit, per-period shares need no join.
    unit = models.ForeignKey("orgs.OrgUnit", on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField(_("replied at"))
    relevance = models.FloatField(_("relevance"))
    completeness = models.FloatField(_("completeness"))
    politeness = models.FloatField(_("politeness and plain language"))
    timeliness = models.FloatField(_("timeliness"))
    originality = models.FloatField(_("originality"))
    total = models.FloatField(_("reply quality"))
    flags = models.JSONField(_("flags"), default=list, blank=True)
    perfunctory = models.BooleanField(_("perfunctory"), default=False)
    # Highest similarity to an earlier reply to an unrelated request (0–1), kept for the badge.
    reuse = models.FloatField(_("similarity to an earlier reply"), default=0.0)
    # MinHash signatures (reply_quality.minhash) of the reply and of its request, so that later
    # replies are compared with this one without reading the texts again.
    fingerprint = models.JSONField(default=list, blank=True, editable=False)
    request_fingerprint = models.JSONField(default=list, blank=True, editable=False)
    method = models.PositiveSmallIntegerField(_("scoring method version"), default=1)
    scored_at = models.DateTimeField(_("scored at"))

    class Meta:
        verbose_name = _("reply score")
        verbose_name_plural = _("reply scores")
        indexes = [
            models.Index(fields=["unit", "replied_at"], name="replyscore_unit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reply_id}: {self.total:.0f}"
