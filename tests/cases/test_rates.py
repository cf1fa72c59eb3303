"""The case-rate definitions (jiceng.cases.rates) on small data sets computed by hand."""

from __future__ import annotations

import ast
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jiceng.cases import rates
from jiceng.cases.models import CloseReason, Satisfaction, Solved, Status
from jiceng.cases.rates import (
    Answer,
    Handled,
    Median,
    Month,
    Rate,
    Received,
    Tally,
    latest_answer,
    median_handling_hours,
    month_bounds,
    month_span,
    no_feedback_share,
    on_time_rate,
    resolution_rate,
    response_rate,
    roll_up,
    satisfaction_rate,
    series,
    tabulate,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH = Month(2026, 3)
APRIL = Month(2026, 4)

# Paths as django-treebeard writes them (4 characters a level).
DISTRICT = "0001"
STREET = "00010001"
OTHER_STREET = "00010002"
COMMUNITY_A = "000100010001"
COMMUNITY_B = "000100010002"
GRID_A = "0001000100010001"


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment of 2026 in Shanghai local time."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


class TestMonths:
    def test_a_moment_belongs_to_its_local_month(self):
        # 2026-03-31 23:30 in Shanghai is 15:30 UTC the same day: March.
        late_march = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
        assert Month.of(late_march) == MARCH
        # 2026-03-31 16:00 UTC is already 2026-04-01 00:00 in Shanghai: April.
        assert Month.of(datetime(2026, 3, 31, 16, 0, tzinfo=UTC)) == APRIL
        # The other way round: 2026-03-01 07:59 local is still February in UTC, March here.
        assert Month.of(at(3, 1, 7, 59)) == MARCH

    def test_parse_and_print(self):
        assert Month.parse("2026-03") == MARCH
        assert Month.parse(" 2026-03 ") == MARCH
        assert str(MARCH) == "2026-03"
        full_width = "２０２６-０３"  # digits, but not ASCII ones
        for bad in ("2026-13", "2026-00", "2026-3", "26-03", "2026/03", "", "0000-01", full_width):
            with pytest.raises(ValueError):
                Month.parse(bad)

    def test_span_crosses_the_year_and_bounds_are_local_midnights(self):
        assert month_span(Month(2026, 2), 4) == [
            Month(2025, 11),
            Month(2025, 12),
            Month(2026, 1),
            Month(2026, 2),
        ]
        assert len(month_span(MARCH)) == 12
        start, end = month_bounds([MARCH, APRIL])
        assert start == datetime(2026, 3, 1, tzinfo=SHANGHAI)
        assert end == datetime(2026, 5, 1, tzinfo=SHANGHAI)
        # 2026-03-01 00:00 in Shanghai is 2026-02-28 16:00 UTC.
        assert start.astimezone(UTC) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
        assert Month(2026, 12).next() == Month(2027, 1)
        assert Month(2026, 1).previous() == Month(2025, 12)


# --- response rate --------------------------------------------------------------------------
NOW = at(4, 2, 12)  # 2026-04-02 12:00 local

RECEIVED = [
    # A: accepted exactly at respond_by: on time.
    Received(COMMUNITY_A, at(3, 2, 9), respond_by=at(3, 2, 17), responded_at=at(3, 2, 17)),
    # B: accepted the next morning: late.
    Received(COMMUNITY_A, at(3, 5, 9), respond_by=at(3, 5, 17), responded_at=at(3, 6, 10)),
    # C: never accepted, respond_by passed long ago: late.
    Received(COMMUNITY_A, at(3, 10, 9), respond_by=at(3, 10, 17), responded_at=None),
    # D: submitted 03-31 23:30, not accepted, respond_by (04-02 17:00) after NOW: not due yet.
    Received(COMMUNITY_A, at(3, 31, 23, 30), respond_by=at(4, 2, 17), responded_at=None),
    # E: submitted 03-31 23:30 (March), accepted 04-01 09:00, before respond_by: on time.
    Received(COMMUNITY_A, at(3, 31, 23, 30), respond_by=at(4, 1, 17), responded_at=at(4, 1, 9)),
    # F: submitted 04-01 00:10: April, not March.
    Received(COMMUNITY_A, at(4, 1, 0, 10), respond_by=at(4, 1, 17), responded_at=at(4, 1, 10)),
    # G: submitted 02-28 23:59: February.
    Received(COMMUNITY_A, at(2, 28, 23, 59), respond_by=at(3, 2, 17), responded_at=None),
]


class TestResponseRate:
    def test_hand_computed_month(self):
        # March: due = A, B, C, E (D is not due yet) → 4; on time = A, E → 2; 2/4 = 0.5.
        rate = response_rate(RECEIVED, month=MARCH, now=NOW)
        assert (rate.numerator, rate.denominator, rate.value) == (2, 4, 0.5)
        assert rate.percent == 50.0
        # April: F, on time → 1/1. February: G, late → 0/1 (0, not None: one case was due).
        assert response_rate(RECEIVED, month=APRIL, now=NOW) == Rate(1, 1)
        february = response_rate(RECEIVED, month=Month(2026, 2), now=NOW)
        assert (february.numerator, february.denominator, february.value) == (0, 1, 0.0)

    def test_a_case_becomes_due_when_its_deadline_passes(self):
        # D again, judged after its respond_by (04-02 17:00): now late. At respond_by exactly it
        # has not passed yet.
        case = RECEIVED[3]
        assert rates.response_outcome(case, at(4, 2, 17)) is None
        assert rates.response_outcome(case, at(4, 2, 17, 1)) is False
        assert response_rate(RECEIVED, month=MARCH, now=at(4, 3)) == Rate(2, 5)

    def test_rejecting_or_merging_unaccepted_cases_is_a_response(self):
        accepted, closed = at(3, 2, 10), at(3, 2, 11)
        assert rates.response_moment(accepted, "closed", closed) == accepted
        assert rates.response_moment(None, "rejected", closed) == closed
        assert rates.response_moment(None, "merged", closed) == closed
        assert rates.response_moment(None, "submitted", None) is None

    def test_nothing_due_is_none_not_zero(self):
        only_d = [RECEIVED[3]]
        rate = response_rate(only_d, month=MARCH, now=NOW)
        assert rate == Rate(0, 0)
        assert rate.value is None and rate.percent is None
        assert response_rate([], month=MARCH, now=NOW).value is None


# --- the figures of resolved and closed cases -----------------------------------------------
HANDLED = [
    # H1: 48 h, on time, "yes" rated 5, closed with feedback 03-05.
    Handled(
        COMMUNITY_A,
        submitted_at=at(3, 1, 9),
        resolve_by=at(3, 6, 17, 30),
        resolved_at=at(3, 3, 9),
        closed_at=at(3, 5, 10),
        close_reason="feedback",
        solved="yes",
        satisfaction=5,
    ),
    # H2: resolved exactly at resolve_by (on time); 03-02 09:00 → 03-09 17:30 = 176.5 h;
    # "partly", rated 3; closed with feedback 03-10.
    Handled(
        COMMUNITY_A,
        submitted_at=at(3, 2, 9),
        resolve_by=at(3, 9, 17, 30),
        resolved_at=at(3, 9, 17, 30),
        closed_at=at(3, 10, 9),
        close_reason="feedback",
        solved="partly",
        satisfaction=3,
    ),
    # H3: late; 02-20 10:00 → 03-04 10:00 = 12 days = 288 h; latest answer "no" without a
    # rating (resolved again after a reopening, not answered again); still open for feedback.
    Handled(
        COMMUNITY_A,
        submitted_at=at(2, 20, 10),
        resolve_by=at(2, 27, 17, 30),
        resolved_at=at(3, 4, 10),
        solved="no",
    ),
    # H4: resolved 03-31 23:30 local (March), late; 03-20 08:00 → 03-31 23:30 = 279.5 h;
    # no answer; closed for want of one on 04-08 (April).
    Handled(
        COMMUNITY_A,
        submitted_at=at(3, 20, 8),
        resolve_by=at(3, 25, 17, 30),
        resolved_at=at(3, 31, 23, 30),
        closed_at=at(4, 8, 10),
        close_reason="no_feedback",
    ),
    # H5: resolved 04-01 00:30: April.
    Handled(
        COMMUNITY_A,
        submitted_at=at(3, 25, 9),
        resolve_by=at(3, 30, 17, 30),
        resolved_at=at(4, 1, 0, 30),
        solved="yes",
        satisfaction=4,
    ),
    # H6: resolved in February, closed for want of an answer on 03-05: March's closed cases.
    Handled(
        COMMUNITY_A,
        submitted_at=at(2, 1, 9),
        resolve_by=at(2, 6, 17, 30),
        resolved_at=at(2, 27, 9),
        closed_at=at(3, 5, 10),
        close_reason="no_feedback",
    ),
    # H7: reopened (resolved_at cleared), later rejected: closed_at set but not "closed after a
    # resolution"; counts nowhere.
    Handled(
        COMMUNITY_A,
        submitted_at=at(3, 3, 9),
        resolve_by=at(3, 8, 17, 30),
        resolved_at=None,
        closed_at=at(3, 12, 9),
        close_reason="",
        solved="no",
        satisfaction=1,
    ),
]


class TestResolvedFigures:
    def test_resolution_rate(self):
        # Resolved in March: H1, H2, H3, H4. Answers: yes, partly, no (H4 none) → 2 of 3.
        assert resolution_rate(HANDLED, month=MARCH) == Rate(2, 3)
        # April: H5 "yes" → 1/1.
        assert resolution_rate(HANDLED, month=APRIL) == Rate(1, 1)

    def test_satisfaction_rate(self):
        # March ratings: 5 (H1), 3 (H2); H3 and H4 unrated → 1 of 2 is 4 or 5.
        assert satisfaction_rate(HANDLED, month=MARCH) == Rate(1, 2)
        # April: 4 → 1/1.
        assert satisfaction_rate(HANDLED, month=APRIL) == Rate(1, 1)

    def test_on_time_rate_counts_the_deadline_itself_as_on_time(self):
        # March: H1 on time, H2 exactly at resolve_by (on time), H3 and H4 late → 2/4.
        assert on_time_rate(HANDLED, month=MARCH) == Rate(2, 4)
        assert on_time_rate(HANDLED, month=APRIL) == Rate(0, 1)

    def test_median_handling_time(self):
        # March hours: 48, 176.5, 288, 279.5 → sorted 48, 176.5, 279.5, 288; median is the
        # mean of the middle two: (176.5 + 279.5) / 2 = 228.
        assert median_handling_hours(HANDLED, month=MARCH) == Median(228.0, 4)
        # April: H5 alone, 03-25 09:00 → 04-01 00:30 = 6 days 15.5 h = 159.5 h.
        assert median_handling_hours(HANDLED, month=APRIL) == Median(159.5, 1)
        # An odd count takes the middle one: H1, H2, H3 → 176.5.
        assert median_handling_hours(HANDLED[:3], month=MARCH) == Median(176.5, 3)

    def test_no_feedback_share(self):
        # Closed in March: H1 (feedback), H2 (feedback), H6 (no feedback); H7 was rejected,
        # not closed after a resolution → 1 of 3.
        assert no_feedback_share(HANDLED, month=MARCH) == Rate(1, 3)
        # April: H4 → 1/1.
        assert no_feedback_share(HANDLED, month=APRIL) == Rate(1, 1)

    def test_empty_denominators_are_none(self):
        empty = Month(2026, 6)
        for rate in (
            resolution_rate(HANDLED, month=empty),
            satisfaction_rate(HANDLED, month=empty),
            on_time_rate(HANDLED, month=empty),
            no_feedback_share(HANDLED, month=empty),
        ):
            assert rate == Rate(0, 0) and rate.value is None
        assert median_handling_hours(HANDLED, month=empty) == Median(None, 0)
        # Resolved cases without any answer: the on-time rate exists, the resolution rate not.
        unanswered = [HANDLED[3]]
        assert on_time_rate(unanswered, month=MARCH) == Rate(0, 1)
        assert resolution_rate(unanswered, month=MARCH).value is None
        assert satisfaction_rate(unanswered, month=MARCH).value is None
        figures = Tally().figures()
        assert figures.response.value is None and figures.handling.value is None


class TestReopenRounds:
    def test_only_the_latest_round_counts(self):
        # Round 1 "no" (rated 1) reopened the case; round 2 "yes" (rated 5) is what counts.
        answers = [Answer(2, "yes", 5), Answer(1, "no", 1)]
        assert latest_answer(answers) == Answer(2, "yes", 5)
        assert latest_answer(reversed(answers)) == Answer(2, "yes", 5)
        assert latest_answer([]) is None
        answer = latest_answer(answers)
        assert answer is not None
        case = Handled(
            COMMUNITY_A,
            submitted_at=at(3, 1),
            resolve_by=at(3, 20, 17, 30),
            resolved_at=at(3, 10),
            solved=answer.solved,
            satisfaction=answer.satisfaction,
        )
        # One case, one answer: 1/1 solved, 1/1 satisfied (not 1/2 from both rounds).
        assert resolution_rate([case], month=MARCH) == Rate(1, 1)
        assert satisfaction_rate([case], month=MARCH) == Rate(1, 1)

    def test_a_no_stays_until_the_new_resolution_is_answered(self):
        # Round 1 "no", resolved again, not answered again: the latest word is still "no".
        answer = latest_answer([Answer(1, "no", 2)])
        assert answer is not None
        case = Handled(
            COMMUNITY_A,
            submitted_at=at(3, 1),
            resolve_by=at(3, 20, 17, 30),
            resolved_at=at(3, 10),
            solved=answer.solved,
            satisfaction=answer.satisfaction,
        )
        assert resolution_rate([case], month=MARCH) == Rate(0, 1)
        assert satisfaction_rate([case], month=MARCH) == Rate(0, 1)


# --- many units and months at once; subtrees ------------------------------------------------
def _handled(unit: str, resolved_at: datetime, hours: float, **fields) -> Handled:
    return Handled(
        unit,
        submitted_at=resolved_at - timedelta(hours=hours),
        resolve_by=resolved_at,
        resolved_at=resolved_at,
        **fields,
    )


class TestTabulateAndRollUp:
    def test_one_pass_equals_the_definitions(self):
        tallies = tabulate(RECEIVED, HANDLED, now=NOW)
        march = tallies[(COMMUNITY_A, MARCH)].figures()
        assert march.response == response_rate(RECEIVED, month=MARCH, now=NOW) == Rate(2, 4)
        assert march.resolution == Rate(2, 3)
        assert march.satisfaction == Rate(1, 2)
        assert march.on_time == Rate(2, 4)
        assert march.handling == Median(228.0, 4)
        assert march.no_feedback == Rate(1, 3)
        # Only the months asked for are kept.
        assert set(tabulate(RECEIVED, HANDLED, now=NOW, months=[APRIL])) == {(COMMUNITY_A, APRIL)}

    def test_own_and_subtree(self):
        received = [
            # The street itself: 1 on time. Community A: 1 on time, 1 late. Grid A: 1 late.
            # Community B: 1 on time. The other street: 1 on time (never in this street).
            Received(STREET, at(3, 2), at(3, 2, 17), at(3, 2, 10)),
            Received(COMMUNITY_A, at(3, 3), at(3, 3, 17), at(3, 3, 10)),
            Received(COMMUNITY_A, at(3, 4), at(3, 4, 17), None),
            Received(GRID_A, at(3, 5), at(3, 5, 17), at(3, 6, 9)),
            Received(COMMUNITY_B, at(3, 6), at(3, 6, 17), at(3, 6, 10)),
            Received(OTHER_STREET, at(3, 7), at(3, 7, 17), at(3, 7, 10)),
        ]
        handled = [
            # Hours: community A 1 and 3, grid A 2, community B 10 (resolved on time, March).
            _handled(COMMUNITY_A, at(3, 10), 1, solved="yes", satisfaction=5),
            _handled(COMMUNITY_A, at(3, 11), 3, solved="no", satisfaction=2),
            _handled(GRID_A, at(3, 12), 2, solved="partly", satisfaction=4),
            _handled(COMMUNITY_B, at(3, 13), 10),
            _handled(OTHER_STREET, at(3, 14), 99, solved="no", satisfaction=1),
        ]
        tallies = tabulate(received, handled, now=NOW)
        subtrees = roll_up(tallies, [DISTRICT, STREET, COMMUNITY_A, COMMUNITY_B, GRID_A])

        def figures(table, unit):
            return series(table, unit, [MARCH])[MARCH]

        # Own: only what is attributed to the unit itself.
        assert figures(tallies, STREET).response == Rate(1, 1)
        assert figures(tallies, STREET).resolution == Rate(0, 0)
        assert figures(tallies, COMMUNITY_A).response == Rate(1, 2)
        # Community A's subtree adds grid A: response 1 of 3; answers yes, no, partly → 2/3;
        # ratings 5, 2, 4 → 2/3; hours 1, 3, 2 → median 2.
        community_a = figures(subtrees, COMMUNITY_A)
        assert community_a.response == Rate(1, 3)
        assert community_a.resolution == Rate(2, 3)
        assert community_a.satisfaction == Rate(2, 3)
        assert community_a.handling == Median(2.0, 3)
        # The street: itself + A + grid A + B; response on time: street, A (one), B → 3 of 5;
        # hours 1, 3, 2, 10 → median (2 + 3) / 2 = 2.5 — the median of all cases, not the
        # median of the communities' medians ((2 + 10) / 2 = 6).
        street = figures(subtrees, STREET)
        assert street.response == Rate(3, 5)
        assert street.on_time == Rate(4, 4)
        assert street.handling == Median(2.5, 4)
        assert street.resolution == Rate(2, 3)
        # The district has both streets: 4 of 6 on time, 5 resolved.
        district = figures(subtrees, DISTRICT)
        assert district.response == Rate(4, 6)
        assert district.on_time.denominator == 5
        # The grid is a leaf: its subtree is itself.
        assert figures(subtrees, GRID_A) == figures(tallies, GRID_A)
        # A month with nothing in it: every figure is None.
        empty = series(subtrees, STREET, [APRIL])[APRIL]
        assert empty.response.value is None and empty.handling.hours is None


class TestPurity:
    def test_the_module_imports_neither_django_nor_the_project(self):
        source = Path(rates.__file__).read_text(encoding="utf-8")
        imported: list[str] = []
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.append(node.module or "")
        assert imported
        assert not [name for name in imported if name.split(".")[0] in ("django", "jiceng")]

    def test_the_stored_values_it_reads_still_exist(self):
        assert {Solved.YES.value, Solved.PARTLY.value} == rates.SOLVED_ANSWERS
        assert {
            Satisfaction.SATISFIED.value,
            Satisfaction.VERY_SATISFIED.value,
        } == rates.SATISFIED_LEVELS
        assert set(CloseReason.values) == rates.CLOSED_REASONS
        assert CloseReason.NO_FEEDBACK.value == rates.NO_FEEDBACK
        assert {Status.REJECTED.value, Status.MERGED.value} == rates.DECIDED_WITHOUT_ACCEPTING


class TestDatabaseCounts:
    """The database hands in grouped counts; folded, they give the figures the rows give."""

    def test_weighted_median(self):
        assert rates.weighted_median({}) is None
        assert rates.weighted_median({5.0: 1}) == 5.0
        # 1, 2, 2, 9 → (2 + 2) / 2; 1, 2, 9, 9 → (2 + 9) / 2; 1, 2, 2 → 2.
        assert rates.weighted_median({9.0: 1, 1.0: 1, 2.0: 2}) == 2.0
        assert rates.weighted_median({1.0: 1, 2.0: 1, 9.0: 2}) == 5.5
        assert rates.weighted_median({1.0: 1, 2.0: 2}) == 2.0
        assert rates.weighted_median({3.0: 0, 4.0: 2}) == 4.0

    def test_the_median_is_the_same_as_over_the_list(self):
        hours = [48.0, 176.5, 288.0, 279.5, 48.0, 2.0]
        tally = Tally()
        for value in hours:
            tally.add_handling(value)
        # 2, 48, 48, 176.5, 279.5, 288 → (48 + 176.5) / 2.
        assert tally.figures().handling == Median(statistics.median(hours), 6)
        assert tally.figures().handling.hours == 112.25

    def test_answer_codes(self):
        assert rates.answer_code(None, None) == rates.NO_ANSWER
        assert rates.answer_code("yes", 5) in rates.SOLVED_CODES & rates.SATISFIED_CODES
        assert rates.answer_code("partly", None) in rates.SOLVED_CODES - rates.RATED_CODES
        assert rates.answer_code("no", 4) in rates.SATISFIED_CODES - rates.SOLVED_CODES
        assert rates.answer_code("no", 2) in rates.RATED_CODES - rates.SATISFIED_CODES
        assert rates.answer_code("no", None) not in rates.RATED_CODES | rates.SOLVED_CODES

    def test_folded_counts_give_the_figures_of_the_rows(self):
        """March's worked example (docs/SCORING.md), as the database would count it."""
        now = at(4, 2, 12)
        by_rows = tabulate(RECEIVED, HANDLED, now=now, months=[MARCH])[(COMMUNITY_A, MARCH)]
        counts = [(rates.RECEIVED_COUNTS, COMMUNITY_A, MARCH, -1, -1, 4, 2)]
        for case in HANDLED:
            if case.resolved_at is not None and Month.of(case.resolved_at) == MARCH:
                hours = (case.resolved_at - case.submitted_at).total_seconds() / 3600
                answer = rates.answer_code(case.solved, case.satisfaction)
                in_time = int(case.resolved_at <= case.resolve_by)
                tenths = int(hours * 10)
                counts.append(
                    (rates.RESOLVED_COUNTS, COMMUNITY_A, MARCH, answer, tenths, 1, in_time)
                )
            if rates.is_closed(case) and Month.of(case.closed_at) == MARCH:
                no_feedback = int(case.close_reason == "no_feedback")
                counts.append((rates.CLOSED_COUNTS, COMMUNITY_A, MARCH, -1, -1, 1, no_feedback))
        folded = rates.fold_counts(counts)[(COMMUNITY_A, MARCH)]
        assert folded.figures() == by_rows.figures()
        assert folded.figures().handling == Median(228.0, 4)

    def test_stored_histograms_come_back_exactly(self):
        tally = Tally()
        for tenths, count in ((240, 2), (1765, 1), (3505, 3)):
            tally.add_handling(tenths / 10, count)
        assert rates.histogram_tenths(tally) == {240: 2, 1765: 1, 3505: 3}

    def test_an_unknown_kind_is_refused(self):
        with pytest.raises(ValueError, match="unknown kind"):
            rates.fold_counts([(9, COMMUNITY_A, MARCH, -1, -1, 1, 0)])


def test_the_pure_path_step_matches_the_unit_tree():
    """rates.py imports no models, so it names the tree's path step itself: keep them equal."""
    from jiceng.orgs.models import OrgUnit

    assert OrgUnit.steplen == rates.STEPLEN
