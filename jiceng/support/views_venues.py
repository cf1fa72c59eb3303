"""Venue pages: the registry, hours, roster, poster, activities, spot checks and utilisation
(staff), and the residents' check-in page reached by the poster's QR code (no account).

Thin: parse → one service or selector → render. Object access answers 404 for missing and
forbidden alike (the selectors' `access_object`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiceng.cases.rates import Month
from jiceng.core import clock, devices, ratelimit
from jiceng.core.actors import Actor
from jiceng.core.errors import NotFound
from jiceng.core.forms import call_service
from jiceng.core.pagination import paginate
from jiceng.orgs.models import Membership, OrgUnit, User
from jiceng.orgs.roles import UnitKind
from jiceng.orgs.views import staff_required
from jiceng.support import hours, utilisation
from jiceng.support import venue_selectors as selectors
from jiceng.support import venue_services as services
from jiceng.support.forms_venues import (
    WEEKDAYS,
    ActivityCloseForm,
    ActivityForm,
    CheckInForm,
    DayForm,
    ExceptionForm,
    HoursForm,
    PhotoForm,
    ShiftForm,
    SpotCheckForm,
    VenueForm,
    format_periods,
)
from jiceng.support.models import Venue
from jiceng.support.permissions_venues import may_manage, may_record, may_spot_check, sees_venues

PAGE_SIZE = 25
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")
ROSTER_DAYS = 14


def _actor(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined]


def _venue_staff(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Staff who see venues; finer checks are the selectors' and services' own."""

    @staff_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not sees_venues(_actor(request)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _units_for_venues(actor: Actor) -> QuerySet[OrgUnit]:
    assert actor.unit is not None
    return (
        OrgUnit.objects.filter(path__startswith=actor.unit.path, is_active=True)
        .exclude(kind=UnitKind.GRID)
        .order_by("path")
    )


def _staff_of(venue: Venue) -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.active()
        .filter(unit__path__startswith=venue.unit_path)
        .values("user_id")
    ).order_by("display_name", "pk")


