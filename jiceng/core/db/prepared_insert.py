"""INSERTs whose values are adapted for the database before the transaction starts.

Django's `bulk_create` turns every field of every object into a database value (`pre_save`,
`get_db_prep_save`) while it runs. Inside a write transaction on SQLite that work holds the
database's single write lock, and with many threads in a process the thread holding it shares the
interpreter with them, so the lock is held for a multiple of that work. `PreparedInsert` does the
adapting first; inside the transaction only the statement runs, after late values that are known
only there (the ids of rows just inserted, an audit chain's next link) are filled in with `set`.

It writes what `bulk_create` would write for the same objects; tests compare the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)


class PreparedInsert(Generic[M]):
    def __init__(self, objs: Sequence[M], *, using: str = "default") -> None:
        self.objs = list(objs)
        self.using = using
        self.model = type(self.objs[0]) if self.objs else None
        meta = self.model._meta if self.model else None
        self.fields = (
            [field for field in meta.local_concrete_fields if field is not meta.auto_field]
            if meta
            else []
        )
        self._index = {field.attname: i for i, field in enumerate(self.fields)}
        connection = self.connection
        self.rows = [
            [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in self.fields]
            for obj in self.objs
        ]

    @classmethod
    def combine(cls, parts: Sequence[PreparedInsert[M]]) -> PreparedInsert[M]:
        """One insert of the rows of several prepared inserts of the same model, in order."""
        filled = [part for part in parts if part.objs]
        if not filled:
            return cls([], using=parts[0].using if parts else "default")
        if len({part.model for part in filled}) > 1:
            raise ValueError("only inserts of the same model combine")
        combined = cls.__new__(cls)
        combined.__dict__.update(filled[0].__dict__)
        combined.objs = [obj for part in filled for obj in part.objs]
        combined.rows = [row for part in filled for row in part.rows]
        return combined

    @property
    def connection(self) -> Any:
        # Looked up on every use: the thread that stores the rows may not be the one that
        # prepared them, and each thread has its own connection.
        return connections[self.using]

    def set(self, attname: str, values: Sequence[Any]) -> None:
        """Give each object (in order) its value for `attname`, on the object and in its row."""
        if not self.objs:
            return
        i = self._index[attname]
        field = self.fields[i]
        connection = self.connection
        for obj, row, value in zip(self.objs, self.rows, values, strict=True):
            setattr(obj, attname, value)
            row[i] = field.get_db_prep_save(value, connection)

    def execute(self) -> list[M]:
        """Insert the rows; each object gets its new id, as after `bulk_create`."""
        if not self.objs or self.model is None:
            return self.objs
        meta = self.model._meta
        connection = self.connection
        quote = connection.ops.quote_name
        columns = ", ".join(quote(_column(field)) for field in self.fields)
        one_row = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        size = max(1, connection.ops.bulk_batch_size(self.fields, self.objs))
        ids: list[Any] = []
        with connection.cursor() as cursor:
            for start in range(0, len(self.rows), size):
                chunk = self.rows[start : start + size]
                # Quoted names from the model; every value is a parameter.
                sql = (
                    f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
                    f"VALUES {', '.join([one_row] * len(chunk))} "
                    f"RETURNING {quote(_column(meta.pk))}"
                )
                cursor.execute(sql, [value for row in chunk for value in row])
                ids.extend(row[0] for row in cursor.fetchall())
        for obj, pk in zip(self.objs, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = self.using
        return self.objs


def _column(field: Any) -> str:
    column: str | None = field.column
    assert column is not None  # a concrete field always has one
    return column
