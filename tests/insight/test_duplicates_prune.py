"""Pruning the duplicate index: the rows of closed, rejected and merged cases go, in batches;
open and resolved cases stay findable, a reopened case at once, and lookups are not worse."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from jiceng.cases.models import Case, Status
from jiceng.cases.services import (
    case_accept,
    case_dispatch,
    case_feedback,
    case_merge,
    case_reject,
    case_resolve,
    case_start,
)
from jiceng.core import clock
from jiceng.core.actors import RESIDENT, SYSTEM
from jiceng.core.errors import Forbidden
from jiceng.insight import duplicate_services, duplicates
from jiceng.insight.duplicate_services import duplicate_index_prune
from jiceng.insight.models_routing import DuplicateSignature, DuplicateTerm
from jiceng.insight.tasks_duplicates import prune_duplicate_index

TITLE = "柳岸花园垃圾站满溢"
BODY = "柳岸花园3幢旁边的垃圾站已经三天没有清运，气味很大，苍蝇很多，请尽快处理。"
OTHER_TITLE = "湖滨路路灯不亮"
OTHER_BODY = "湖滨路靠近菜市场的一排路灯晚上全部不亮，老人晚上出门很不安全，请安排维修。"


def rows(case: Case) -> int:
    return (
        DuplicateTerm.objects.filter(case=case).count()
        + DuplicateSignature.objects.filter(case=case).count()
    )


def found(tree, title=TITLE, description=BODY) -> set[int]:
    return {
        candidate.case_id
        for candidate in duplicates.find_similar(
            street_id=tree.street_a.pk, title=title, description=description, now=clock.now()
        )
    }


def resolved(case, secretary, tree):
    case = case_accept(case=case, actor=secretary)
    case = case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
    case = case_start(case=case, actor=secretary)
    return case_resolve(case=case, actor=secretary, body="已清运完毕。")


@pytest.fixture
def mixed(submit, secretary, tree):
    """Cases in every kind of state, old and recent, all in street A."""
    old = clock.now() - timedelta(days=200)
    made = {
        "open": submit(title=TITLE, description=BODY),
        "old_open": submit(title=OTHER_TITLE, description=OTHER_BODY, submitted_at=old),
        "old_twin": submit(
            title=OTHER_TITLE, description=OTHER_BODY, submitted_at=old + timedelta(days=2)
        ),
        "resolved": resolved(submit(title=OTHER_TITLE, description=OTHER_BODY), secretary, tree),
        "rejected": case_reject(
            case=submit(title=TITLE, description=BODY), actor=secretary, note="重复"
        ),
        "old_closed": case_feedback(
            case=resolved(submit(title=TITLE, description=BODY, submitted_at=old), secretary, tree),
            actor=RESIDENT,
            solved="yes",
            satisfaction=5,
        ).case,
    }
    made["merged"] = case_merge(
        case=submit(title=TITLE, description=BODY), actor=secretary, into=made["open"]
    )
    for case in made.values():
        case.refresh_from_db()
    assert made["old_closed"].status == Status.CLOSED
    assert made["merged"].status == Status.MERGED
    assert all(rows(case) > 1 for case in made.values())  # intake indexed every one
    return made


def test_rows_of_finished_cases_go_and_the_rest_stay(mixed):
    kept = {key: rows(mixed[key]) for key in ("open", "old_open", "old_twin", "resolved")}
    gone = sum(rows(mixed[key]) for key in ("rejected", "old_closed", "merged"))

    report = duplicate_index_prune(actor=SYSTEM)

    for key in ("rejected", "old_closed", "merged"):
        assert rows(mixed[key]) == 0, key
    for key, count in kept.items():
        assert rows(mixed[key]) == count, key
    assert report.cases == 3
    assert report.signatures == 3
    assert report.postings + report.signatures == gone
    assert not report.dry_run


def test_lookups_find_open_cases_after_pruning(mixed, tree, secretary):
    assert mixed["open"].pk in found(tree)
    duplicate_index_prune(actor=SYSTEM)
    assert found(tree) == {mixed["open"].pk}
    # The staff panel of an old case reads from its own submission day on: an old open case's
    # rows are kept, so its twin filed two days later still lists it.
    panel = duplicate_services.possible_duplicates(secretary, mixed["old_twin"])
    assert [shown.case.pk for shown in panel] == [mixed["old_open"].pk]


def test_finished_cases_no_longer_crowd_out_an_open_one(submit, secretary, tree):
    """The 30 candidate places went to the cases sharing most words, newest first, before the
    open filter: a flood of newer rejected reposts hid the open original until pruned."""
    original = submit(title=TITLE, description=BODY)
    for _ in range(duplicates.CANDIDATES):
        case_reject(case=submit(title=TITLE, description=BODY), actor=secretary, note="重复")
    assert found(tree) == set()

    duplicate_index_prune(actor=SYSTEM)

    assert found(tree) == {original.pk}


def test_a_reopened_case_is_found_again(submit, secretary, tree):
    case = resolved(submit(title=TITLE, description=BODY), secretary, tree)
    assert found(tree) == set()  # resolved is not open: not suggested

    duplicate_index_prune(actor=SYSTEM)
    feedback = case_feedback(case=case, actor=RESIDENT, solved="no", satisfaction=None)

    assert feedback.case.status == Status.IN_PROGRESS
    assert found(tree) == {case.pk}


def test_pruning_twice_removes_nothing_more(mixed):
    first = duplicate_index_prune(actor=SYSTEM)
    left = DuplicateTerm.objects.count() + DuplicateSignature.objects.count()

    again = duplicate_index_prune(actor=SYSTEM)

    assert first.cases == 3
    assert (again.cases, again.postings, again.signatures, again.batches) == (0, 0, 0, 0)
    assert DuplicateTerm.objects.count() + DuplicateSignature.objects.count() == left


def test_dry_run_counts_and_removes_nothing(mixed):
    before = DuplicateTerm.objects.count() + DuplicateSignature.objects.count()

    preview = duplicate_index_prune(actor=SYSTEM, dry_run=True)

    assert DuplicateTerm.objects.count() + DuplicateSignature.objects.count() == before
    done = duplicate_index_prune(actor=SYSTEM)
    assert preview.dry_run
    assert (preview.cases, preview.postings, preview.signatures) == (
        done.cases,
        done.postings,
        done.signatures,
    )
    assert DuplicateTerm.objects.count() + DuplicateSignature.objects.count() == (
        before - done.postings - done.signatures
    )


def test_each_transaction_removes_at_most_the_batch_size(submit, secretary, settings):
    settings.DUPLICATES_PRUNE_BATCH = 2 * (duplicates.INDEX_TERMS + 1)  # two cases' worth
    finished = [
        case_reject(case=submit(title=TITLE, description=BODY), actor=secretary, note="重复")
        for _ in range(5)
    ]

    report = duplicate_index_prune(actor=SYSTEM)

    assert report.cases == 5
    assert report.batches == 3  # 2 + 2 + 1 cases
    assert 0 < report.largest_batch <= settings.DUPLICATES_PRUNE_BATCH
    assert all(rows(case) == 0 for case in finished)


def test_a_batch_smaller_than_one_case_still_makes_progress(submit, secretary, settings):
    settings.DUPLICATES_PRUNE_BATCH = 1
    case = case_reject(case=submit(title=TITLE, description=BODY), actor=secretary, note="重复")

    report = duplicate_index_prune(actor=SYSTEM)

    assert report.cases == 1 and rows(case) == 0


def test_only_the_system_prunes(mixed, secretary):
    before = DuplicateTerm.objects.count()
    with pytest.raises(Forbidden):
        duplicate_index_prune(actor=secretary)
    with pytest.raises(Forbidden):
        duplicate_index_prune(actor=RESIDENT)
    assert DuplicateTerm.objects.count() == before


def test_the_nightly_job_prunes(mixed):
    removed = prune_duplicate_index.call_local()

    assert removed > 0
    assert rows(mixed["rejected"]) == 0
    assert rows(mixed["open"]) > 0
    assert prune_duplicate_index.call_local() == 0


def test_command_dry_run_then_for_real(mixed):
    before = DuplicateTerm.objects.count()
    out = StringIO()
    with translation.override("en"):
        call_command("duplicates_prune", "--dry-run", stdout=out)
    assert out.getvalue().startswith("Would remove ")
    assert "of 3 closed, rejected or merged cases" in out.getvalue()
    assert DuplicateTerm.objects.count() == before

    out = StringIO()
    with translation.override("en"):
        call_command("duplicates_prune", stdout=out)
    assert out.getvalue().startswith("Removed ")
    assert "and 3 signature(s) of 3 closed" in out.getvalue()
    assert DuplicateTerm.objects.count() < before
    assert rows(mixed["rejected"]) == 0