def _posted(request: HttpRequest) -> Any:
    """The form data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _local_now() -> datetime:
    return timezone.localtime(clock.now()).replace(second=0, microsecond=0)


# --- the registry ---------------------------------------------------------------------------
@_venue_staff
def venue_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    queryset = selectors.venues_visible(actor).prefetch_related("periods", "exceptions")
    page = paginate(request, queryset, page_size=PAGE_SIZE)
    now = clock.now()
    rows = [
        {"venue": venue, "open": hours.is_open(selectors.venue_schedule(venue), now)}
        for venue in page
    ]
    return render(
        request,
        "support/venue_list.html",
        {"page": page, "rows": rows, "may_create": may_manage(actor)},
    )


@_venue_staff
@require_http_methods(["GET", "POST"])
def venue_create(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if not may_manage(actor):
        raise PermissionDenied
    units = _units_for_venues(actor)
    form = VenueForm(_posted(request), units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        venue = call_service(
            form,
            lambda: services.venue_create(
                actor=actor,
                unit=data["unit"],
                name=data["name"],
                kind=data["kind"],
                address=data["address"],
                area_m2=data["area_m2"],
                capacity=data["capacity"],
                facilities=data["facilities"],
                makeup_weekday=data["makeup_weekday"],
                in_service_since=data["in_service_since"],
            ),
        )
        if venue is not None:
            messages.success(request, _("The venue is registered. Now post its opening hours."))
            return redirect("venue_hours", pk=venue.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "support/venue_form.html", {"form": form}, status=status)


@_venue_staff
@require_http_methods(["GET", "POST"])
def venue_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="manage")
    initial = {
        "name": venue.name,
        "kind": venue.kind,
        "address": venue.address,
        "area_m2": venue.area_m2,
        "capacity": venue.capacity,
        "facilities": venue.facilities,
        "makeup_weekday": venue.makeup_weekday,
        "is_active": venue.is_active,
    }
    form = VenueForm(_posted(request), initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = call_service(
            form,
            lambda: services.venue_update(
                actor=actor,
                venue=venue,
                name=data["name"],
                kind=data["kind"],
                address=data["address"],
                area_m2=data["area_m2"],
                capacity=data["capacity"],
                facilities=data["facilities"],
                makeup_weekday=data["makeup_weekday"],
                is_active=data["is_active"],
            ),
        )
        if done is not None:
            messages.success(request, _("Saved."))
            return redirect("venue_detail", pk=venue.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "support/venue_form.html", {"form": form, "venue": venue}, status=status)


def _detail_context(request: HttpRequest, venue: Venue, **forms: Any) -> dict[str, Any]:
    actor = _actor(request)
    schedule = selectors.venue_schedule(venue)
    now = clock.now()
    weekly = [
        (label, format_periods(list(schedule.weekly.get(day, ())))) for day, label in WEEKDAYS
    ]
    exceptions: dict[Any, list[Any]] = {}
    for exception in venue.exceptions.all():
        exceptions.setdefault(exception.date, []).append(exception)
    manage = may_manage(actor, venue)
    return {
        "venue": venue,
        "weekly": weekly,
        "exceptions": sorted(exceptions.items()),
        "open_now": hours.is_open(schedule, now),
        "open_until": hours.open_until(schedule, now),
        "next_opening": hours.next_opening(schedule, now),
        "on_duty": selectors.on_duty(venue, now),
        "activities": list(selectors.activities_visible(actor, venue)[:5]),
        "spot_checks": list(selectors.spotchecks_visible(actor, venue)[:5]),
        "checkins": selectors.checkins_recent(actor, venue, limit=10),
        "may_manage": manage,
        "may_record": may_record(actor, venue),
        "may_spot_check": may_spot_check(actor, venue),
        "exception_form": forms.get("exception_form") or (ExceptionForm() if manage else None),
        "photo_form": forms.get("photo_form") or (PhotoForm() if manage else None),
    }


@_venue_staff
def venue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    venue = selectors.venue_detail(_actor(request), pk)
    return render(request, "support/venue_detail.html", _detail_context(request, venue))


@_venue_staff
@require_http_methods(["GET", "POST"])
def venue_hours(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="manage")
    schedule = selectors.venue_schedule(venue)
    initial = {f"day_{day}": format_periods(list(schedule.weekly.get(day, ()))) for day in range(7)}
    form = HoursForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        done = call_service(
            form,
            lambda: services.venue_hours_set(
                actor=actor, venue=venue, weekly=form.cleaned_data["weekly"]
            ),
        )
        if done is not None:
            messages.success(request, _("The opening hours are posted."))
            return redirect("venue_detail", pk=venue.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "support/venue_hours.html", {"form": form, "venue": venue}, status=status
    )


@_venue_staff
@require_POST
def venue_exception_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="manage")
    form = ExceptionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = call_service(
            form,
            lambda: services.venue_exception_set(
                actor=actor,
                venue=venue,
                day=data["day"],
                periods=data["periods"],
                note=data["note"],
            ),
        )
        if done is not None:
            messages.success(request, _("The exception is posted."))
            return redirect("venue_detail", pk=venue.pk)
    venue = selectors.venue_detail(actor, pk)
    context = _detail_context(request, venue, exception_form=form)
    return render(request, "support/venue_detail.html", context, status=400)


@_venue_staff
@require_POST
def venue_exception_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="manage")
    form = DayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a date."))
        return redirect("venue_detail", pk=venue.pk)
    services.venue_exception_remove(actor=actor, venue=venue, day=form.cleaned_data["day"])
    messages.success(request, _("The exception is removed."))
    return redirect("venue_detail", pk=venue.pk)


@_venue_staff
@require_POST
def venue_photo_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="manage")
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        done = call_service(
            form,
            lambda: services.venue_photo_add(
                actor=actor, venue=venue, photos=form.cleaned_data["photos"]
            ),
        )
        if done is not None:
            messages.success(request, _("The photos are added."))
            return redirect("venue_detail", pk=venue.pk)
    venue = selectors.venue_detail(actor, pk)
    context = _detail_context(request, venue, photo_form=form)
    return render(request, "support/venue_detail.html", context, status=400)


@_venue_staff
def venue_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    photo = selectors.photo_get(_actor(request), pk, photo_id)
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the roster -----------------------------------------------------------------------------
@_venue_staff
@require_http_methods(["GET", "POST"])
def venue_roster(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk)
    manage = may_manage(actor, venue)
    form = None
    if manage:
        form = ShiftForm(_posted(request), people=_staff_of(venue))
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            done = call_service(
                form,
                lambda: services.duty_shift_add(
                    actor=actor,
                    venue=venue,
                    person=data["person"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    note=data["note"],
                ),
            )
            if done is not None:
                messages.success(request, _("The shift is on the roster."))
                return redirect("venue_roster", pk=venue.pk)
    start = timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    shifts = selectors.shifts_of(venue, start=start, end=start + timedelta(days=ROSTER_DAYS))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "support/venue_roster.html",
        {
            "venue": venue,
            "shifts": list(shifts),
            "form": form,
            "may_manage": manage,
            "now": clock.now(),
            "days": ROSTER_DAYS,
        },
        status=status,
    )


@_venue_staff
@require_POST
def venue_shift_remove(request: HttpRequest, pk: int, shift_id: int) -> HttpResponse:
    actor = _actor(request)
    shift = selectors.shift_get(actor, pk, shift_id)
    services.duty_shift_remove(actor=actor, shift=shift)
    messages.success(request, _("The shift is removed."))
    return redirect("venue_roster", pk=pk)


# --- the poster -----------------------------------------------------------------------------
def _qr_svg(url: str) -> SafeString:
    code = segno.make_qr(url, error="m")
    svg = code.svg_inline(scale=10, border=2, omitsize=True)
    return mark_safe(svg)  # noqa: S308  (segno's own markup; the URL is ours and escaped by it)


@_venue_staff
def venue_poster(request: HttpRequest, pk: int) -> HttpResponse:
    venue = selectors.venue_detail(_actor(request), pk)
    url = request.build_absolute_uri(reverse("venue_checkin", args=[venue.public_code]))
    schedule = selectors.venue_schedule(venue)
    weekly = [
        (label, format_periods(list(schedule.weekly.get(day, ())))) for day, label in WEEKDAYS
    ]
    return render(
        request,
        "support/venue_poster.html",
        {"venue": venue, "url": url, "qr": _qr_svg(url), "weekly": weekly},
    )


# --- activities -----------------------------------------------------------------------------
@_venue_staff
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="record")
    form = ActivityForm(_posted(request), _files(request), people=_staff_of(venue))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        activity = call_service(
            form,
            lambda: services.activity_log(
                actor=actor,
                venue=venue,
                kind=data["kind"],
                topic=data["topic"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                attendance=data["attendance"],
                attendees=list(data["attendees"]),
                minutes=data["minutes"],
                photos=data["photos"],
            ),
        )
        if activity is not None:
            messages.success(request, _("The activity is logged."))
            return redirect("activity_detail", pk=activity.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "support/activity_form.html", {"form": form, "venue": venue}, status=status
    )


@_venue_staff
def activity_list(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request,
        selectors.activities_visible(_actor(request)),
        page_size=PAGE_SIZE,
        keyset="starts_at",
    )
    return render(request, "support/activity_list.html", {"page": page})


@_venue_staff
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    activity = selectors.activity_get(actor, pk)
    return render(
        request,
        "support/activity_detail.html",
        {"activity": activity, "may_close": may_record(actor, activity.venue)},
    )


@_venue_staff
@require_http_methods(["GET", "POST"])
def activity_close(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    activity = selectors.activity_get(actor, pk)
    if not may_record(actor, activity.venue):
        raise PermissionDenied
    if activity.is_closed:
        messages.info(request, _("This activity's record is closed already."))
        return redirect("activity_detail", pk=activity.pk)
    form = ActivityCloseForm(
        _posted(request), _files(request), initial={"minutes": activity.minutes}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = call_service(
            form,
            lambda: services.activity_close(
                actor=actor,
                activity=activity,
                outcome=data["outcome"],
                minutes=data["minutes"],
                photos=data["photos"],
            ),
        )
        if done is not None:
            messages.success(request, _("The record is closed."))
            return redirect("activity_detail", pk=activity.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "support/activity_close.html",
        {"form": form, "activity": activity},
        status=status,
    )


# --- spot checks ----------------------------------------------------------------------------
@_venue_staff
@require_http_methods(["GET", "POST"])
def spotcheck_create(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    venue = selectors.venue_get(actor, pk, action="spot_check")
    form = SpotCheckForm(
        _posted(request),
        _files(request),
        initial={"checked_at": _local_now(), "condition": "good"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        check = call_service(
            form,
            lambda: services.spotcheck_record(
                actor=actor,
                venue=venue,
                checked_at=data["checked_at"],
                found_open=data["found_open"],
                staff_present=data["staff_present"],
                condition=data["condition"],
                notes=data["notes"],
                photos=data["photos"],
            ),
        )
        if check is not None:
            if check.rectification_id:
                messages.warning(
                    request,
                    _(
                        "The venue was closed during its posted hours: a rectification item "
                        "is opened for its unit."
                    ),
                )
            else:
                messages.success(request, _("The spot check is recorded."))
            return redirect("spotcheck_detail", pk=check.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "support/spotcheck_form.html", {"form": form, "venue": venue}, status=status
    )


@_venue_staff
def spotcheck_list(request: HttpRequest) -> HttpResponse:
    page = paginate(
        request,
        selectors.spotchecks_visible(_actor(request)),
        page_size=PAGE_SIZE,
        keyset="checked_at",
    )
    return render(request, "support/spotcheck_list.html", {"page": page})


@_venue_staff
def spotcheck_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    check = selectors.spotcheck_get(actor, pk)
    return render(
        request,
        "support/spotcheck_detail.html",
        {"check": check, "item_visible": selectors.spotcheck_item_visible(actor, check)},
    )


# --- utilisation ----------------------------------------------------------------------------
def _chosen_unit(request: HttpRequest, actor: Actor) -> OrgUnit:
    assert actor.unit is not None
    code = request.GET.get("unit", "").strip()
    if not code:
        return actor.unit
    unit = None
    if UNIT_CODE.fullmatch(code):
        unit = OrgUnit.objects.filter(code=code, path__startswith=actor.unit.path).first()
    if unit is None:
        messages.warning(request, _("That unit is not within your view; showing your own."))
        return actor.unit
    return unit


def _chosen_month(request: HttpRequest, this_month: Month) -> Month:
    raw = request.GET.get("month", "").strip()
    if not raw:
        return this_month
    try:
        month = Month.parse(raw[:20])
    except ValueError:
        messages.warning(request, _("Enter the month as YYYY-MM; showing this month."))
        return this_month
    if month > this_month or month < Month(2000, 1):
        messages.warning(request, _("Choose a month up to the present; showing this month."))
        return this_month
    return month


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@_venue_staff
def venue_utilisation_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    this_month = Month.of(clock.now())
    month = _chosen_month(request, this_month)
    unit = _chosen_unit(request, actor)
    period = utilisation.Period.month(month.year, month.month)
    result = selectors.venue_utilisation(unit, period)
    trend = selectors.utilisation_trend(unit, period)
    children = list(
        OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by("path")
    )
    data = {
        "noData": _("no data"),
        "trend": {
            "categories": [point.month for point in trend],
            "rate": [_rounded(point.checkins_per_open_hour) for point in trend],
            "activities": [point.activities for point in trend],
            "rateName": _("Check-ins per open hour"),
            "activitiesName": _("Activities"),
        },
        "venues": {
            "categories": [row.venue.name for row in result.rows],
            "rate": [_rounded(row.figures.checkins_per_open_hour) for row in result.rows],
            "median": [_rounded(row.figures.peer_median) for row in result.rows],
            "rateName": _("Check-ins per open hour"),
            "medianName": _("Median of the same kind"),
        },
    }
    return render(
        request,
        "support/venue_utilisation.html",
        {
            "unit": unit,
            "month": str(month),
            "this_month": str(this_month),
            "previous_month": str(month.previous()),
            "next_month": str(month.next()) if month < this_month else "",
            "unit_chosen": unit != actor.unit,
            "result": result,
            "trend": trend,
            "children": children,
            "data": data,
            "idle_days": utilisation.IDLE_WORKING_DAYS,
        },
    )


# --- residents' check-in (public) -----------------------------------------------------------
def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.rate_limit("venue-checkin", limit=60, window_seconds=600, methods=("GET", "POST"))
def checkin(request: HttpRequest, code: str) -> HttpResponse:
    """The page a venue's poster opens: check in, optionally say what for and rate it."""
    venue = selectors.venue_by_public_code(code)
    if venue is None:
        response = render(request, "support/checkin_notice.html", {"kind": "invalid"}, status=404)
        return _private(response)
    # A check-in counts only from a device that kept the cookie its first visit was given.
    device_id = devices.known_device_id(request)
    form = CheckInForm(_posted(request))
    problem = ""
    status = 200
    if request.method == "POST":
        if not device_id:
            problem = _(
                "Your browser did not keep our cookie. Please allow cookies for this site and "
                "check in again."
            )
            status = 400
        elif form.is_valid():
            try:
                services.checkin_record(
                    venue=venue,
                    service=form.cleaned_data["service"],
                    rating=form.cleaned_data["rating"],
                    device_id=device_id,
                    client_ip=ratelimit.client_ip(request),
                )
            except (services.StaffCheckInRefused, services.CheckInLimited) as error:
                staff = isinstance(error, services.StaffCheckInRefused)
                response = render(
                    request,
                    "support/checkin_notice.html",
                    {
                        "kind": "staff" if staff else "limited",
                        "venue": venue,
                        "message": error.message,
                    },
                    status=403 if staff else 429,
                )
                return _private(response)
            except NotFound:
                response = render(
                    request, "support/checkin_notice.html", {"kind": "invalid"}, status=404
                )
                return _private(response)
            return _private(redirect(f"{reverse('venue_checkin', args=[code])}?done=1"))
        else:
            status = 400
    schedule = selectors.venue_schedule(venue)
    now = clock.now()
    response = render(
        request,
        "support/checkin_form.html",
        {
            "venue": venue,
            "form": form,
            "problem": problem,
            "done": request.method == "GET" and request.GET.get("done") == "1",
            "open_now": hours.is_open(schedule, now),
            "open_until": hours.open_until(schedule, now),
            "next_opening": hours.next_opening(schedule, now),
        },
        status=status,
    )
    if not device_id:
        devices.remember_device(request, response, devices.device_id(request)[0])
    return _private(response)
