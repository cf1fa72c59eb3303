"""Staff and equipment (工作力量 / 物质设备): each unit's roster with training records, and its
equipment inventory with the dates of its checks."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel

__all__ = [
    "Employment",
    "Equipment",
    "EquipmentCondition",
    "EquipmentKind",
    "StaffMember",
    "TrainingRecord",
]

# A mainland mobile number, or a landline with or without its area code.
CONTACT_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
contact_phone_validator = RegexValidator(
    CONTACT_PHONE,
    _("Enter a mobile number such as 13800138000 or a landline such as 010-12345678."),
)


class Employment(models.TextChoices):
    FULL_TIME = "full_time", _("Full time")
    PART_TIME = "part_time", _("Part time")


class StaffMember(TimeStampedModel):
    """Someone who serves residents for the unit (not necessarily a platform user)."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=50)
    position = models.CharField(_("position"), max_length=50)
    employment = models.CharField(_("employment"), max_length=12, choices=Employment.choices)
    phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[contact_phone_validator]
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    # Someone who leaves stays on record: history (trainings, ledgers) keeps pointing at them.
    left_on = models.DateField(_("left on"), null=True, blank=True)
    left_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff roster")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["unit", "left_on"], name="staff_unit_left_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class TrainingRecord(models.Model):
    staff = models.ForeignKey(
        StaffMember,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=200)
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0.5), MaxValueValidator(200)],
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.date} {self.topic}"


class EquipmentKind(models.TextChoices):
    OFFICE = "office", _("Office equipment")
    COMPUTING = "computing", _("Computers and network")
    AUDIO_VISUAL = "audio_visual", _("Audio and video")
    FURNITURE = "furniture", _("Furniture")
    MEDICAL = "medical", _("First aid and health")
    FITNESS = "fitness", _("Fitness and recreation")
    SAFETY = "safety", _("Fire and safety")
    OTHER = "other", _("Other equipment")


class EquipmentCondition(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Usable, worn")
    NEEDS_REPAIR = "needs_repair", _("Needs repair")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")
    RETIRED = "retired", _("Retired")


class Equipment(TimeStampedModel):
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=EquipmentKind.choices)
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(100_000)]
    )
    condition = models.CharField(_("condition"), max_length=16, choices=EquipmentCondition.choices)
    last_checked_on = models.DateField(_("last checked on"), null=True, blank=True)
    next_check_due = models.DateField(_("next check due"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["unit", "next_check_due"], name="equipment_unit_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_check_due__isnull=True)
                | Q(last_checked_on__isnull=True)
                | Q(next_check_due__gte=models.F("last_checked_on")),
                name="equipment_due_after_check",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def check_overdue(self, today: date) -> bool:
        """Its next check is past due (retired equipment is checked no more)."""
        return (
            self.condition != EquipmentCondition.RETIRED
            and self.next_check_due is not None
            and self.next_check_due < today
        )
