"""Every read about venues, restricted to what the actor may see (object access: 404 alike)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from jiceng.conduct.models import RectificationItem
from jiceng.core import clock
from jiceng.core.actors import Actor
from jiceng.core.calendar import WorkCalendar, get_calendar
from jiceng.core.permissions import access_object, visible
from jiceng.orgs.models import OrgUnit
from jiceng.support import hours, utilisation
from jiceng.support.models import (
    DutyShift,
    HoursException,
    OpeningPeriod,
    SpotCheck,
    Venue,
    VenueActivity,
    VenueCheckIn,
    VenuePhoto,
)

TREND_MONTHS = 12


# --- schedules ------------------------------------------------------------------------------
def schedule_from(
    venue: Venue,
    periods: Iterable[OpeningPeriod],
    exceptions: Iterable[HoursException],
    calendar: WorkCalendar,
) -> hours.Schedule:
    weekly: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for period in periods:
        weekly[period.weekday].append((period.opens, period.closes))
    dated: dict[date, list[tuple[time, time]]] = {}
    for exception in exceptions:
        day = dated.setdefault(exception.date, [])
        if exception.opens is not None and exception.closes is not None:
            day.append((exception.opens, exception.closes))
    return hours.Schedule(
        weekly={day: tuple(items) for day, items in weekly.items()},
        exceptions={day: tuple(items) for day, items in dated.items()},
        holidays=calendar.holidays,
        workdays=calendar.workdays,
        makeup_weekday=venue.makeup_weekday,
        tz=calendar.tz,
    )


def venue_schedule(venue: Venue) -> hours.Schedule:
    """The venue's posted hours with the deployment's holidays (uses prefetched rows if any)."""
    return schedule_from(venue, venue.periods.all(), venue.exceptions.all(), get_calendar())


# --- lists and objects ----------------------------------------------------------------------
def venues_visible(actor: Actor) -> QuerySet[Venue]:
    return visible(actor, Venue).select_related("unit")


def venue_get(actor: Actor, pk: int, *, action: str = "view") -> Venue:
    return access_object(actor, Venue, action=action, queryset=venues_visible(actor), pk=pk)


def venue_detail(actor: Actor, pk: int) -> Venue:
    queryset = venues_visible(actor).prefetch_related(
        "periods",
        Prefetch(
            "exceptions",
            queryset=HoursException.objects.filter(
                date__gte=timezone.localdate(clock.now()) - timedelta(days=1)
            ),
        ),
        Prefetch(
            "photos",
            queryset=VenuePhoto.objects.filter(activity=None, spot_check=None),
            to_attr="own_photos",
        ),
    )
    return access_object(actor, Venue, queryset=queryset, pk=pk)


def venue_by_public_code(code: str) -> Venue | None:
    """The active venue a poster's code names (residents; no actor)."""
    if not code or len(code) > 16 or "\x00" in code:
        return None
    return (
        Venue.objects.filter(public_code=code, is_active=True)
        .select_related("unit")
        .prefetch_related("periods", "exceptions")
        .first()
    )


def photo_get(actor: Actor, venue_pk: int, photo_pk: int) -> VenuePhoto:
    return access_object(
        actor, VenuePhoto, queryset=visible(actor, VenuePhoto), pk=photo_pk, venue_id=venue_pk
    )


def shifts_of(venue: Venue, *, start: datetime, end: datetime) -> QuerySet[DutyShift]:
    """Shifts overlapping [start, end) (the venue is already the actor's)."""
    return (
        DutyShift.objects.filter(venue=venue, starts_at__lt=end, ends_at__gt=start)
        .select_related("person")
        .order_by("starts_at", "pk")
    )


def on_duty(venue: Venue, moment: datetime) -> list[DutyShift]:
    return list(shifts_of(venue, start=moment, end=moment + timedelta(microseconds=1)))


def shift_get(actor: Actor, venue_pk: int, pk: int) -> DutyShift:
    return access_object(
        actor,
        DutyShift,
        queryset=visible(actor, DutyShift).select_related("venue", "person"),
        pk=pk,
        venue_id=venue_pk,
    )


def activities_visible(actor: Actor, venue: Venue | None = None) -> QuerySet[VenueActivity]:
    queryset = visible(actor, VenueActivity).select_related("venue", "logged_by")
    if venue is not None:
        queryset = queryset.filter(venue=venue)
    return queryset.order_by("-starts_at", "-pk")


def activity_get(actor: Actor, pk: int) -> VenueActivity:
    queryset = activities_visible(actor).prefetch_related("attendees", "photos")
    return access_object(actor, VenueActivity, queryset=queryset, pk=pk)


