"""Every write about venues: registry, hours, roster, check-ins, activities and spot checks.

Each service is one transaction: it checks the actor's permission, validates everything before
it writes anything, and leaves an audit entry (`support.venue.<verb>`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.cases.photos import Photo, checked_photo
from jiceng.conduct.rectification_services import rectification_open
from jiceng.core import clock, privacy
from jiceng.core.actors import RESIDENT, Actor
from jiceng.core.audit import audit_log
from jiceng.core.calendar import get_calendar
from jiceng.core.errors import Conflict, DomainError, Forbidden, NotFound, validate_fields
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import UnitKind
from jiceng.support import hours
from jiceng.support.models import (
    ActivityKind,
    Condition,
    DutyShift,
    HoursException,
    OpeningPeriod,
    ServiceUsed,
    SpotCheck,
    Venue,
    VenueActivity,
    VenueCheckIn,
    VenueKind,
    VenuePhoto,
)
from jiceng.support.permissions_venues import may_manage, may_record, may_spot_check
from jiceng.support.venue_selectors import venue_schedule

MAX_PHOTOS = 6
PUBLIC_CODE_BYTES = 6  # 8 URL-safe characters: short enough for a small QR code
# Check-in limits: one per device per venue per window, and a daily cap per network address.
CHECKIN_DEVICE_WINDOW = timedelta(minutes=30)
CHECKIN_ADDRESS_PER_DAY = 40
# A spot check is recorded on the spot or soon after; a finding gets this many working days.
SPOT_CHECK_MAX_AGE = timedelta(days=7)
SPOT_CHECK_RECTIFY_WORKING_DAYS = 10
MAX_SHIFT = timedelta(hours=24)
MAX_ACTIVITY = timedelta(hours=24)


# --- helpers --------------------------------------------------------------------------------
def keyed_hash(purpose: str, value: str) -> str:
    return privacy.keyed_hash("jiceng.support.venue", purpose, value)


def _require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden()


def _text(value: str, *, field: str, limit: int, required: bool, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainError(message or _("This field is required."), field=field)
    if len(value) > limit:
        raise DomainError(
            _("Keep this under %(limit)d characters.") % {"limit": limit}, field=field
        )
    return value


def _choice(value: str, choices: type, *, field: str, blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in choices.values:  # type: ignore[attr-defined]
        raise DomainError(_("Choose one of the options offered."), field=field)
    return value


def _checked_photos(photos: Sequence[UploadedFile]) -> list[tuple[bytes, Photo]]:
    if len(photos) > MAX_PHOTOS:
        raise DomainError(
            _("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS}, field="photos"
        )
    return [checked_photo(photo) for photo in photos]


def _store_photos(
    checked: Sequence[tuple[bytes, Photo]],
    *,
    venue: Venue,
    activity: VenueActivity | None = None,
    spot_check: SpotCheck | None = None,
) -> list[VenuePhoto]:
    stored = []
    for content, photo in checked:
        row = VenuePhoto(
            venue=venue,
            activity=activity,
            spot_check=spot_check,
            content_type=photo.content_type,
            size=photo.size,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
        )
        row.file.save(f"{photo.sha256}.{row.extension}", ContentFile(content), save=False)
        row.save()
        stored.append(row)
    return stored


def _aware(moment: datetime, field: str) -> datetime:
    if timezone.is_naive(moment):
        raise DomainError(_("Enter a valid date and time."), field=field)
    return moment


# --- the registry ---------------------------------------------------------------------------
def _venue_fields(
    *,
    name: str,
    kind: str,
    address: str,
    area_m2: Decimal | int | str,
    capacity: int,
    facilities: str,
    makeup_weekday: int,
) -> dict[str, object]:
    name = _text(name, field="name", limit=100, required=True, message=_("Name the venue."))
    kind = _choice(kind, VenueKind, field="kind")
    address = _text(
        address, field="address", limit=200, required=True, message=_("Give the address.")
    )
    try:
        area = Decimal(str(area_m2)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Give the area in square metres."), field="area_m2") from None
    if not Decimal(1) <= area <= Decimal(100_000):
        raise DomainError(_("The area lies between 1 and 100,000 m²."), field="area_m2")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 10_000:
        raise DomainError(_("The capacity is a whole number from 1 to 10,000."), field="capacity")
    facilities = _text(facilities, field="facilities", limit=2000, required=False)
    if makeup_weekday not in range(7):
        raise DomainError(_("Choose one of the options offered."), field="makeup_weekday")
    return {
        "name": name,
        "kind": kind,
        "address": address,
        "area_m2": area,
        "capacity": capacity,
        "facilities": facilities,
        "makeup_weekday": makeup_weekday,
    }


@transaction.atomic
def venue_create(
    *,
    actor: Actor,
    unit: OrgUnit,
    name: str,
    kind: str,
    address: str,
    area_m2: Decimal | int | str,
    capacity: int,
    facilities: str = "",
    makeup_weekday: int = 0,
    in_service_since: date | None = None,
) -> Venue:
    """Register a venue of `unit` (which must lie in the actor's subtree).

    `in_service_since` (default: today) is the first day utilisation counts posted hours for.
    """
    _require(may_manage(actor))
    if not actor.system and (actor.unit is None or not unit.path.startswith(actor.unit.path)):
        raise Forbidden()
    if not unit.is_active:
        raise DomainError(_("This unit is no longer active."), field="unit")
    if unit.kind == UnitKind.GRID:
        raise DomainError(
            _("Venues belong to a community, village, street or the district, not to a grid."),
            field="unit",
        )
    fields = _venue_fields(
        name=name,
        kind=kind,
        address=address,
        area_m2=area_m2,
        capacity=capacity,
        facilities=facilities,
        makeup_weekday=makeup_weekday,
    )
    today = timezone.localdate(clock.now())
    since = in_service_since or today
    if since > today:
        raise DomainError(_("The venue must be in service already."), field="in_service_since")
    venue = Venue(
        unit=unit,
        unit_path=unit.path,
        public_code=secrets.token_urlsafe(PUBLIC_CODE_BYTES),
        in_service_since=since,
        **fields,
    )
    validate_fields(venue)
    venue.save()
    audit_log(
        actor=actor,
        action="support.venue.created",
        target=venue,
        data={
            "unit": unit.code,
            "name": venue.name,
            "kind": venue.kind,
            "in_service_since": since.isoformat(),
        },
    )
    return venue


@transaction.atomic
def venue_update(
    *,
    actor: Actor,
    venue: Venue,
    name: str,
    kind: str,
    address: str,
    area_m2: Decimal | int | str,
    capacity: int,
    facilities: str = "",
    makeup_weekday: int = 0,
    is_active: bool = True,
) -> Venue:
    _require(may_manage(actor, venue))
    fields = _venue_fields(
        name=name,
        kind=kind,
        address=address,
        area_m2=area_m2,
        capacity=capacity,
        facilities=facilities,
        makeup_weekday=makeup_weekday,
    )
    changed = {key: str(value) for key, value in fields.items() if getattr(venue, key) != value}
    for key, value in fields.items():
        setattr(venue, key, value)
    if venue.is_active != is_active:
        changed["is_active"] = str(is_active)
        venue.is_active = is_active
    validate_fields(venue)
    venue.save()
    audit_log(actor=actor, action="support.venue.updated", target=venue, data=changed)
    return venue


@transaction.atomic
def venue_photo_add(
    *, actor: Actor, venue: Venue, photos: Sequence[UploadedFile]
) -> list[VenuePhoto]:
    _require(may_manage(actor, venue))
    if not photos:
        raise DomainError(_("Choose at least one photo."), field="photos")
    checked = _checked_photos(photos)
    if venue.photos.filter(activity=None, spot_check=None).count() + len(checked) > MAX_PHOTOS:
        raise DomainError(
            _("A venue keeps at most %(count)d photos.") % {"count": MAX_PHOTOS}, field="photos"
        )
    stored = _store_photos(checked, venue=venue)
    audit_log(
        actor=actor,
        action="support.venue.photo_added",
        target=venue,
        data={"photos": [photo.sha256 for photo in stored]},
    )
    return stored


# --- posted hours ---------------------------------------------------------------------------
def _checked_periods(
    periods: Sequence[tuple[time, time]], *, field: str
) -> list[tuple[time, time]]:
    try:
        return hours.check_day_periods(periods)
    except ValueError:
        raise DomainError(
            _(
                "The periods of a day must not overlap, an overnight period must be the day's "
                "last, and a day has at most %(count)d periods."
            )
            % {"count": hours.MAX_PERIODS_PER_DAY},
            field=field,
        ) from None


@transaction.atomic
def venue_hours_set(
    *, actor: Actor, venue: Venue, weekly: Mapping[int, Sequence[tuple[time, time]]]
) -> Venue:
    """Replace the weekly schedule: periods per weekday (0 = Monday)."""
    _require(may_manage(actor, venue))
    if any(day not in range(7) for day in weekly):
        raise DomainError(_("Weekdays are numbered 0 (Monday) to 6 (Sunday)."), field="weekly")
    checked = {
        day: _checked_periods(periods, field=f"day_{day}") for day, periods in weekly.items()
    }
    OpeningPeriod.objects.filter(venue=venue).delete()
    OpeningPeriod.objects.bulk_create(
        [
            OpeningPeriod(venue=venue, weekday=day, opens=opens, closes=closes)
            for day, periods in sorted(checked.items())
            for opens, closes in periods
        ]
    )
    audit_log(
        actor=actor,
        action="support.venue.hours_set",
        target=venue,
        data={
            str(day): [f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in periods]
            for day, periods in sorted(checked.items())
        },
    )
    return venue


@transaction.atomic
def venue_exception_set(
    *,
    actor: Actor,
    venue: Venue,
    day: date,
    periods: Sequence[tuple[time, time]] = (),
    note: str = "",
) -> list[HoursException]:
    """Replace the hours of one date: no periods closes the venue that day."""
    _require(may_manage(actor, venue))
    today = timezone.localdate(clock.now())
    if day < today - timedelta(days=1):
        raise DomainError(_("Exceptions can only be set for today or later."), field="day")
    if day > today + timedelta(days=366):
        raise DomainError(_("Exceptions can be set at most a year ahead."), field="day")
    note = _text(note, field="note", limit=200, required=False)
    checked = _checked_periods(periods, field="periods")
    HoursException.objects.filter(venue=venue, date=day).delete()
    rows = [HoursException(venue=venue, date=day, opens=o, closes=c, note=note) for o, c in checked]
    if not rows:
        rows = [HoursException(venue=venue, date=day, note=note)]
    HoursException.objects.bulk_create(rows)
    audit_log(
        actor=actor,
        action="support.venue.exception_set",
        target=venue,
        data={
            "date": day.isoformat(),
            "periods": [f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in checked],
            "note": note,
        },
    )
    return rows


@transaction.atomic
def venue_exception_remove(*, actor: Actor, venue: Venue, day: date) -> int:
    _require(may_manage(actor, venue))
    removed, _detail = HoursException.objects.filter(venue=venue, date=day).delete()
    if not removed:
        raise NotFound(_("There is no exception on this date."))
    audit_log(
        actor=actor,
        action="support.venue.exception_removed",
        target=venue,
        data={"date": day.isoformat()},
    )
    return removed


# --- duty roster ----------------------------------------------------------------------------
def _is_staff_of(person: User, venue: Venue) -> bool:
    return (
        Membership.objects.active()
        .filter(user=person, unit__path__startswith=venue.unit_path)
        .exists()
    )


@transaction.atomic
def duty_shift_add(
    *,
    actor: Actor,
    venue: Venue,
    person: User,
    starts_at: datetime,
    ends_at: datetime,
    note: str = "",
) -> DutyShift:
    """Put a member of the venue's unit (or a unit below it) on duty."""
    _require(may_manage(actor, venue))
    starts_at, ends_at = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise DomainError(_("The end must come after the start."), field="ends_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise DomainError(_("A shift lasts at most 24 hours."), field="ends_at")
    if not _is_staff_of(person, venue):
        raise DomainError(_("Only staff of the venue's unit can be put on duty."), field="person")
    if DutyShift.objects.filter(
        venue=venue, person=person, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise Conflict(_("This person is already on duty here at that time."))
    note = _text(note, field="note", limit=200, required=False)
    shift = DutyShift.objects.create(
        venue=venue, person=person, starts_at=starts_at, ends_at=ends_at, note=note
    )
    audit_log(
        actor=actor,
        action="support.venue.shift_added",
        target=venue,
        data={
            "shift": shift.pk,
            "person": person.pk,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return shift


@transaction.atomic
def duty_shift_remove(*, actor: Actor, shift: DutyShift) -> None:
    _require(may_manage(actor, shift.venue))
    if shift.ends_at <= clock.now():
        raise Conflict(_("A shift that is over stays on the roster as a record."))
    audit_log(
        actor=actor,
        action="support.venue.shift_removed",
        target=shift.venue,
        data={
            "shift": shift.pk,
            "person": shift.person_id,
            "starts_at": shift.starts_at.isoformat(),
        },
    )
    shift.delete()


# --- check-ins ------------------------------------------------------------------------------
class CheckInLimited(Conflict):
    code = "limited"


class StaffCheckInRefused(Forbidden):
    code = "staff_device"
    default_message = gettext_lazy(
        "Check-ins are for residents. This phone is one that staff of the venue's unit signed "
        "in on: record the venue's activities on its page instead."
    )


@transaction.atomic
def checkin_record(
    *,
    venue: Venue,
    service: str = "",
    rating: int | None = None,
    device_id: str = "",
    client_ip: str = "",
) -> VenueCheckIn:
    """A resident checks in by the venue's QR code (no account).

    At most one check-in per device per venue per half hour, and CHECKIN_ADDRESS_PER_DAY per
    network address and day across all venues; only keyed hashes of both are kept. A device on
    which staff of the venue's unit (or a unit below) signed in is refused: check-ins count in
    the unit's evaluation (venue utilisation), so its staff cannot add to them.
    """
    from jiceng.evaluation.survey_services import device_of_staff

    service = _choice(service, ServiceUsed, field="service", blank=True)
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        raise DomainError(_("Rate from 1 to 5 stars, or leave it out."), field="rating")
    # Locking the venue makes concurrent check-ins count one after another.
    locked = Venue.objects.select_for_update().filter(pk=venue.pk, is_active=True).first()
    if locked is None:
        raise NotFound(_("This venue is not taking check-ins."))
    if device_of_staff(unit_path=locked.unit_path, device_id=device_id):
        raise StaffCheckInRefused()
    now = clock.now()
    device_hash = keyed_hash("device", device_id) if device_id else ""
    address_hash = keyed_hash("address", client_ip) if client_ip else ""
    if (
        device_hash
        and VenueCheckIn.objects.filter(
            venue=locked, device_hash=device_hash, at__gt=now - CHECKIN_DEVICE_WINDOW
        ).exists()
    ):
        raise CheckInLimited(
            _("You have checked in here in the last half hour already. Thank you.")
        )
    if address_hash:
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if (
            VenueCheckIn.objects.filter(address_hash=address_hash, at__gte=start).count()
            >= CHECKIN_ADDRESS_PER_DAY
        ):
            raise CheckInLimited(
                _("Too many check-ins came from your network today. Please try again tomorrow.")
            )
    checkin = VenueCheckIn.objects.create(
        venue=locked,
        at=now,
        service=service,
        rating=rating,
        within_hours=hours.is_open(venue_schedule(locked), now),
        device_hash=device_hash,
        address_hash=address_hash,
    )
    audit_log(
        actor=RESIDENT,
        action="support.venue.checked_in",
        target=locked,
        data={"checkin": checkin.pk, "service": service, "rating": rating},
    )
    return checkin


# --- activities -----------------------------------------------------------------------------
def _activity_fields(
    *,
    venue: Venue,
    kind: str,
    topic: str,
    starts_at: datetime,
    ends_at: datetime,
    attendance: int,
    attendees: Sequence[User],
    minutes: str,
) -> dict[str, object]:
    kind = _choice(kind, ActivityKind, field="kind")
    topic = _text(topic, field="topic", limit=200, required=True, message=_("Give the topic."))
    starts_at, ends_at = _aware(starts_at, "starts_at"), _aware(ends_at, "ends_at")
    if ends_at <= starts_at:
        raise DomainError(_("The end must come after the start."), field="ends_at")
    if ends_at - starts_at > MAX_ACTIVITY:
        raise DomainError(_("An activity lasts at most 24 hours."), field="ends_at")
    if starts_at > clock.now() + timedelta(days=1):
        raise DomainError(_("Log an activity once it has taken place."), field="starts_at")
    if (
        isinstance(attendance, bool)
        or not isinstance(attendance, int)
        or not 0 <= attendance <= 10_000
    ):
        raise DomainError(_("The attendance is a whole number up to 10,000."), field="attendance")
    people = list(dict.fromkeys(attendees))
    if len(people) > attendance:
        raise DomainError(
            _("The attendance cannot be less than the number of members listed."),
            field="attendance",
        )
    staff = set(
        Membership.objects.active()
        .filter(unit__path__startswith=venue.unit_path, user__in=people)
        .values_list("user_id", flat=True)
    )
    if any(person.pk not in staff for person in people):
        raise DomainError(
            _("Only members of the venue's unit can be listed as attendees."), field="attendees"
        )
    minutes = _text(minutes, field="minutes", limit=20_000, required=False)
    return {
        "kind": kind,
        "topic": topic,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "attendance": attendance,
        "attendees": people,
        "minutes": minutes,
    }


@transaction.atomic
def activity_log(
    *,
    actor: Actor,
    venue: Venue,
    kind: str,
    topic: str,
    starts_at: datetime,
    ends_at: datetime,
    attendance: int,
    attendees: Sequence[User] = (),
    minutes: str = "",
    photos: Sequence[UploadedFile] = (),
) -> VenueActivity:
    """Log an activity held at `venue`; it stays editable by adding minutes until closed."""
    _require(may_record(actor, venue))
    if not venue.is_active:
        raise DomainError(_("This venue is no longer in use."))
    fields = _activity_fields(
        venue=venue,
        kind=kind,
        topic=topic,
        starts_at=starts_at,
        ends_at=ends_at,
        attendance=attendance,
        attendees=attendees,
        minutes=minutes,
    )
    checked = _checked_photos(photos)
    people = fields.pop("attendees")
    activity = VenueActivity.objects.create(venue=venue, logged_by=actor.user, **fields)
    activity.attendees.set(people)  # type: ignore[arg-type]
    _store_photos(checked, venue=venue, activity=activity)
    audit_log(
        actor=actor,
        action="support.venue.activity_logged",
        target=activity,
        data={
            "venue": venue.pk,
            "kind": activity.kind,
            "starts_at": activity.starts_at.isoformat(),
            "attendance": activity.attendance,
            "attendees": [person.pk for person in people],  # type: ignore[attr-defined]
            "photos": len(checked),
        },
    )
    return activity


@transaction.atomic
def activity_close(
    *,
    actor: Actor,
    activity: VenueActivity,
    outcome: str,
    minutes: str | None = None,
    photos: Sequence[UploadedFile] = (),
) -> VenueActivity:
    """Close the record: the outcome is written, minutes completed, and nothing changes after."""
    _require(may_record(actor, activity.venue))
    locked = VenueActivity.objects.select_for_update().get(pk=activity.pk)
    if locked.closed_at is not None:
        raise Conflict(_("This activity's record is closed already."))
    outcome = _text(
        outcome,
        field="outcome",
        limit=5000,
        required=True,
        message=_("Say what the activity achieved and what follows from it."),
    )
    if minutes is not None:
        locked.minutes = _text(minutes, field="minutes", limit=20_000, required=False)
    if not locked.minutes:
        raise DomainError(_("A closed record needs its minutes."), field="minutes")
    checked = _checked_photos(photos)
    if locked.photos.count() + len(checked) > MAX_PHOTOS:
        raise DomainError(
            _("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS}, field="photos"
        )
    _store_photos(checked, venue=locked.venue, activity=locked)
    locked.outcome = outcome
    locked.closed_at = clock.now()
    locked.closed_by = actor.user
    locked.save()
    audit_log(
        actor=actor,
        action="support.venue.activity_closed",
        target=locked,
        data={"photos": len(checked)},
    )
    return locked


# --- spot checks ----------------------------------------------------------------------------
@transaction.atomic
def spotcheck_record(
    *,
    actor: Actor,
    venue: Venue,
    checked_at: datetime,
    found_open: bool,
    staff_present: int,
    condition: str,
    notes: str = "",
    photos: Sequence[UploadedFile] = (),
) -> SpotCheck:
    """Record an unannounced visit. Closed during posted hours opens a rectification item."""
    _require(may_spot_check(actor, venue))
    checked_at = _aware(checked_at, "checked_at")
    now = clock.now()
    if checked_at > now + timedelta(minutes=5):
        raise DomainError(_("The visit cannot lie in the future."), field="checked_at")
    if checked_at < now - SPOT_CHECK_MAX_AGE:
        raise DomainError(_("Record a visit within a week of it."), field="checked_at")
    if (
        isinstance(staff_present, bool)
        or not isinstance(staff_present, int)
        or not 0 <= staff_present <= 500
    ):
        raise DomainError(_("Give the number of staff present (0 to 500)."), field="staff_present")
    if not found_open and staff_present:
        raise DomainError(
            _("A venue found closed has no staff present; say 0 or record it as open."),
            field="staff_present",
        )
    condition = _choice(condition, Condition, field="condition")
    notes = _text(notes, field="notes", limit=5000, required=False)
    checked = _checked_photos(photos)
    within = hours.is_open(venue_schedule(venue), checked_at)
    check = SpotCheck.objects.create(
        venue=venue,
        checked_at=checked_at,
        inspector=actor.user,
        inspector_unit=actor.unit,
        within_hours=within,
        found_open=found_open,
        staff_present=staff_present,
        condition=condition,
        notes=notes,
    )
    _store_photos(checked, venue=venue, spot_check=check)
    if check.closed_during_hours:
        local = timezone.localtime(checked_at)
        check.rectification = rectification_open(
            actor=actor,
            unit=venue.unit,
            title=_("%(venue)s was found closed during its posted hours")
            % {"venue": venue.name[:100]},
            description=_(
                "Spot check on %(moment)s: the venue was closed although its posted hours say "
                "it is open. %(notes)s"
            )
            % {"moment": f"{local:%Y-%m-%d %H:%M}", "notes": notes},
            deadline=get_calendar().add_working_days(now, SPOT_CHECK_RECTIFY_WORKING_DAYS),
            source_kind="spot_check",
            source_id=check.pk,
        )
        check.save(update_fields=["rectification"])
    audit_log(
        actor=actor,
        action="support.venue.spot_checked",
        target=check,
        data={
            "venue": venue.pk,
            "checked_at": checked_at.isoformat(),
            "within_hours": within,
            "found_open": found_open,
            "staff_present": staff_present,
            "condition": condition,
            "rectification": check.rectification_id,
            "photos": len(checked),
        },
    )
    return check
