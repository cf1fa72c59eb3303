"""PreparedInsert writes what bulk_create writes, with late values filled in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from jiceng.core.db.prepared_insert import PreparedInsert
from jiceng.core.models import CalendarDay

pytestmark = pytest.mark.django_db


def _days(start: int, count: int) -> list[CalendarDay]:
    today = timezone.localdate()
    return [
        CalendarDay(
            date=today + timedelta(days=start + i), kind=CalendarDay.Kind.HOLIDAY, name=f"n{i}"
        )
        for i in range(count)
    ]


def _stored(objs: list[CalendarDay]) -> list[tuple[object, ...]]:
    return list(
        CalendarDay.objects.filter(pk__in=[obj.pk for obj in objs])
        .order_by("date")
        .values_list("date", "kind", "name")
    )


def test_same_rows_as_bulk_create_and_the_objects_get_their_ids():
    by_bulk = CalendarDay.objects.bulk_create(_days(0, 3))
    prepared = PreparedInsert(_days(10, 3))
    stored = prepared.execute()
    assert all(obj.pk is not None and not obj._state.adding for obj in stored)
    assert len({obj.pk for obj in stored}) == 3
    shift = timedelta(days=10)
    assert [(d + shift, k, n) for d, k, n in _stored(by_bulk)] == _stored(stored)


def test_late_values_are_set_on_the_objects_and_in_the_rows():
    prepared = PreparedInsert(_days(20, 2))
    prepared.set("name", ["late one", "late two"])
    stored = prepared.execute()
    assert [obj.name for obj in stored] == ["late one", "late two"]
    assert [name for _, _, name in _stored(stored)] == ["late one", "late two"]
    with pytest.raises(ValueError):
        prepared.set("name", ["only one value for two rows"])


def test_combined_inserts_keep_their_order_and_chunks_beyond_the_parameter_limit():
    parts = [PreparedInsert(_days(100 + 400 * i, 400)) for i in range(3)]
    combined = PreparedInsert.combine(parts)
    stored = combined.execute()
    assert len(stored) == 1200  # more rows than one statement takes on SQLite
    assert [obj.date for obj in stored] == sorted(obj.date for obj in stored)
    assert CalendarDay.objects.filter(pk__in=[obj.pk for obj in stored]).count() == 1200


def test_nothing_to_insert_is_nothing_to_do():
    assert PreparedInsert([]).execute() == []
    empty = PreparedInsert.combine([PreparedInsert([])])
    empty.set("name", [])
    assert empty.execute() == []
