"""venue_utilisation(unit, period): the figures an evaluation can use, from stored records."""

from __future__ import annotations

from datetime import date

import pytest

from jiceng.core import clock
from jiceng.core.actors import SYSTEM
from jiceng.core.errors import DomainError
from jiceng.orgs.models import OrgUnit
from jiceng.orgs.roles import Role
from jiceng.support import utilisation
from jiceng.support import venue_services as services
from jiceng.support.models import Venue
from jiceng.support.venue_selectors import utilisation_trend, venue_utilisation
from tests.factories import actor_for
from tests.support.venue_helpers import OFFICE, local, make_venue

pytestmark = pytest.mark.django_db

SEPTEMBER = utilisation.Period.month(2025, 9)
AFTER = local(2025, 10, 15, 12)  # the figures are asked for after the month


def checkins(venue, moments):
    for n, moment in enumerate(moments):
        with clock.at(moment):
            services.checkin_record(venue=venue, device_id=f"{venue.pk}-{n}".ljust(22, "x"))


def test_figures_of_a_month(tree):
    OrgUnit.objects.filter(pk=tree.community_a1.pk).update(population=4000)
    tree.community_a1.refresh_from_db()
    venue = make_venue(tree.community_a1)
    # September 2025: 22 weekdays and Sunday the 28th (a make-up working day), 7 h each.
    checkins(venue, [local(2025, 9, day, 10) for day in (1, 2, 3)])
    checkins(venue, [local(2025, 9, 6, 10)])  # a Saturday: outside the posted hours
    with clock.at(local(2025, 9, 10, 12)):
        services.activity_log(
            actor=SYSTEM,
            venue=venue,
            kind="study",
            topic="学习",
            starts_at=local(2025, 9, 10, 9),
            ends_at=local(2025, 9, 10, 11),
            attendance=12,
        )
    with clock.at(local(2025, 9, 29, 10, 5)):
        services.spotcheck_record(
            actor=actor_for(tree.people[Role.STREET_SUPERVISOR]),
            venue=venue,
            checked_at=local(2025, 9, 29, 10),
            found_open=False,
            staff_present=0,
            condition="fair",
        )
    with clock.at(AFTER):
        result = venue_utilisation(tree.community_a1, SEPTEMBER)
    (row,) = result.rows
    assert row.facts.open_hours == 161
    assert (row.facts.checkins, row.facts.checkins_in_hours) == (4, 3)
    assert (row.facts.activities, row.facts.spot_checks_closed) == (1, 1)
    assert row.figures.checkins_per_open_hour == pytest.approx(3 / 161)
    assert row.figures.activities_per_month == 1
    assert row.figures.visitors_per_thousand == 1  # 4 / 4000 × 1000
    # The last check-in during hours was on 3 September: 20 idle working days to the 30th
    # (the 28th, a make-up working day, counts).
    assert row.facts.idle_working_days == 20
    assert row.figures.locked_reasons == (
        utilisation.LOCKED_BY_SPOT_CHECK,
        utilisation.LOCKED_BY_IDLENESS,
    )
    assert result.figures.venues == 1 and result.figures.locked == 1
    assert result.figures.closed_rate == 1


def test_a_street_sees_its_communities_and_peers_come_from_the_district(tree):
    busy = [
        make_venue(unit, name=f"中心{unit.code}") for unit in (tree.community_a2, tree.community_b1)
    ]
    quiet = make_venue(tree.community_a1, name="冷清中心")
    third = make_venue(tree.community_a2, name="又一中心")
    days = [local(2025, 9, day, h) for day in range(1, 31) for h in (9, 10, 11, 14, 15)]
    weekdays = [moment for moment in days if moment.weekday() < 5]
    for venue in [*busy, third]:
        checkins(venue, weekdays[::2])  # 55, spread over the month
    checkins(quiet, weekdays[-2:])
    with clock.at(AFTER):
        street = venue_utilisation(tree.street_a, SEPTEMBER)
        district = venue_utilisation(tree.district, SEPTEMBER)
    assert {row.venue for row in street.rows} == {busy[0], quiet, third}
    assert len(district.rows) == 4
    flags = {row.venue.name: row.figures.deserted for row in street.rows}
    assert flags == {busy[0].name: False, "冷清中心": True, "又一中心": False}
    assert street.figures.deserted == 1 and street.figures.locked == 0
    # The median is taken over the whole district, so a community alone is judged too.
    with clock.at(AFTER):
        alone = venue_utilisation(tree.community_a1, SEPTEMBER)
    assert alone.rows[0].figures.deserted is True
    assert alone.rows[0].figures.peer_median == pytest.approx(55 / 161)


def test_the_current_month_counts_open_hours_only_until_now(tree):
    venue = make_venue(tree.community_a1)
    with clock.at(local(2025, 9, 3, 10)):  # Wednesday: Mon, Tue and an hour of Wed
        result = venue_utilisation(tree.community_a1, SEPTEMBER)
    assert result.rows[0].facts.open_hours == 7 + 7 + 1
    assert result.rows[0].facts.idle_working_days == 2
    assert venue.pk == result.rows[0].venue.pk


def test_a_unit_without_venues(tree):
    with clock.at(AFTER):
        result = venue_utilisation(tree.community_b1, SEPTEMBER)
    assert result.rows == [] and result.figures.checkins_per_open_hour is None


def test_the_trend_covers_twelve_months(tree):
    venue = make_venue(tree.community_a1)
    checkins(venue, [local(2025, 9, 1, 10), local(2025, 8, 4, 10), local(2025, 8, 5, 10)])
    with clock.at(AFTER):
        trend = utilisation_trend(tree.street_a, SEPTEMBER)
    assert [point.month for point in trend][-3:] == ["2025-07", "2025-08", "2025-09"]
    assert len(trend) == 12
    august, september = trend[-2], trend[-1]
    assert (august.checkins, september.checkins) == (2, 1)
    assert august.open_hours == 21 * 7  # 21 weekdays in August 2025
    assert september.checkins_per_open_hour == pytest.approx(1 / 161)
    assert trend[0].month == "2024-10"


def test_hours_count_from_the_day_the_venue_went_into_service(tree):
    venue = services.venue_create(
        actor=SYSTEM,
        unit=tree.community_a1,
        name="新阵地",
        kind="activity_room",
        address="柳岸路 2 号",
        area_m2=60,
        capacity=20,
        in_service_since=date(2025, 9, 29),
    )
    services.venue_hours_set(actor=SYSTEM, venue=venue, weekly={0: OFFICE, 1: OFFICE})
    with clock.at(AFTER):
        result = venue_utilisation(tree.community_a1, SEPTEMBER)
        trend = utilisation_trend(tree.community_a1, SEPTEMBER)
    (row,) = result.rows
    assert row.facts.open_hours == 14  # Monday 29 and Tuesday 30 September only
    assert row.facts.idle_working_days == 2
    assert [point.open_hours for point in trend[-2:]] == [0, 14]


def test_a_venue_cannot_go_into_service_in_the_future(tree):
    with clock.at(AFTER), pytest.raises(DomainError) as raised:
        services.venue_create(
            actor=SYSTEM,
            unit=tree.community_a1,
            name="未来阵地",
            kind="activity_room",
            address="柳岸路 3 号",
            area_m2=60,
            capacity=20,
            in_service_since=date(2025, 10, 16),
        )
    assert raised.value.field == "in_service_since"
    assert not Venue.objects.exists()
