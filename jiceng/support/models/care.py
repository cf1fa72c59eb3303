"""Care lists (结对帮扶 / 关爱对象): households that need personalised service.

A care target is a household on a unit's care list, paired with members responsible for it and
visited on a schedule. Its personal data (name, address, phone, the last four characters of an
ID card number, never a full one) is seen only by the unit's staff and those above it.
`next_due_on` is the schedule's next due date, computed by `care_schedule.next_due` whenever a
visit or the schedule changes; "overdue" is computed from it at read time.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel

__all__ = [
    "CareCategory",
    "CareNeed",
    "CareTarget",
    "CareVisit",
    "VisitForm",
    "VisitFrequency",
]

CARE_PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$"
care_phone_validator = RegexValidator(
    CARE_PHONE_PATTERN,
    _("Enter a mobile number (11 digits) or a landline number, such as 010-12345678."),
)
id_fragment_validator = RegexValidator(
    r"^\d{3}[\dX]$",
    _("Enter only the last 4 characters of the ID card number: 4 digits, or 3 digits and X."),
)


class CareCategory(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    DISABLED = "disabled", _("Person with a disability")
    LOW_INCOME = "low_income", _("Low-income household")
    HEALTH_OBSERVATION = "health_observation", _("Under home health observation")
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    OTHER = "other", _("Other")


class VisitFrequency(models.TextChoices):
    EVERY_N_DAYS = "days", _("Every N days")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class VisitForm(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    OTHER = "other", _("Other")


class CareTarget(TimeStampedModel):
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="care_targets",
    )
    # The unit's path: scoping by subtree is a prefix query on it.
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    category = models.CharField(_("category"), max_length=24, choices=CareCategory.choices)
    name = models.CharField(_("name"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(
        _("phone"), max_length=20, blank=True, validators=[care_phone_validator]
    )
    id_last4 = models.CharField(
        _("ID card number, last 4 characters"),
        max_length=4,
        blank=True,
        validators=[id_fragment_validator],
    )
    notes = models.TextField(_("notes"), max_length=1000, blank=True)
    responsible = models.ManyToManyField(
        "orgs.Membership",
        verbose_name=_("members responsible"),
        related_name="care_targets",
        blank=True,
    )
    frequency = models.CharField(
        _("visit frequency"),
        max_length=8,
        choices=VisitFrequency.choices,
        default=VisitFrequency.MONTHLY,
    )
    interval_days = models.PositiveSmallIntegerField(
        _("every how many days"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
    first_due_on = models.DateField(_("first visit due on"))
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    next_due_on = models.DateField(_("next visit due"))
    is_active = models.BooleanField(_("on the care list"), default=True)
    closed_on = models.DateField(_("taken off the list on"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("care target")
        verbose_name_plural = _("care targets")
        ordering = ["unit_path", "name", "pk"]
        indexes = [
            models.Index(
                fields=["is_active", "next_due_on", "unit_path"], name="care_target_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} #{self.pk}"


class CareVisit(TimeStampedModel):
    target = models.ForeignKey(
        CareTarget, verbose_name=_("care target"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("date of the visit"))
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    form = models.CharField(_("form"), max_length=8, choices=VisitForm.choices)
    findings = models.TextField(_("what was found"), max_length=2000)

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["target", "visited_on"], name="care_visit_target_idx")]

    def __str__(self) -> str:
        return f"{self.target} · {self.visited_on}"


class CareNeed(models.Model):
    """A need raised during a visit; it may become a case (`case`), once."""

    visit = models.ForeignKey(
        CareVisit, verbose_name=_("care visit"), on_delete=models.PROTECT, related_name="needs"
    )
    text = models.CharField(_("need"), max_length=500)
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_need",
    )
    case_raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("turned into a request by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("need raised")
        verbose_name_plural = _("needs raised")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text[:50]
