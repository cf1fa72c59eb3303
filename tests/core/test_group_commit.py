"""Group commit: concurrent writes share a transaction, each caller gets its own outcome."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from django.db import transaction

from jiceng.core.group_commit import GroupCommit


class Recorder:
    """A write_many that records its batches; the first batch waits until released."""

    def __init__(self, *, hold_first: bool = True) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.entered.set()
        self.release.wait(timeout=10)
        if any(item < 0 for item in items):
            raise ValueError(f"bad item in {list(items)}")
        return [item * 10 for item in items]


def _run_in_threads(
    group: GroupCommit[int, int], items: list[int]
) -> tuple[dict[int, object], list[threading.Thread]]:
    outcomes: dict[int, object] = {}

    def call(item: int) -> None:
        try:
            outcomes[item] = group.run(item)
        except ValueError as error:
            outcomes[item] = error

    threads = [threading.Thread(target=call, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    return outcomes, threads


def _wait_until_queued(group: GroupCommit[int, int], count: int) -> None:
    """Until `count` callers wait behind the leader (they queue before they wait)."""
    for _ in range(500):
        if len(group._queue) == count:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{len(group._queue)} callers queued, expected {count}")


def test_alone_a_write_runs_at_once_as_a_batch_of_one():
    write = Recorder(hold_first=False)
    group = GroupCommit(write)
    assert group.run(4) == 40
    assert group.run(5) == 50
    assert write.batches == [[4], [5]]


def test_writes_arriving_while_one_is_stored_go_together_in_the_next_batch():
    write = Recorder()
    group = GroupCommit(write)
    first, first_threads = _run_in_threads(group, [1])
    assert write.entered.wait(timeout=5)  # 1 is being stored, holding the lead
    rest, rest_threads = _run_in_threads(group, [2, 3, 4, 5])
    _wait_until_queued(group, 4)
    write.release.set()
    for thread in first_threads + rest_threads:
        thread.join(timeout=10)
    assert first == {1: 10}
    assert rest == {2: 20, 3: 30, 4: 40, 5: 50}
    assert write.batches[0] == [1]
    assert sorted(write.batches[1]) == [2, 3, 4, 5]  # one transaction for the four
    assert len(write.batches) == 2


def test_a_bad_item_fails_only_its_own_caller():
    write = Recorder()
    group = GroupCommit(write)
    first, first_threads = _run_in_threads(group, [1])
    assert write.entered.wait(timeout=5)
    rest, rest_threads = _run_in_threads(group, [2, -3, 4])
    _wait_until_queued(group, 3)
    write.release.set()
    for thread in first_threads + rest_threads:
        thread.join(timeout=10)
    assert first == {1: 10}
    assert rest[2] == 20 and rest[4] == 40
    assert isinstance(rest[-3], ValueError)
    # The failed batch of three was tried again item by item.
    assert sorted(write.batches[1]) == [-3, 2, 4]
    assert sorted(map(tuple, write.batches[2:])) == [(-3,), (2,), (4,)]


def test_batches_are_capped():
    write = Recorder()
    group = GroupCommit(write, max_batch=2)
    first, first_threads = _run_in_threads(group, [1])
    assert write.entered.wait(timeout=5)
    rest, rest_threads = _run_in_threads(group, [2, 3, 4, 5, 6])
    _wait_until_queued(group, 5)
    write.release.set()
    for thread in first_threads + rest_threads:
        thread.join(timeout=10)
    assert first == {1: 10}
    assert rest == {2: 20, 3: 30, 4: 40, 5: 50, 6: 60}
    assert all(len(batch) <= 2 for batch in write.batches)
    assert sorted(item for batch in write.batches for item in batch) == [1, 2, 3, 4, 5, 6]


@pytest.mark.django_db
def test_inside_a_transaction_the_write_joins_it_and_is_not_grouped(monkeypatch):
    write = Recorder(hold_first=False)
    group = GroupCommit(write)

    def waited(*args, **kwargs):
        raise AssertionError("a call inside a transaction waited for another thread's batch")

    monkeypatch.setattr(group._condition, "wait", waited)
    with transaction.atomic():
        assert group.run(7) == 70
        group._leading = True  # another thread's batch would make a grouped call wait
        assert group.run(8) == 80
        assert not group._queue
    assert write.batches == [[7], [8]]
