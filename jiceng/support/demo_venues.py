"""Demo venues: a service centre in every community and village, some activity rooms, posted
hours, a roster, six weeks of check-ins and activities, and spot checks — one of which finds
a venue locked during its posted hours. Everything goes through the venue services.

Idempotent: nothing is created when demo venues exist. Hook: `seed_venues(people, stdout)` after
the units and people are seeded (jiceng/orgs/management/commands/seed_demo.py).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import clock
from jiceng.core.actors import SYSTEM, Actor
from jiceng.core.calendar import get_calendar
from jiceng.orgs.demo_data import DemoPeople, Writer
from jiceng.orgs.models import Membership, OrgUnit
from jiceng.orgs.roles import Role, UnitKind
from jiceng.support import hours
from jiceng.support import venue_services as services
from jiceng.support.models import ServiceUsed, Venue
from jiceng.support.venue_selectors import venue_schedule

DEMO_ADDRESS_MARK = "（演示）"
WEEKDAY = ((time(9), time(12)), (time(14), time(17, 30)))
SATURDAY = ((time(9), time(12)),)
EVENING = (*WEEKDAY, (time(19), time(21)))
TOPICS = {
    "org_life": [
        "主题党日：重温入党誓词",
        "组织生活会：对照检查与批评",
        "支部委员会：研究本月工作",
    ],
    "study": ["学习党的二十届四中全会精神", "垃圾分类新规解读", "防范电信诈骗讲座"],
    "volunteer": ["志愿者清理楼道堆物", "为独居老人上门理发", "社区义诊与血压测量"],
    "consultation": ["居民议事会：加装电梯", "停车位划线方案征求意见", "老旧小区改造协商会"],
}
DAYS_OF_CHECKINS = 45


def _actor_for(unit: OrgUnit, roles: tuple[str, ...]) -> Actor | None:
    membership = (
        Membership.objects.active()
        .filter(unit=unit, role__in=roles)
        .select_related("user", "unit")
        .order_by("pk")
        .first()
    )
    return Actor(user=membership.user, membership=membership) if membership else None


def seed_venues(people: DemoPeople, stdout: Writer, *, seed: int = 2026) -> int:
    """Create the demo venues and their history; returns how many venues were created."""
    if Venue.objects.filter(address__endswith=DEMO_ADDRESS_MARK).exists():
        stdout.write(_("Demo venues already present; none created."))
        return 0
    rng = random.Random(seed)  # noqa: S311  (demo data, not secrets)
    now = clock.now()
    today = timezone.localdate(now)
    communities = people.units_of_kind(UnitKind.COMMUNITY, UnitKind.VILLAGE)
    venues: list[Venue] = []
    for index, unit in enumerate(communities):
        kinds = [("service_centre", f"{unit.name}党群服务中心")]
        if index % 3 == 0:
            kinds.append(("activity_room", f"{unit.name}文体活动室"))
        for kind, name in kinds:
            venue = services.venue_create(
                actor=SYSTEM,
                unit=unit,
                name=name,
                kind=kind,
                address=f"{unit.name}{rng.randint(1, 99)}号{DEMO_ADDRESS_MARK}",
                area_m2=rng.choice([120, 180, 260, 320, 450]),
                capacity=rng.choice([30, 50, 80, 120]),
                facilities="会议室、阅览角、便民服务窗口、无障碍通道",
                in_service_since=today - timedelta(days=400),
            )
            weekly: dict[int, tuple[tuple[time, time], ...]] = {
                day: (EVENING if day == 2 else WEEKDAY) for day in range(5)
            }
            if kind == "service_centre":
                weekly[5] = SATURDAY
            services.venue_hours_set(actor=SYSTEM, venue=venue, weekly=weekly)
            venues.append(venue)
    calendar = get_calendar()
    # Busy, ordinary and deserted venues: the utilisation page has something to show.
    for number, venue in enumerate(venues):
        busyness = 0.01 if number % 7 == 3 else rng.uniform(0.08, 0.35)
        schedule = venue_schedule(venue)
        staff = list(
            Membership.objects.active()
            .filter(unit__path__startswith=venue.unit_path)
            .select_related("user")
            .order_by("pk")
        )
        for back in range(DAYS_OF_CHECKINS, 0, -1):
            day = today - timedelta(days=back)
            for opens, closes in hours.day_periods(schedule, day):
                start = datetime.combine(day, opens, tzinfo=calendar.tz)
                length = hours.period_length((opens, closes))
                visits = sum(rng.random() < busyness for _ in range(int(length.seconds // 1800)))
                for visit in range(visits):
                    moment = start + timedelta(minutes=rng.randrange(0, length.seconds // 60))
                    with clock.at(moment):
                        services.checkin_record(
                            venue=venue,
                            service=rng.choice([*ServiceUsed.values, ""]),
                            rating=rng.choice([None, 3, 4, 4, 5, 5, 5]),
                            device_id=f"demo-{venue.pk}-{back}-{visit}".ljust(22, "x"),
                        )
            if staff and day.weekday() < 5 and rng.random() < 0.12:
                kind = rng.choice(list(TOPICS))
                starts = datetime.combine(
                    day, time(rng.choice([9, 10, 14, 15])), tzinfo=calendar.tz
                )
                attendees = [m.user for m in rng.sample(staff, k=min(len(staff), 3))]
                with clock.at(starts + timedelta(hours=3)):
                    activity = services.activity_log(
                        actor=Actor(user=staff[0].user, membership=staff[0]),
                        venue=venue,
                        kind=kind,
                        topic=rng.choice(TOPICS[kind]),
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=1, minutes=30),
                        attendance=len(attendees) + rng.randint(5, 30),
                        attendees=attendees,
                        minutes="会议由支部书记主持，传达学习有关精神，与会人员逐一发言。",
                    )
                    if back > 7:
                        services.activity_close(
                            actor=Actor(user=staff[0].user, membership=staff[0]),
                            activity=activity,
                            outcome="形成会议纪要，明确责任人和完成时限。",
                        )
    _spot_checks(venues, rng, today)
    stdout.write(
        _("Demo venues created: %(count)d, with check-ins, activities and spot checks.")
        % {"count": len(venues)}
    )
    return len(venues)


def _spot_checks(venues: list[Venue], rng: random.Random, today: date) -> None:
    """An open finding at most venues; the first deserted one found locked three days ago."""
    calendar = get_calendar()
    for number, venue in enumerate(venues):
        street = OrgUnit.objects.get(path=venue.unit_path[: -OrgUnit.steplen])
        inspector = _actor_for(street, (Role.STREET_SUPERVISOR,))
        if inspector is None:
            continue
        day = today - timedelta(days=3)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
        visit = datetime.combine(day, time(10, rng.randrange(0, 60)), tzinfo=calendar.tz)
        locked = number % 7 == 3 and number < 7
        if not locked and rng.random() < 0.4:
            continue
        with clock.at(visit + timedelta(hours=1)):
            services.spotcheck_record(
                actor=inspector,
                venue=venue,
                checked_at=visit,
                found_open=not locked,
                staff_present=0 if locked else rng.randint(1, 3),
                condition="fair" if locked else rng.choice(["good", "good", "fair"]),
                notes="工作日上午大门紧锁，门口无值班公示。"
                if locked
                else "现场有人值守，台账齐全。",
            )
