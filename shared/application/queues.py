"""Queue handoffs of the use cases: every message the product sends goes through the one sender
(`shared.adapters.storage.send_json`: JSON, base64, size limit, one kept-alive client per queue)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.adapters import storage

__all__ = ["send", "send_all"]


def send(*, queue: str, message: dict[str, Any]) -> None:
    """Send one JSON message to `queue` (raises when Storage refuses it, so the caller can retry or roll back)."""
    storage.send_json(queue, message)


def send_all(*, queue: str, messages: Iterable[dict[str, Any]]) -> None:
    """Send messages to `queue` in order, one request each; stops at the first failure."""
    for message in messages:
        storage.send_json(queue, message)
