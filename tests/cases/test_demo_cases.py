"""The demo requests: a year of cases replayed through the services by `seed_demo --cases N`."""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from io import StringIO
from itertools import groupby

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from jiceng.cases.demo_data import DEMO_PREFIX, PERFUNCTORY_REPLIES, demo_text_fragments
from jiceng.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    Channel,
    CloseReason,
    Escalation,
    EscalationReason,
    EventKind,
    Feedback,
    Notification,
    Reply,
    Solved,
    Status,
)
from jiceng.core.models import AuditEntry
from tests.shared_data import SHARED_DATA

pytestmark = pytest.mark.django_db

COUNT = 300
SHINGLE = 20
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for this module (it takes a while) and roll everything back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command(
            "seed_demo", "--cases", str(COUNT), "--no-evaluation", "--no-support", stdout=out
        )
        yield out.getvalue()
        transaction.set_rollback(True)


def demo_cases():
    return Case.objects.filter(external_id__startswith=DEMO_PREFIX)


def test_creates_the_requested_number_of_cases_and_says_so(seeded):
    assert demo_cases().count() == COUNT
    assert f"{COUNT}" in seeded
    assert "演示诉求" in seeded or "Demo requests" in seeded


def test_cases_exist_in_every_status(seeded):
    statuses = set(demo_cases().values_list("status", flat=True))
    assert statuses == set(Status.values)
    counts = dict(demo_cases().values_list("status").annotate(n=Count("pk")))
    # Most of a year's requests are finished.
    assert counts[Status.CLOSED] > COUNT * 0.6


def test_every_timeline_starts_with_the_submission_and_runs_forward(seeded):
    events = CaseEvent.objects.filter(case__in=demo_cases()).order_by("case_id", "pk")
    rows = events.values_list("case_id", "kind", "created_at")
    cases = 0
    for _case, timeline in groupby(rows, key=lambda row: row[0]):
        steps = list(timeline)
        cases += 1
        assert steps[0][1] == EventKind.SUBMITTED
        moments = [moment for _id, _kind, moment in steps]
        assert moments == sorted(moments)
    assert cases == COUNT
    # A case's submission time is its first event's time.
    first = dict(events.filter(kind=EventKind.SUBMITTED).values_list("case_id", "created_at"))
    for case in demo_cases().only("pk", "submitted_at"):
        assert first[case.pk] == case.submitted_at


def test_everything_happened_during_the_last_year_and_nothing_in_the_future(seeded):
    now = timezone.now()
    year_ago = now - timedelta(days=366)
    for model, field in (
        (Case, "submitted_at"),
        (Case, "accepted_at"),
        (Case, "resolved_at"),
        (Case, "closed_at"),
        (CaseEvent, "created_at"),
        (Reply, "created_at"),
        (Feedback, "created_at"),
        (Escalation, "created_at"),
        (Notification, "created_at"),
    ):
        span = model.objects.aggregate(first=Min(field), last=Max(field))
        assert span["last"] is not None, (model, field)
        assert year_ago <= span["first"] and span["last"] <= now, (model, field, span)
    months = {
        moment.strftime("%Y-%m") for moment in demo_cases().values_list("submitted_at", flat=True)
    }
    assert len(months) >= 12


def test_closed_cases_were_confirmed_by_the_resident_or_closed_for_lack_of_feedback(seeded):
    closed = demo_cases().filter(status=Status.CLOSED)
    reasons = dict(closed.values_list("close_reason").annotate(n=Count("pk")))
    assert set(reasons) == {CloseReason.FEEDBACK, CloseReason.NO_FEEDBACK}
    assert reasons[CloseReason.FEEDBACK] > reasons[CloseReason.NO_FEEDBACK]
    confirmed = closed.filter(close_reason=CloseReason.FEEDBACK)
    assert not confirmed.exclude(feedback__solved__in=[Solved.YES, Solved.PARTLY]).exists()
    unanswered = closed.filter(close_reason=CloseReason.NO_FEEDBACK)
    for case in unanswered:
        # Closed by the job, after the feedback window, without an answer in the last round.
        assert case.closed_at > case.feedback_due
        assert not case.feedback.filter(round=case.reopen_count + 1).exists()
    # Residents are mostly satisfied, not always.
    solved = dict(Feedback.objects.values_list("solved").annotate(n=Count("pk")))
    assert solved[Solved.YES] > solved.get(Solved.PARTLY, 0) + solved.get(Solved.NO, 0)
    assert solved.get(Solved.PARTLY) and solved.get(Solved.NO)


def test_not_solved_feedback_reopened_cases_that_were_then_resolved_again(seeded):
    reopened = demo_cases().filter(reopen_count__gte=1)
    assert reopened.exists()
    for case in reopened:
        kinds = list(case.events.values_list("kind", flat=True))
        assert EventKind.REOPENED in kinds
        assert case.feedback.filter(round=1, solved=Solved.NO).exists()
    assert reopened.filter(status=Status.CLOSED).exists()
    twice = Reply.objects.filter(case__in=reopened, is_resolution=True)
    assert twice.values("case").annotate(n=Count("pk")).filter(n__gte=2).exists()


def test_some_cases_were_transferred_twice_with_approval_or_denial(seeded):
    transferred = demo_cases().filter(transfer_count__gte=1)
    assert COUNT * 0.04 <= transferred.count() <= COUNT * 0.2
    approved = demo_cases().filter(events__kind=EventKind.TRANSFER_APPROVED).distinct()
    denied = demo_cases().filter(events__kind=EventKind.TRANSFER_DENIED).distinct()
    assert approved.exists() and denied.exists()
    assert not approved.filter(transfer_count__lt=2).exists()
    assert demo_cases().filter(transfer_count__gte=2).count() == approved.count()
    # Every second transfer was asked for and is decided or still waiting.
    requested = demo_cases().filter(events__kind=EventKind.TRANSFER_REQUESTED).distinct()
    waiting = requested.filter(status=Status.TRANSFER_PENDING)
    assert requested.count() == approved.count() + denied.count() + waiting.count()


