"""The outbox: record domain events with the change that causes them, relay them to the events queue, and
consume them exactly once per consumer (at-least-once delivery + a processed_events key)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from shared.data import db, events
from shared.domain.events import DomainEvent
from shared.platform import context
from shared.platform.metrics import outbox_events_relayed_total

__all__ = [
    "Consumer",
    "DomainEvent",
    "MalformedEvent",
    "Publisher",
    "handle",
    "log_event",
    "record",
    "register_consumers",
    "registered_consumers",
    "relay_pending",
]

log = logging.getLogger(__name__)


def record(conn: psycopg.Connection[Any], *new_events: DomainEvent) -> None:
    """Write events in the caller's transaction, with the current correlation id."""
    events.insert_events(conn, new_events)


Publisher = Callable[[list[dict[str, Any]]], None]


def relay_pending(*, publish: Publisher, batch_size: int = 256, max_batches: int = 40) -> int:
    """Move pending events to the queue. Each batch is claimed and published inside one transaction: if publishing
    fails the claim rolls back and the events stay pending. A crash after publishing and before commit publishes
    again later; consumers dedupe by event key."""
    relayed = 0
    for _ in range(max_batches):
        with db.connection() as conn, conn.transaction():
            batch = events.claim_pending(conn, limit=batch_size)
            if not batch:
                break
            publish([_envelope(e) for e in batch])
        relayed += len(batch)
        outbox_events_relayed_total.add(len(batch))
    if relayed:
        log.info("outbox relayed %d events", relayed)
    return relayed


def _envelope(event: events.PendingEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "tenant_id": str(event.tenant_id),
        "type": event.event_type,
        "key": event.event_key,
        "aggregate": {"type": event.aggregate_type, "id": event.aggregate_id},
        "payload": event.payload,
        "correlation_id": event.correlation_id,
        "occurred_at": event.occurred_at.isoformat(),
    }


Handler = Callable[[psycopg.Connection[Any], dict[str, Any], datetime], None]  # (conn, envelope, now)


@dataclass(frozen=True)
class Consumer:
    """A handler of one event type (`"*"`: every event); `name` keys its dedupe marks in processed_events."""

    event_type: str
    name: str
    handler: Handler


_consumers: tuple[Consumer, ...] = ()


def register_consumers(consumers: Iterable[Consumer]) -> None:
    """Install the consumers `handle` runs, replacing any installed before. The app installs its table
    (`shared.application.consumers.CONSUMERS`) once in function_app.py; importing a module registers nothing."""
    global _consumers
    _consumers = tuple(consumers)


def registered_consumers() -> tuple[Consumer, ...]:
    return _consumers


class MalformedEvent(ValueError):
    """A queue message that is not an event envelope (goes to the poison queue after retries)."""


def handle(envelope: dict[str, Any], *, now: datetime) -> int:
    """Run every installed consumer of the event once per (consumer, event key), each with `now` (the moment the
    interface received the message). Returns how many consumers ran now."""
    try:
        tenant_id, event_type, key = envelope["tenant_id"], envelope["type"], envelope["key"]
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"not an event envelope: missing {exc}") from exc
    ran = 0
    with context.bound(correlation=envelope.get("correlation_id")):
        subscribers = [
            *(c for c in _consumers if c.event_type == event_type),
            *(c for c in _consumers if c.event_type == "*"),
        ]
        for consumer in subscribers:
            with db.tenant_transaction(tenant_id) as conn:
                if events.mark_processed(conn, tenant_id=tenant_id, consumer=consumer.name, event_key=key):
                    consumer.handler(conn, envelope, now)
                    ran += 1
    return ran


def log_event(conn: psycopg.Connection[Any], envelope: dict[str, Any], now: datetime) -> None:
    """Every event is logged once (the dedupe mark in processed_events is the durable trace)."""
    log.info(
        "domain event %s",
        envelope["type"],
        extra={"event_key": envelope["key"], "aggregate": envelope.get("aggregate")},
    )
