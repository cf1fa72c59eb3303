"""Service venues (阵地): registry, posted hours, duty roster, check-ins, activities, spot checks.

A venue's posted hours are a weekly schedule (`OpeningPeriod`, several a day, overnight allowed)
corrected by dated exceptions (`HoursException`); official holidays close it unless an exception
says otherwise. The maths is in `jiceng.support.hours`, which works on plain data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core.models import TimeStampedModel

__all__ = [
    "ActivityKind",
    "Condition",
    "DutyShift",
    "HoursException",
    "OpeningPeriod",
    "ServiceUsed",
    "SpotCheck",
    "Venue",
    "VenueActivity",
    "VenueCheckIn",
    "VenueKind",
    "VenuePhoto",
]


class VenueKind(models.TextChoices):
    SERVICE_CENTRE = "service_centre", _("Party-mass service centre")
    ACTIVITY_ROOM = "activity_room", _("Activity room")
    READING_ROOM = "reading_room", _("Reading room")
    ELDERLY_CENTRE = "elderly_centre", _("Day-care centre for the elderly")
    OTHER = "other", _("Other venue")


class ServiceUsed(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    ACTIVITY = "activity", _("Taking part in an activity")
    STUDY = "study", _("Study or reading")
    PAPERWORK = "paperwork", _("Help with paperwork")
    OTHER = "other", _("Something else")


class ActivityKind(models.TextChoices):
    ORG_LIFE = "org_life", _("Organisational life meeting")
    STUDY = "study", _("Study session")
    VOLUNTEER = "volunteer", _("Volunteer service")
    CONSULTATION = "consultation", _("Residents' consultation")
    OTHER = "other", _("Other activity")


class Condition(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


class Venue(TimeStampedModel):
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="venues"
    )
    # The unit's path when the venue was registered: scoping by subtree uses it.
    unit_path = models.CharField(_("unit path"), max_length=255, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=VenueKind.choices)
    address = models.CharField(_("address"), max_length=200)
    area_m2 = models.DecimalField(
        _("area (m²)"),
        max_digits=8,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    capacity = models.PositiveIntegerField(
        _("capacity (people)"), validators=[MinValueValidator(1), MaxValueValidator(10_000)]
    )
    facilities = models.TextField(_("facilities"), blank=True, max_length=2000)
    # Make-up working days (调休上班) follow the schedule of this weekday (0 = Monday).
    makeup_weekday = models.PositiveSmallIntegerField(
        _("make-up working days open like"), default=0, validators=[MaxValueValidator(6)]
    )
    # Utilisation counts posted hours from this day on (registration day unless given).
    in_service_since = models.DateField(_("in service since"))
    # The short random code in the check-in address printed on the poster.
    public_code = models.CharField(_("check-in code"), max_length=16, unique=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["unit_path", "name", "pk"]
        indexes = [models.Index(fields=["kind", "unit_path"], name="venue_kind_path_idx")]

    def __str__(self) -> str:
        return self.name


class OpeningPeriod(models.Model):
    """A posted period on a weekday; `closes` at or before `opens` runs into the next day."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="periods"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), validators=[MaxValueValidator(6)])
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening period")
        verbose_name_plural = _("opening periods")
        ordering = ["venue", "weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class HoursException(models.Model):
    """A dated change: closed all day (no times), or special periods replacing the week's."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField(_("date"))
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("exception to the hours")
        verbose_name_plural = _("exceptions to the hours")
        ordering = ["venue", "date", "opens"]
        indexes = [models.Index(fields=["venue", "date"], name="venue_exception_date_idx")]

    def __str__(self) -> str:
        return f"{self.date}"

    @property
    def closed(self) -> bool:
        return self.opens is None


def photo_path(instance: VenuePhoto, filename: str) -> str:
    return f"venues/{timezone.now():%Y/%m}/{instance.sha256}.{instance.extension}"


class VenuePhoto(models.Model):
    """A photo of a venue, of an activity held there, or taken at a spot check."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="photos"
    )
    activity = models.ForeignKey(
        "support.VenueActivity",
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    spot_check = models.ForeignKey(
        "support.SpotCheck",
        verbose_name=_("spot check"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    file = models.FileField(_("file"), upload_to=photo_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("venue photo")
        verbose_name_plural = _("venue photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.content_type}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(
            self.content_type, "bin"
        )


class DutyShift(models.Model):
    """Who is on duty at the venue, from when to when."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="shifts"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person on duty"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["venue", "starts_at"], name="venue_shift_start_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.starts_at:%Y-%m-%d %H:%M}"


class VenueCheckIn(models.Model):
    """A resident's check-in by the venue's QR code; only keyed hashes identify repeats."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="checkins"
    )
    at = models.DateTimeField(_("time"))
    service = models.CharField(
        _("service used"), max_length=20, choices=ServiceUsed.choices, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    # Whether the venue was posted open at that moment.
    within_hours = models.BooleanField(_("during posted hours"), default=False)
    device_hash = models.CharField(_("device hash"), max_length=64, blank=True)
    address_hash = models.CharField(_("network address hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["venue", "at"], name="checkin_venue_at_idx"),
            models.Index(fields=["venue", "device_hash", "at"], name="checkin_device_idx"),
            models.Index(fields=["address_hash", "at"], name="checkin_address_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.at:%Y-%m-%d %H:%M}"


class VenueActivity(TimeStampedModel):
    """An activity held at a venue; closing it turns the log into the meeting's record."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    topic = models.CharField(_("topic"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    attendance = models.PositiveIntegerField(
        _("attendance"), validators=[MaxValueValidator(10_000)]
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members attending"), blank=True, related_name="+"
    )
    minutes = models.TextField(_("minutes"), blank=True, max_length=20_000)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=5000)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["venue", "starts_at"], name="activity_venue_start_idx")]

    def __str__(self) -> str:
        return self.topic

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class SpotCheck(models.Model):
    """An unannounced visit by a supervisor from above the venue's unit."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.PROTECT, related_name="spot_checks"
    )
    checked_at = models.DateTimeField(_("time of the visit"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspector_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("inspector's unit"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Computed from the posted hours at the time of the visit.
    within_hours = models.BooleanField(_("during posted hours"))
    found_open = models.BooleanField(_("found open"))
    staff_present = models.PositiveSmallIntegerField(
        _("staff present"), validators=[MaxValueValidator(500)]
    )
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    rectification = models.ForeignKey(
        "conduct.RectificationItem",
        verbose_name=_("rectification item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-checked_at", "-pk"]
        indexes = [models.Index(fields=["venue", "checked_at"], name="spotcheck_venue_at_idx")]

    def __str__(self) -> str:
        return f"{self.venue_id} {self.checked_at:%Y-%m-%d %H:%M}"

    @property
    def closed_during_hours(self) -> bool:
        return self.within_hours and not self.found_open
