"""Venue state for tests, built through the services."""

from __future__ import annotations

import io
from datetime import date, datetime, time

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiceng.core.actors import SYSTEM
from jiceng.orgs.models import OrgUnit
from jiceng.support import hours
from jiceng.support.models import Venue
from jiceng.support.venue_services import venue_create, venue_hours_set

TZ = hours.SHANGHAI
OFFICE = ((time(9), time(12)), (time(14), time(18)))
WEEKDAYS_ONLY = dict.fromkeys(range(5), OFFICE)
ALL_DAY = ((time(0), time(0)),)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


# 2025-09-29 is an ordinary Monday; 2025-10-01 the National Day holiday.
MONDAY_10 = local(2025, 9, 29, 10)


def make_venue(
    unit: OrgUnit, *, name: str = "党群服务中心", kind: str = "service_centre", weekly=None
) -> Venue:
    venue = venue_create(
        actor=SYSTEM,
        unit=unit,
        name=name,
        kind=kind,
        address="柳岸路 1 号",
        area_m2="320.5",
        capacity=80,
        facilities="会议室、阅览角",
        in_service_since=date(2024, 1, 1),
    )
    venue_hours_set(actor=SYSTEM, venue=venue, weekly=WEEKDAYS_ONLY if weekly is None else weekly)
    return venue


def png(name: str = "photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def not_an_image(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<?php echo 1; ?>", content_type="image/png")