def spotchecks_visible(actor: Actor, venue: Venue | None = None) -> QuerySet[SpotCheck]:
    queryset = visible(actor, SpotCheck).select_related("venue", "inspector", "rectification")
    if venue is not None:
        queryset = queryset.filter(venue=venue)
    return queryset.order_by("-checked_at", "-pk")


def spotcheck_get(actor: Actor, pk: int) -> SpotCheck:
    queryset = spotchecks_visible(actor).prefetch_related("photos")
    return access_object(actor, SpotCheck, queryset=queryset, pk=pk)


def spotcheck_item_visible(actor: Actor, check: SpotCheck) -> bool:
    """May `actor` open the rectification item the check opened? (A grid's staff see their
    community's spot checks but only their grid's items.)"""
    return (
        check.rectification_id is not None
        and visible(actor, RectificationItem).filter(pk=check.rectification_id).exists()
    )


def checkins_recent(actor: Actor, venue: Venue, limit: int = 20) -> list[VenueCheckIn]:
    return list(visible(actor, VenueCheckIn).filter(venue=venue).order_by("-at", "-pk")[:limit])


# --- utilisation ----------------------------------------------------------------------------
def _bounds(period: utilisation.Period, tz: object) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, time.min, tzinfo=tz)  # type: ignore[arg-type]
    end = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=tz)  # type: ignore[arg-type]
    return start, end


def _midnight(day: date, calendar: WorkCalendar) -> datetime:
    return datetime.combine(day, time.min, tzinfo=calendar.tz)


@dataclass(frozen=True)
class VenueRow:
    venue: Venue
    facts: utilisation.VenueFacts
    figures: utilisation.VenueFigures


@dataclass(frozen=True)
class Utilisation:
    unit: OrgUnit
    period: utilisation.Period
    rows: list[VenueRow]
    figures: utilisation.UnitFigures


def _venues_with_schedules(queryset: QuerySet[Venue], period: utilisation.Period) -> list[Venue]:
    return list(
        queryset.select_related("unit").prefetch_related(
            "periods",
            Prefetch(
                "exceptions",
                queryset=HoursException.objects.filter(
                    date__gte=period.start - timedelta(days=1), date__lte=period.end
                ),
            ),
        )
    )


