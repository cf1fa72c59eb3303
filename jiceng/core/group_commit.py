"""Group commit: the writes of concurrent requests in one process share one transaction.

A durable commit costs a disk flush and, on SQLite, a turn at the database's single write lock.
When many requests write at the same moment (intake at peak), each waiting for its own turn
makes the queue, not the work, the cost. Here the first request to arrive leads: it writes its
item and everything that queued up meanwhile in one transaction, then wakes the others, who
return their own result; requests arriving during that commit queue for the next leader. Alone,
a request writes at once, so nothing waits for a batch to fill.

Every request still returns only after the transaction holding its item committed, so nothing
acknowledged can be lost. If a batch fails, each of its items is tried again alone, so one bad
item fails only its own request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import connection

In = TypeVar("In")
Out = TypeVar("Out")


@dataclass
class _Slot(Generic[In, Out]):
    item: In
    result: Out | None = None
    error: BaseException | None = None
    done: bool = False


class GroupCommit(Generic[In, Out]):
    def __init__(
        self, write_many: Callable[[Sequence[In]], Sequence[Out]], *, max_batch: int = 64
    ) -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._condition = threading.Condition()
        self._queue: list[_Slot[In, Out]] = []
        self._leading = False

    def run(self, item: In) -> Out:
        """Write `item` (perhaps with others') and return its result once committed."""
        if connection.in_atomic_block:
            # Inside the caller's transaction the item must share that transaction's fate.
            return self._write_many([item])[0]
        slot: _Slot[In, Out] = _Slot(item)
        with self._condition:
            self._queue.append(slot)
        while True:
            with self._condition:
                while self._leading and not slot.done:
                    self._condition.wait()
                if slot.done:
                    break
                self._leading = True
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
            try:
                self._write(batch)
            except BaseException as error:  # the worker is being stopped: no one may wait on
                for taken in batch:
                    if taken.error is None and taken.result is None:
                        taken.error = error
                raise
            finally:
                with self._condition:
                    for taken in batch:
                        taken.done = True
                    self._leading = False
                    self._condition.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _write(self, batch: list[_Slot[In, Out]]) -> None:
        try:
            results = self._write_many([slot.item for slot in batch])
        except Exception as error:  # noqa: BLE001  (re-raised in the request it belongs to)
            if len(batch) == 1:
                batch[0].error = error
                return
            for slot in batch:  # find the item at fault: each alone
                try:
                    slot.result = self._write_many([slot.item])[0]
                except Exception as alone:  # noqa: BLE001  (re-raised in its own request)
                    slot.error = alone
            return
        for slot, result in zip(batch, results, strict=True):
            slot.result = result