def test_returns_rejections_and_merges_happen(seeded):
    assert demo_cases().filter(events__kind=EventKind.RETURNED).exists()
    rejected = demo_cases().filter(status=Status.REJECTED)
    assert rejected.exists()
    assert not rejected.filter(events__kind=EventKind.REJECTED, events__note="").exists()
    merged = demo_cases().filter(status=Status.MERGED)
    assert merged.exists()
    for case in merged.select_related("merged_into"):
        assert case.merged_into is not None
        assert case.merged_into.category_id == case.category_id
        assert case.merged_into.events.filter(kind=EventKind.SUPPORTED).exists()


def test_missed_deadlines_were_escalated_when_the_job_would_have_run(seeded):
    escalations = Escalation.objects.filter(case__in=demo_cases())
    reasons = set(escalations.values_list("reason", flat=True))
    assert reasons == set(EscalationReason.values)
    for escalation in escalations:
        assert escalation.deadline < escalation.created_at
        assert escalation.created_at - escalation.deadline <= timedelta(minutes=10)
    assert demo_cases().filter(escalation_count__gt=0).count() == (
        escalations.values("case").distinct().count()
    )
    # Today's lists show some overdue open cases.
    now = timezone.now()
    open_cases = demo_cases().filter(status__in=OPEN_STATUSES)
    assert any(case.is_overdue(now) for case in open_cases)
    assert any(not case.is_overdue(now) for case in open_cases)


def test_most_cases_are_on_time_and_answered_properly(seeded):
    finished = demo_cases().filter(resolved_at__isnull=False)
    on_time = sum(case.resolved_at <= case.resolve_by for case in finished)
    assert 0.7 <= on_time / finished.count() <= 0.95
    resolutions = Reply.objects.filter(case__in=demo_cases(), is_resolution=True)
    perfunctory = resolutions.filter(body__in=PERFUNCTORY_REPLIES).count()
    assert 0 < perfunctory < resolutions.count() * 0.2


def test_channels_priorities_and_reporters_vary(seeded):
    channels = dict(demo_cases().values_list("channel").annotate(n=Count("pk")))
    assert channels[Channel.WEB] > COUNT / 2
    assert channels.get(Channel.PHONE) and channels.get(Channel.WALK_IN)
    staff_entered = demo_cases().filter(channel__in=[Channel.PHONE, Channel.WALK_IN])
    assert not staff_entered.filter(entered_by__isnull=True).exists()
    anonymous = demo_cases().filter(is_anonymous=True)
    assert COUNT * 0.1 <= anonymous.count() <= COUNT * 0.3
    assert not anonymous.exclude(reporter_name="").exists()
    assert demo_cases().filter(priority="urgent").exists()


def test_texts_are_chinese_and_fit(seeded):
    for title, description in demo_cases().values_list("title", "description"):
        assert 0 < len(title) <= 100
        assert len(HAN.findall(title)) >= len(title) / 2, title
        assert len(HAN.findall(description)) >= len(description) / 2, description
        assert "{" not in title + description
    for body in Reply.objects.filter(case__in=demo_cases()).values_list("body", flat=True):
        assert len(HAN.findall(body)) >= len(body) / 2, body
        assert "{" not in body
    titles = set(demo_cases().values_list("title", flat=True))
    assert len(titles) >= COUNT / 3


def test_every_write_went_through_the_services(seeded):
    # Only the replayed year: the classifier's demo adds a few requests of its own.
    ids = [str(pk) for pk in demo_cases().values_list("pk", flat=True)]
    submitted = AuditEntry.objects.filter(action="cases.case.submitted", target_id__in=ids).count()
    assert submitted == COUNT
    events = CaseEvent.objects.filter(case__in=demo_cases())
    assert (
        AuditEntry.objects.filter(action__startswith="cases.case.").count()
        >= events.exclude(
            kind__in=[EventKind.SUPPORTED, EventKind.REOPENED, EventKind.SUBMITTED]
        ).count()
    )


def test_a_second_run_creates_no_cases(seeded):
    before = (Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count())
    out = StringIO()

    call_command("seed_demo", "--cases", str(COUNT), "--no-evaluation", "--no-support", stdout=out)

    assert (Case.objects.count(), CaseEvent.objects.count(), AuditEntry.objects.count()) == before
    assert "演示诉求已存在" in out.getvalue() or "already present" in out.getvalue()


def _shingles(text: str) -> set[str]:
    return {text[i : i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def test_demo_texts_are_not_taken_from_the_shared_real_messages(seeded):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the shared data folder {SHARED_DATA} is absent")
    files = sorted(SHARED_DATA.glob("*.csv"))
    if not files:
        pytest.skip(f"no CSV files in {SHARED_DATA}")
    ours: set[str] = set()
    for fragment in demo_text_fragments():
        ours |= _shingles(fragment)
    for description in demo_cases().values_list("description", flat=True):
        ours |= _shingles(description)
    titles = set(demo_cases().values_list("title", flat=True))
    assert len(ours) > 1000
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                assert row.get("title") not in titles, (path.name, row.get("title"))
                for column in ("body", "reply"):
                    text = row.get(column) or ""
                    for i in range(len(text) - SHINGLE + 1):
                        assert text[i : i + SHINGLE] not in ours, (path.name, text[i : i + 40])
