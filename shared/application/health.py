"""Readiness: can we reach PostgreSQL and Azure Storage right now?"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from shared.adapters import storage
from shared.data import db

log = logging.getLogger(__name__)
CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class DependencyCheck:
    name: str
    ok: bool
    seconds: float
    error: str | None = None


def _outcome(name: str, future: Future[None], started: float) -> DependencyCheck:
    remaining = max(0.0, CHECK_TIMEOUT_SECONDS - (time.perf_counter() - started))
    try:
        future.result(timeout=remaining)
        return DependencyCheck(name, True, time.perf_counter() - started)
    except FutureTimeout:
        return DependencyCheck(name, False, time.perf_counter() - started, "timeout")
    except Exception as exc:
        log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return DependencyCheck(name, False, time.perf_counter() - started, type(exc).__name__)


def check_readiness() -> list[DependencyCheck]:
    """Run the dependency checks concurrently, each bounded by CHECK_TIMEOUT_SECONDS."""
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readiness")
    try:
        started = time.perf_counter()
        checks: list[tuple[str, Callable[[], None]]] = [("postgresql", db.ping), ("storage", storage.ping)]
        futures = [(name, pool.submit(check)) for name, check in checks]
        return [_outcome(name, future, started) for name, future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung dependency must not hold the answer
