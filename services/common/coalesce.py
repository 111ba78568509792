"""Group commit: concurrent callers' items are written together, one statement per batch.

A request thread calls `submit(item)` and blocks; writer threads take everything queued (up to
`max_batch`) and call `write(items) -> results` once for the lot. Under load one database round
trip and one statement serve many requests; alone, a request is written at once (no timer).
When a batch fails with an error `isolate` accepts (bad data in one item), each item is retried
alone, so one bad item fails only its own caller; any other error (the database is down) goes to
every caller of the batch at once. Items whose callers stopped waiting are not written.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
I = TypeVar("I")
R = TypeVar("R")


class WaitExpired(Exception):
    """The caller's wait ended before its item was written (the write may still happen)."""


class _Slot(Generic[I, R]):
    __slots__ = ("item", "done", "result", "error", "abandoned")

    def __init__(self, item: I) -> None:
        self.item = item
        self.done = threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None
        self.abandoned = False


class Coalescer(Generic[I, R]):
    def __init__(
        self,
        write: Callable[[Sequence[I]], Sequence[R]],
        *,
        isolate: Callable[[BaseException], bool] = lambda e: True,
        writers: int = 4,
        max_batch: int = 256,
        name: str = "coalesce",
    ) -> None:
        self._write = write
        self._isolate = isolate
        self._max = max_batch
        self._queue: queue.SimpleQueue[_Slot[I, R]] = queue.SimpleQueue()
        self._writers, self._name = writers, name
        self._started = False
        self._start_lock = threading.Lock()

    def _start(self) -> None:
        """Starts the writer threads on first use, so importing a service starts no threads."""
        with self._start_lock:
            if not self._started:
                for n in range(self._writers):
                    threading.Thread(target=self._run, name=f"{self._name}-{n}", daemon=True).start()
                self._started = True

    def submit(self, item: I, timeout: float | None = None) -> R:
        """Writes `item` with whatever else is queued; raises WaitExpired after `timeout` seconds
        (the item may still be written if a writer already took it, as with any deadline)."""
        if not self._started:
            self._start()
        slot: _Slot[I, R] = _Slot(item)
        self._queue.put(slot)
        if not slot.done.wait(timeout):
            slot.abandoned = True
            raise WaitExpired("the write did not complete in time")
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            batch = [s for s in batch if not s.abandoned]
            if batch:
                self._complete(batch)

    def _complete(self, batch: list[_Slot[I, R]]) -> None:
        try:
            results = self._write([s.item for s in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"write returned {len(results)} results for {len(batch)} items")
        except BaseException as e:  # noqa: BLE001 - handed to the callers, never swallowed
            if len(batch) > 1 and self._isolate(e):
                for slot in batch:
                    self._complete([slot])
                return
            for slot in batch:
                slot.error = e
                slot.done.set()
            return
        for slot, result in zip(batch, results):
            slot.result = result
            slot.done.set()
