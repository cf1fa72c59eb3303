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


# What each flag means, for the badge's tooltip on the staff case page.
FLAG_HELP = {
    ReplyFlag.ACKNOWLEDGEMENT_ONLY: _(
        "The reply only confirms receipt, forwards or thanks; it says nothing done for the "
        "resident."
    ),
    ReplyFlag.BOILERPLATE: _(
        "Nearly the same text was given earlier to a different, unrelated request."
    ),
    ReplyFlag.OFF_TOPIC: _("Few of the words of the request appear in the reply."),
    ReplyFlag.INCOMPLETE: _(
        "The reply says fewer than two of: what was done, by whom, when, what happens next."
    ),
    ReplyFlag.IMPOLITE: _(
        "No greeting or thanks, stock phrases, very long sentences or a rebuke of the resident."
    ),
    ReplyFlag.LATE: _("The reply came after the request's deadline."),
}
COMPONENT_LABELS = (
    ("relevance", _("relevance")),
    ("completeness", _("completeness")),
    ("politeness", _("politeness and plain language")),
    ("timeliness", _("timeliness")),
    ("originality", _("originality")),
)


class ReplyScore(models.Model):
    """The quality of one resolution reply; components 0–1, total 0–100."""

    reply = models.OneToOneField(
        "cases.Reply", on_delete=models.CASCADE, related_name="quality", verbose_name=_("reply")
    )
    # Copied from the reply so that per-unit, per-period shares need no join.
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
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
    fingerprint = models.JSONField(_("reply fingerprint"), default=list, blank=True, editable=False)
    request_fingerprint = models.JSONField(
        _("request fingerprint"), default=list, blank=True, editable=False
    )
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

    def flag_items(self) -> list[tuple[str, str, str]]:
        """(code, label, explanation) of each flag, for display."""
        items = []
        for code in self.flags:
            if code in ReplyFlag.values:
                flag = ReplyFlag(code)
                items.append((code, str(flag.label), str(FLAG_HELP[flag])))
        return items

    def component_items(self) -> list[tuple[str, str, int]]:
        """(code, label, percent) of each component, for display."""
        return [
            (code, str(label), round(100 * getattr(self, code))) for code, label in COMPONENT_LABELS
        ]

    @property
    def level(self) -> str:
        """A colour for the total: poor when perfunctory (which every total under the perfunctory
        line is), good from 75, fair between."""
        if self.perfunctory:
            return "poor"
        return "good" if self.total >= 75 else "fair"
