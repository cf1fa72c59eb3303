"""Venue utilisation: rates, the locked and deserted flags, unit totals (pure functions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from jiceng.support import utilisation as u

BASE = u.VenueFacts(
    venue_id=1,
    kind="service_centre",
    open_hours=100.0,
    checkins=60,
    checkins_in_hours=50,
    activities=4,
    spot_checks_in_hours=2,
    spot_checks_closed=0,
    population=5000,
    months=1.0,
    idle_working_days=0,
)


def facts(**changes) -> u.VenueFacts:
    return replace(BASE, **changes)


def test_rates_of_one_venue():
    (figure,) = u.venue_figures([facts()])
    assert figure.checkins_per_open_hour == 0.5  # 50 check-ins in hours / 100 open hours
    assert figure.activities_per_month == 4
    assert figure.closed_rate == 0
    assert figure.visitors_per_thousand == 12  # 60 / 5000 × 1000
    assert (figure.locked, figure.deserted, figure.peer_median) == (False, False, None)


def test_nothing_to_divide_by_gives_none_not_zero():
    (figure,) = u.venue_figures(
        [facts(open_hours=0, checkins_in_hours=0, spot_checks_in_hours=0, population=0)]
    )
    assert figure.checkins_per_open_hour is None
    assert figure.closed_rate is None
    assert figure.visitors_per_thousand is None
    assert figure.deserted is False


def test_a_spot_check_finding_it_closed_locks_the_venue():
    (figure,) = u.venue_figures([facts(spot_checks_closed=1)])
    assert figure.locked and figure.locked_reasons == (u.LOCKED_BY_SPOT_CHECK,)
    assert figure.closed_rate == 0.5


@pytest.mark.parametrize(("idle", "locked"), [(4, False), (5, True), (12, True)])
def test_idle_working_days_lock_the_venue_from_five(idle, locked):
    (figure,) = u.venue_figures([facts(idle_working_days=idle)])
    assert figure.locked is locked
    assert figure.locked_reasons == ((u.LOCKED_BY_IDLENESS,) if locked else ())


def test_both_reasons_are_kept():
    (figure,) = u.venue_figures([facts(idle_working_days=9, spot_checks_closed=2)])
    assert figure.locked_reasons == (u.LOCKED_BY_SPOT_CHECK, u.LOCKED_BY_IDLENESS)


def test_idle_streak_counts_back_over_working_days_with_posted_hours():
    days = [
        (True, True, 3),  # a check-in: the streak cannot reach back past it
        (True, True, 0),
        (False, True, 0),  # weekend opening: neither counts nor breaks
        (True, False, 0),  # working day without posted hours: skipped
        (True, True, 0),
        (True, True, 0),
    ]
    assert u.idle_streak(days) == 3
    assert u.idle_streak([]) == 0
    assert u.idle_streak([(True, True, 1)]) == 0


def test_deserted_against_the_median_of_the_same_kind():
    # Rates 0.05, 0.4, 0.5, 0.6 → median 0.45; a quarter of it is 0.1125.
    venues = [
        facts(venue_id=1, checkins_in_hours=5),
        facts(venue_id=2, checkins_in_hours=40),
        facts(venue_id=3, checkins_in_hours=50),
        facts(venue_id=4, checkins_in_hours=60),
        facts(venue_id=5, kind="reading_room", checkins_in_hours=1),  # alone of its kind
    ]
    figures = {f.venue_id: f for f in u.venue_figures(venues)}
    assert figures[1].peer_median == pytest.approx(0.45)
    assert figures[1].deserted is True
    assert not any(figures[i].deserted for i in (2, 3, 4))
    assert figures[5].peer_median is None and figures[5].deserted is False


def test_just_at_a_quarter_of_the_median_is_not_deserted():
    venues = [
        facts(venue_id=1, checkins_in_hours=10),
        facts(venue_id=2, checkins_in_hours=40),
        facts(venue_id=3, checkins_in_hours=80),
    ]
    figures = u.venue_figures(venues)  # median 0.4, a quarter 0.1 == venue 1's rate
    assert [f.deserted for f in figures] == [False, False, False]
    figures = u.venue_figures(venues, deserted_fraction=0.3)
    assert [f.deserted for f in figures] == [True, False, False]


def test_too_few_peers_or_a_zero_median_judge_nobody():
    two = [facts(venue_id=1, checkins_in_hours=1), facts(venue_id=2, checkins_in_hours=90)]
    assert [f.deserted for f in u.venue_figures(two)] == [False, False]
    zeros = [facts(venue_id=i, checkins_in_hours=0) for i in range(1, 4)]
    assert [f.deserted for f in u.venue_figures(zeros)] == [False, False, False]
    # Venues without posted hours are not peers.
    closed = [*two, facts(venue_id=3, open_hours=0, checkins_in_hours=0)]
    assert [f.deserted for f in u.venue_figures(closed)] == [False, False, False]


def test_unit_figures_are_rates_of_totals():
    venues = [
        facts(venue_id=1, checkins=10, checkins_in_hours=10, open_hours=100, activities=1),
        facts(
            venue_id=2,
            checkins=35,
            checkins_in_hours=30,
            open_hours=50,
            activities=5,
            spot_checks_in_hours=3,
            spot_checks_closed=1,
        ),
    ]
    figures = u.venue_figures(venues)
    unit = u.unit_figures(venues, figures, population=9000, months=2.0)
    assert unit.venues == 2
    assert unit.open_hours == 150
    assert unit.checkins == 45
    assert unit.checkins_per_open_hour == pytest.approx(40 / 150)
    assert unit.activities_per_month == 3
    assert unit.closed_rate == pytest.approx(1 / 5)
    assert unit.visitors_per_thousand == 5
    assert (unit.locked, unit.deserted, unit.flagged_share) == (1, 0, 0.5)


def test_unit_without_venues():
    unit = u.unit_figures([], [], population=0, months=1.0)
    assert unit.venues == 0
    assert unit.checkins_per_open_hour is None
    assert unit.activities_per_month is None
    assert unit.flagged_share is None


def test_period_months_and_days():
    assert u.Period.month(2025, 2).days == 28
    assert u.Period.month(2024, 2).months == 1.0
    assert u.Period(date(2025, 1, 1), date(2025, 12, 31)).months == pytest.approx(12.0)
    # Half of April (15 of 30 days) and all of May.
    assert u.Period(date(2025, 4, 16), date(2025, 5, 31)).months == pytest.approx(1.5)
    assert u.Period(date(2024, 12, 1), date(2025, 1, 31)).month_keys() == [(2024, 12), (2025, 1)]
    assert len(list(u.Period(date(2025, 1, 30), date(2025, 2, 2)).dates())) == 4
    with pytest.raises(ValueError):
        u.Period(date(2025, 2, 2), date(2025, 2, 1))


def test_worked_example_of_the_documentation():
    """The example in docs/SCORING.md, "Venue utilisation"."""
    venues = [
        facts(
            venue_id=1,
            open_hours=176,
            checkins=240,
            checkins_in_hours=220,
            activities=6,
            spot_checks_in_hours=1,
            spot_checks_closed=0,
            population=8000,
        ),
        facts(
            venue_id=2,
            open_hours=176,
            checkins=130,
            checkins_in_hours=120,
            activities=3,
            spot_checks_in_hours=0,
            spot_checks_closed=0,
            population=6000,
        ),
        facts(
            venue_id=3,
            open_hours=160,
            checkins=18,
            checkins_in_hours=16,
            activities=1,
            spot_checks_in_hours=1,
            spot_checks_closed=1,
            population=5000,
            idle_working_days=6,
        ),
    ]
    one, two, three = u.venue_figures(venues)
    assert one.checkins_per_open_hour == pytest.approx(1.25)
    assert two.checkins_per_open_hour == pytest.approx(0.6818, abs=1e-4)
    assert three.checkins_per_open_hour == pytest.approx(0.1)
    assert one.peer_median == pytest.approx(0.6818, abs=1e-4)
    assert three.deserted and not one.deserted and not two.deserted  # 0.1 < 0.1705
    assert three.locked_reasons == (u.LOCKED_BY_SPOT_CHECK, u.LOCKED_BY_IDLENESS)
    assert one.visitors_per_thousand == 30
    assert three.visitors_per_thousand == pytest.approx(3.6)
