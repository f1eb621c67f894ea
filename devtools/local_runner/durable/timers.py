"""Durable timers for the local engine: one thread firing callbacks at their UTC due time.

`fast_forward(owner)` fires an owner's pending timers now (tests and demos that must not wait a day); the engine
then advances that instance's orchestration clock to the timer's fireAt so `current_utc_datetime` stays consistent.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from devtools.local_runner.durable.history import utcnow

log = logging.getLogger("devtools.local_runner.durable")


@dataclass(order=True)
class _Entry:
    due: datetime
    order: int
    owner: object = field(compare=False)
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class TimerService:
    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._cv = threading.Condition()
        self._counter = itertools.count()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="durable-timers", daemon=True)
        self._thread.start()

    def schedule(self, due: datetime, owner: object, callback: Callable[[], None]) -> None:
        with self._cv:
            heapq.heappush(self._heap, _Entry(due, next(self._counter), owner, callback))
            self._cv.notify()

    def cancel(self, owner: object) -> None:
        with self._cv:
            for entry in self._heap:
                if entry.owner is owner:
                    entry.cancelled = True

    def pending(self, owner: object | None = None) -> int:
        with self._cv:
            return sum(1 for e in self._heap if not e.cancelled and (owner is None or e.owner is owner))

    def fast_forward(self, owner: object | None = None) -> int:
        """Make pending timers (of `owner`, or all) due now; returns how many."""
        now = utcnow()
        count = 0
        with self._cv:
            for entry in self._heap:
                if not entry.cancelled and (owner is None or entry.owner is owner) and entry.due > now:
                    entry.due = now
                    count += 1
            heapq.heapify(self._heap)
            self._cv.notify()
        return count

    def close(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cv:
                while True:
                    if self._stopped:
                        return
                    while self._heap and self._heap[0].cancelled:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cv.wait()
                        continue
                    delay = (self._heap[0].due - utcnow()).total_seconds()
                    if delay <= 0:
                        entry = heapq.heappop(self._heap)
                        break
                    self._cv.wait(min(delay, 1.0))
            try:
                entry.callback()
            except Exception:  # a timer callback must not kill the timer thread; the failure is logged
                log.exception("durable timer callback failed")
