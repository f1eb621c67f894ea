"""Queue gauges: every app queue and its poison queue sampled into `queue_messages_waiting` (the queue-backlog
alert and the Queues workbook read it), and the open dead letters per queue."""

from __future__ import annotations

import logging

from shared.adapters.queue_depth import approximate_length
from shared.application.dead_letters import dead_letter_queues, open_counts
from shared.platform.metrics import queue_messages_waiting

__all__ = ["sample_queue_depths"]
log = logging.getLogger(__name__)


def sample_queue_depths() -> dict[str, int]:
    """Record the waiting messages of every queue and `<queue>-poison`; returns what was recorded. A queue that
    cannot be read is logged and skipped (the others are still recorded)."""
    depths: dict[str, int] = {}
    for base in dead_letter_queues():
        for name in (base, f"{base}-poison"):
            try:
                depths[name] = approximate_length(name)
            except Exception:
                log.exception("queue length unavailable", extra={"queue": name})
                continue
            queue_messages_waiting.set(depths[name], {"queue": name})
    log.info("queue depths sampled", extra={"depths": depths, "dead_letters_open": _open_letters()})
    return depths


def _open_letters() -> dict[str, int]:
    try:
        return open_counts()
    except Exception:
        log.exception("dead letters count unavailable")
        return {}
