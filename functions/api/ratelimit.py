"""In-process rate limits (per instance): token exchange (per client IP) and failed authentication attempts (per
credential and client IP, and per client IP with a higher bound; only failures are counted, see `auth`).

Front Door's WAF applies the global per-IP limit; these limits stop credential guessing at the application.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindowLimiter:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, *, limit: int, window: float, max_keys: int = 50_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def exceeded(self, key: str) -> bool:
        with self._lock:
            return len(self._trim(key, time.monotonic())) >= self.limit

    def hit(self, key: str) -> bool:
        """Record an event; False if the key was already at its limit (the event is not recorded then)."""
        now = time.monotonic()
        with self._lock:
            if len(self._events) > self.max_keys:
                self._events.clear()  # bounded memory under an address-spraying attack
            events = self._trim(key, now)
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def retry_after(self, key: str) -> int:
        with self._lock:
            events = self._events.get(key)
            if not events:
                return 0
            return max(1, int(events[0] + self.window - time.monotonic()) + 1)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


token_exchange = SlidingWindowLimiter(limit=10, window=60)
failed_auth = SlidingWindowLimiter(limit=30, window=60)  # failures per (credential digest, client IP)
failed_auth_ip = SlidingWindowLimiter(limit=300, window=60)  # failures per client IP, any credential


def reset_all() -> None:
    for limiter in (token_exchange, failed_auth, failed_auth_ip):
        limiter.reset()
