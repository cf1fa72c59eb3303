"""Per-process values that every process rebuilds when one of them announces a change."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from jiceng.core import process_cache
from jiceng.core.process_cache import KeyedProcessCache, ProcessCache


class Source:
    def __init__(self) -> None:
        self.value = "first"
        self.builds = 0

    def build(self) -> str:
        self.builds += 1
        return self.value


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = 1000.0

    monkeypatch.setattr(process_cache.time, "monotonic", lambda: Clock.now)
    return Clock


def test_built_once_then_kept(clock):
    source = Source()
    kept = ProcessCache("test.kept", source.build)
    assert kept.get() == "first"
    source.value = "second"
    clock.now += 60
    assert kept.get() == "first"  # nobody announced a change
    assert source.builds == 1


def test_a_change_announced_elsewhere_is_seen_after_the_recheck_interval(clock):
    source = Source()
    kept = ProcessCache("test.elsewhere", source.build, recheck_seconds=5)
    assert kept.get() == "first"
    source.value = "second"
    cache.set(kept._key, "a-version-another-process-wrote", timeout=None)
    clock.now += 4
    assert kept.get() == "first"  # not asked the shared cache yet
    clock.now += 2
    assert kept.get() == "second"
    assert source.builds == 2


@pytest.mark.django_db
def test_invalidate_forgets_at_once_and_announces_at_commit(
    clock, django_capture_on_commit_callbacks
):
    source = Source()
    kept = ProcessCache("test.invalidate", source.build)
    kept.get()
    version = cache.get(kept._key)
    source.value = "second"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        kept.invalidate()
        assert kept.get() == "second"  # this process sees its own change at once
        assert cache.get(kept._key) == version  # the others only after the commit
    for callback in callbacks:
        callback()
    assert cache.get(kept._key) != version


def test_a_lost_shared_version_rebuilds_rather_than_trusting_an_old_value(clock):
    source = Source()
    kept = ProcessCache("test.lost", source.build, recheck_seconds=5)
    kept.get()
    source.value = "second"
    cache.delete(kept._key)  # e.g. the cache was flushed
    clock.now += 6
    assert kept.get() == "second"


def test_forget_all_empties_every_process_cache(clock):
    source = Source()
    kept = ProcessCache("test.forget", source.build)
    kept.get()
    source.value = "second"
    process_cache.forget_all()
    assert kept.get() == "second"


def test_keyed_entries_load_once_each_and_stay_within_their_cap(clock):
    loads: list[str] = []

    def load(key: str) -> str:
        loads.append(key)
        return key.upper()

    kept: KeyedProcessCache[str, str] = KeyedProcessCache("test.keyed", max_entries=2)
    assert [kept.lookup(k, lambda k=k: load(k)) for k in ("a", "b", "a")] == ["A", "B", "A"]
    assert loads == ["a", "b"]
    kept.lookup("c", lambda: load("c"))  # a third entry empties the full cache first
    kept.lookup("a", lambda: load("a"))
    assert loads == ["a", "b", "c", "a"]
    kept.forget()
    kept.lookup("c", lambda: load("c"))
    assert loads[-1] == "c"
