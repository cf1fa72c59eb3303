"""Routing by address (the gazetteer) and duplicate requests (index, "me too" support).

Kept apart from cases' own models: each row here is keyed by a case, so the case table and
its services stay as they are.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.cases.models import Case
from jiceng.core.models import TimeStampedModel
from jiceng.orgs.models import OrgUnit

__all__ = [
    "CaseRouting",
    "CaseSupport",
    "DuplicateSignature",
    "DuplicateTerm",
    "GazetteerEntry",
    "PlaceKind",
    "RoutingMethod",
]


class PlaceKind(models.TextChoices):
    ROAD = "road", _("Road or street (with number ranges)")
    ESTATE = "estate", _("Estate (小区)")
    BUILDINGS = "buildings", _("Building range of an estate")
    VILLAGE = "village", _("Village or hamlet")
    LANDMARK = "landmark", _("Landmark")


class GazetteerEntry(TimeStampedModel):
    """A place name residents write in addresses, and the unit it belongs to.

    `number_from`–`number_to` narrow a road to house numbers (柳岸路1—99号) or an estate to
    buildings (柳岸花园1—14幢); both empty means the whole place.
    """

    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="gazetteer_entries",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=60)
    aliases = models.CharField(
        _("other names"),
        max_length=300,
        blank=True,
        help_text=_("Other names residents use, separated by commas."),
    )
    number_from = models.PositiveIntegerField(_("from number"), null=True, blank=True)
    number_to = models.PositiveIntegerField(_("to number"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gazetteer entry")
        verbose_name_plural = _("gazetteer entries")
        ordering = ["unit__path", "kind", "name", "number_from"]
        indexes = [models.Index(fields=["unit", "is_active"], name="gazetteer_unit_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_from__isnull=True, number_to__isnull=True)
                | Q(
                    number_from__isnull=False,
                    number_to__isnull=False,
                    number_from__lte=F("number_to"),
                ),
                name="gazetteer_number_range",
            )
        ]

    def __str__(self) -> str:
        if self.number_from is not None:
            return f"{self.name} {self.number_from}–{self.number_to}"
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [
            alias.strip() for alias in self.aliases.replace("，", ",").split(",") if alias.strip()
        ]


class RoutingMethod(models.TextChoices):
    ADDRESS = "address", _("Matched from the address")
    CHOSEN = "chosen", _("As the resident chose")
    TRIAGE = "triage", _("Needs routing: address not recognised")


class CaseRouting(models.Model):
    """How a new case was placed: the matched gazetteer entry, the confidence, a conflict."""

    case = models.OneToOneField(
        Case,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="routing",
    )
    method = models.CharField(_("routing"), max_length=10, choices=RoutingMethod.choices)
    confidence = models.DecimalField(_("confidence"), max_digits=4, decimal_places=3)
    entry = models.ForeignKey(
        GazetteerEntry,
        verbose_name=_("matched place"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    chosen_area = models.ForeignKey(
        OrgUnit,
        verbose_name=_("community chosen by the resident"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    matched_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit of the address"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contradicts = models.BooleanField(_("address contradicts the chosen community"), default=False)
    needs_routing = models.BooleanField(_("needs routing"), default=False)
    street_path = models.CharField(_("street path"), max_length=255, db_index=True)

    class Meta:
        verbose_name = _("case routing")
        verbose_name_plural = _("case routings")
        indexes = [
            models.Index(
                fields=["street_path"],
                condition=Q(needs_routing=True),
                name="routing_triage_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.method} {self.confidence}"


class DuplicateSignature(models.Model):
    """A case's words for similarity (hashes of its distinct content words, space-separated)."""

    case = models.OneToOneField(
        Case,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="duplicate_signature",
    )
    street_id = models.IntegerField(_("street ID"))
    day = models.IntegerField(_("day"))  # days since 1970-01-01 (UTC) of submission
    terms = models.TextField(_("word hashes"))

    class Meta:
        verbose_name = _("duplicate signature")
        verbose_name_plural = _("duplicate signatures")

    def __str__(self) -> str:
        return str(self.case_id)


class DuplicateTerm(models.Model):
    """Inverted index of the case's most telling words, by street and day.

    A lookup reads, for each word of the new text, the cases of the same street of the last
    weeks that have it: its cost follows the number of candidates, not the size of the table.
    """

    street_id = models.IntegerField(_("street ID"))
    term = models.IntegerField(_("word hash"))
    day = models.IntegerField(_("day"))
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("duplicate index term")
        verbose_name_plural = _("duplicate index terms")
        indexes = [
            models.Index(fields=["street_id", "term", "day", "case"], name="duplicate_term_idx"),
            models.Index(fields=["case"], name="duplicate_term_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.case_id}"


class CaseSupport(models.Model):
    """ "Me too" (我也遇到): a resident backs an open case instead of filing it again."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="supports"
    )
    resident_hash = models.CharField(_("resident hash"), max_length=64)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "resident_hash"], name="support_once_per_resident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} +1"