def _facts(venues: Sequence[Venue], period: utilisation.Period) -> list[utilisation.VenueFacts]:
    """Five grouped queries for all venues, then the hours maths per venue."""
    calendar = get_calendar()
    start, end = _bounds(period, calendar.tz)
    now = clock.now()
    counted_until = min(end, max(now, start))
    today = timezone.localdate(now)
    ids = [venue.pk for venue in venues]
    checkins: dict[tuple[int, bool], int] = {}
    for row in (
        VenueCheckIn.objects.filter(venue_id__in=ids, at__gte=start, at__lt=end)
        .values("venue_id", "within_hours")
        .annotate(n=Count("id"))
        .order_by()
    ):
        checkins[(row["venue_id"], row["within_hours"])] = row["n"]
    days_with_checkins: set[tuple[int, date]] = {
        (row["venue_id"], row["day"])
        for row in VenueCheckIn.objects.filter(
            venue_id__in=ids, at__gte=start, at__lt=end, within_hours=True
        )
        .annotate(day=TruncDate("at", tzinfo=calendar.tz))
        .values("venue_id", "day")
        .distinct()
        .order_by()
    }
    activities = dict(
        VenueActivity.objects.filter(venue_id__in=ids, starts_at__gte=start, starts_at__lt=end)
        .values("venue_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("venue_id", "n")
    )
    spot: dict[int, tuple[int, int]] = {
        row["venue_id"]: (row["in_hours"], row["closed"])
        for row in SpotCheck.objects.filter(
            venue_id__in=ids, checked_at__gte=start, checked_at__lt=end
        )
        .values("venue_id")
        .annotate(
            in_hours=Count("id", filter=Q(within_hours=True)),
            closed=Count("id", filter=Q(within_hours=True, found_open=False)),
        )
        .order_by()
    }
    months = period.months
    # The idle streak looks at completed days only: today is not over.
    last_full_day = min(period.end, today - timedelta(days=1))
    result = []
    for venue in venues:
        schedule = schedule_from(venue, venue.periods.all(), venue.exceptions.all(), calendar)
        first_day = max(period.start, venue.in_service_since)
        daily = (
            hours.daily_open_time(schedule, first_day, last_full_day)
            if last_full_day >= first_day
            else {}
        )
        from_moment = max(start, _midnight(venue.in_service_since, calendar))
        streak = utilisation.idle_streak(
            [
                (
                    calendar.is_working_day(day),
                    amount > timedelta(),
                    (venue.pk, day) in days_with_checkins,
                )
                for day, amount in sorted(daily.items())
            ]
        )
        in_hours, closed = spot.get(venue.pk, (0, 0))
        result.append(
            utilisation.VenueFacts(
                venue_id=venue.pk,
                kind=venue.kind,
                open_hours=hours.open_hours(schedule, from_moment, counted_until),
                checkins=checkins.get((venue.pk, True), 0) + checkins.get((venue.pk, False), 0),
                checkins_in_hours=checkins.get((venue.pk, True), 0),
                activities=activities.get(venue.pk, 0),
                spot_checks_in_hours=in_hours,
                spot_checks_closed=closed,
                population=venue.unit.population,
                months=months,
                idle_working_days=streak,
            )
        )
    return result


def venue_utilisation(unit: OrgUnit, period: utilisation.Period) -> Utilisation:
    """Utilisation of the venues in `unit`'s subtree over `period`.

    Not scoped to an actor: callers (views, the evaluation's objective metrics) decide who may
    ask about `unit`. Venues are compared with the venues of the same kind in the whole
    district (the tree's top unit above `unit`), so a community with one venue is judged too.
    """
    district_path = unit.path[: OrgUnit.steplen]
    peers = _venues_with_schedules(
        Venue.objects.filter(is_active=True, unit_path__startswith=district_path), period
    )
    facts = _facts(peers, period)
    figures = utilisation.venue_figures(facts)
    by_venue = {venue.pk: venue for venue in peers}
    rows = [
        VenueRow(venue=by_venue[fact.venue_id], facts=fact, figures=figure)
        for fact, figure in zip(facts, figures, strict=True)
        if by_venue[fact.venue_id].unit_path.startswith(unit.path)
    ]
    rows.sort(key=lambda row: (row.venue.unit_path, row.venue.name, row.venue.pk))
    return Utilisation(
        unit=unit,
        period=period,
        rows=rows,
        figures=utilisation.unit_figures(
            [row.facts for row in rows],
            [row.figures for row in rows],
            population=unit.population,
            months=period.months,
        ),
    )


@dataclass(frozen=True)
class TrendPoint:
    month: str  # YYYY-MM
    open_hours: float
    checkins: int
    checkins_per_open_hour: float | None
    activities: int


def utilisation_trend(unit: OrgUnit, last: utilisation.Period) -> list[TrendPoint]:
    """Month by month for the TREND_MONTHS months ending with `last`'s month (unit's venues)."""
    year, month = last.end.year, last.end.month
    keys = []
    for _ in range(TREND_MONTHS):
        keys.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    keys.reverse()
    span = utilisation.Period(
        utilisation.Period.month(*keys[0]).start, utilisation.Period.month(*keys[-1]).end
    )
    calendar = get_calendar()
    start, end = _bounds(span, calendar.tz)
    venues = _venues_with_schedules(
        Venue.objects.filter(is_active=True, unit_path__startswith=unit.path), span
    )
    ids = [venue.pk for venue in venues]
    checkins = {
        (row["month"].year, row["month"].month): row["n"]
        for row in VenueCheckIn.objects.filter(
            venue_id__in=ids, at__gte=start, at__lt=end, within_hours=True
        )
        .annotate(month=TruncMonth("at", tzinfo=calendar.tz))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    }
    activities = {
        (row["month"].year, row["month"].month): row["n"]
        for row in VenueActivity.objects.filter(
            venue_id__in=ids, starts_at__gte=start, starts_at__lt=end
        )
        .annotate(month=TruncMonth("starts_at", tzinfo=calendar.tz))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    }
    now = clock.now()
    open_by_month: dict[tuple[int, int], float] = defaultdict(float)
    for venue in venues:
        schedule = schedule_from(venue, venue.periods.all(), venue.exceptions.all(), calendar)
        for key in keys:
            month_start, month_end = _bounds(utilisation.Period.month(*key), calendar.tz)
            month_start = max(month_start, _midnight(venue.in_service_since, calendar))
            until = min(month_end, max(now, month_start))
            open_by_month[key] += hours.open_hours(schedule, month_start, until)
    return [
        TrendPoint(
            month=f"{key[0]:04d}-{key[1]:02d}",
            open_hours=open_by_month[key],
            checkins=checkins.get(key, 0),
            checkins_per_open_hour=utilisation.ratio(checkins.get(key, 0), open_by_month[key]),
            activities=activities.get(key, 0),
        )
        for key in keys
    ]
