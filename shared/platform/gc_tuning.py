"""Garbage-collector settings for worker processes that run batch activities.

A stamping or billing chunk allocates millions of short-lived objects (Decimals, strings, small tuples) and almost
no reference cycles, so CPython's default young-generation threshold (700 allocations) runs thousands of useless
collections per chunk: about 5 % of a stamping worker's CPU (docs/benchmarks.md). `tune_for_batch_work()` moves
everything allocated at import time out of the collector's view (`gc.freeze`) and collects the young generation
every 50,000 net allocations instead. Cycles are still collected, just less often; call it once per process, after
imports.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)
YOUNG_THRESHOLD = 50_000


def tune_for_batch_work() -> None:
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    log.debug("gc tuned for batch work", extra={"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()})
