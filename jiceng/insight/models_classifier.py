"""Case classification: trained model versions, predictions per case, staff corrections.

The model file itself lives under `settings.CLASSIFIER_DIR` (var/models/ by default); its row
here keeps the version, the file's SHA-256 (checked before loading), the metrics measured when
it was trained, and whether it is the one in use. See docs/INSIGHT.md, "Classification".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.cases.models import Case, Category
from jiceng.orgs.models import OrgUnit

__all__ = ["CategoryCorrection", "CategoryPrediction", "ClassifierModel", "PredictionSource"]


class ClassifierModel(models.Model):
    """One trained version of the category classifier; at most one is active."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    path = models.CharField(_("file"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    sample_count = models.PositiveIntegerField(_("training requests"), default=0)
    trained_at = models.DateTimeField(_("trained at"), default=timezone.now)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trained by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    active = models.BooleanField(_("in use"), default=False)

    class Meta:
        verbose_name = _("classifier model")
        verbose_name_plural = _("classifier models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="classifier_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"classifier v{self.version}"


class PredictionSource(models.TextChoices):
    """Who chose the case's category at intake."""

    PERSON = "person", _("Chosen by the resident or staff")
    AUTO = "auto", _("Set by the classifier")
    FALLBACK = "fallback", _("Left for staff to choose")


class CategoryPrediction(models.Model):
    """The classifier's three best categories for a case when it came in, with confidences."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="category_prediction", verbose_name=_("case")
    )
    model = models.ForeignKey(
        ClassifierModel,
        verbose_name=_("model"),
        on_delete=models.PROTECT,
        related_name="predictions",
    )
    # [{"category": id, "confidence": 0.0-1.0}, ...], best first.
    suggestions = models.JSONField(_("suggestions"), default=list)
    category = models.ForeignKey(
        Category,
        verbose_name=_("predicted category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    confidence = models.FloatField(_("confidence"))
    source = models.CharField(
        _("category chosen"),
        max_length=10,
        choices=PredictionSource.choices,
        default=PredictionSource.PERSON,
    )
    created_at = models.DateTimeField(_("predicted at"), default=timezone.now)

    class Meta:
        verbose_name = _("category prediction")
        verbose_name_plural = _("category predictions")
        indexes = [models.Index(fields=["model", "source"], name="catpred_model_source_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.category_id} ({self.confidence:.2f})"


class CategoryCorrection(models.Model):
    """Staff changed a case's category: the new one is training data for the next model."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="category_corrections", verbose_name=_("case")
    )
    from_category = models.ForeignKey(
        Category, verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_category = models.ForeignKey(
        Category, verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    predicted = models.ForeignKey(
        Category,
        verbose_name=_("predicted"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
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
    created_at = models.DateTimeField(_("corrected at"), default=timezone.now)

    class Meta:
        verbose_name = _("category correction")
        verbose_name_plural = _("category corrections")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["case", "created_at"], name="catcorr_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_category_id} → {self.to_category_id}"
