"""The outbox: record domain events with the change that causes them, relay them to the events queue, and
consume them exactly once per consumer (at-least-once delivery + a processed_events key). Each consumer of an event
succeeds, fails (retried alone on redelivery) or is skipped with a reason (recorded once, rerun on demand) on its
own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from shared.data import consumer_runs, db, events
from shared.domain.events import DomainEvent
from shared.platform import context
from shared.platform.metrics import outbox_consumer_outcomes_total, outbox_events_relayed_total

__all__ = [
    "Consumer",
    "ConsumerSkipped",
    "DomainEvent",
    "MalformedEvent",
    "Publisher",
    "Rerun",
    "handle",
    "log_event",
    "record",
    "register_consumers",
    "registered_consumers",
    "relay_pending",
    "rerun_skipped",
    "skipped",
    "tenant_ids",
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
Runner = Callable[[dict[str, Any], datetime], None]  # (envelope, now): opens its own transactions


@dataclass(frozen=True)
class Consumer:
    """A consumer of one event type (`"*"`: every event); `name` keys its dedupe mark in processed_events.

    Exactly one of: `handler(conn, envelope, now)` runs inside the event's tenant transaction, together with its
    dedupe mark (database work only: it must not take another pool connection); `run(envelope, now)` opens its own
    transactions (signing, PAC or other outside calls) and runs with no connection held, its mark written after it
    succeeds, so it must be idempotent by its own natural keys (a crash in between runs it again)."""

    event_type: str
    name: str
    handler: Handler | None = None
    run: Runner | None = None

    def __post_init__(self) -> None:
        if (self.handler is None) == (self.run is None):
            raise ValueError(f"consumer {self.name!r}: give exactly one of handler (in transaction) or run")


class ConsumerSkipped(Exception):
    """Raised by a consumer that cannot do its work for a reason retrying does not fix (the tenant has no CSD):
    `handle` records the skip with `reason` (a short token) once, logs one error and does not retry it;
    `rerun_skipped` runs it again once the cause is fixed."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


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


Outcome = str  # "ran", "duplicate", "skipped", "failed"


def handle(envelope: dict[str, Any], *, now: datetime) -> int:
    """Run every installed consumer of the event once per (consumer, event key), each with `now` (the moment the
    interface received the message), each on its own: one failing never stops the others. When any failed, the
    first failure is raised after trying them all (the queue redelivers; the ones that ran are marked and do
    nothing again, so a redelivery re-runs only the failed ones). Returns how many consumers ran now.

    No connection is held across consumers, and a consumer never runs while this holds one for it unless it is
    an in-transaction handler using that same connection: a unit of work never waits for a second pool connection
    while holding one (with the pool at N and N events in flight, that wait was a deadlock)."""
    tenant_id, event_type, key = _fields(envelope)
    outcomes: dict[str, Outcome] = {}
    failed: dict[str, BaseException] = {}
    with context.bound(correlation=envelope.get("correlation_id")):
        subscribers = [
            *(c for c in _consumers if c.event_type == event_type),
            *(c for c in _consumers if c.event_type == "*"),
        ]
        for consumer in subscribers:
            try:
                outcomes[consumer.name] = _run_once(consumer, tenant_id=tenant_id, envelope=envelope, now=now)
            except ConsumerSkipped as skip:
                outcomes[consumer.name] = "skipped"
                _record_skip(consumer, tenant_id=tenant_id, envelope=envelope, skip=skip, now=now)
            except Exception as error:
                outcomes[consumer.name] = "failed"
                failed[consumer.name] = error
                log.exception(
                    "event consumer failed", extra={"consumer": consumer.name, "event_key": key, "event": event_type}
                )
            outbox_consumer_outcomes_total.add(1, {"consumer": consumer.name, "outcome": outcomes[consumer.name]})
    if failed:
        first = next(iter(failed.values()))
        first.add_note(f"event {key}: failed consumers {sorted(failed)}; the others ran and are marked")
        raise first
    return sum(1 for outcome in outcomes.values() if outcome == "ran")


def _fields(envelope: dict[str, Any]) -> tuple[str, str, str]:
    try:
        tenant_id, event_type, key = envelope["tenant_id"], envelope["type"], envelope["key"]
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"not an event envelope: missing {exc}") from exc
    if not all(isinstance(v, str) and v for v in (tenant_id, event_type, key)):
        raise MalformedEvent("not an event envelope: tenant_id, type and key must be non-empty text")
    return tenant_id, event_type, key


def _run_once(consumer: Consumer, *, tenant_id: str, envelope: dict[str, Any], now: datetime) -> Outcome:
    key = envelope["key"]
    if consumer.handler is not None:
        with db.tenant_transaction(tenant_id) as conn:
            if not events.mark_processed(conn, tenant_id=tenant_id, consumer=consumer.name, event_key=key):
                return "duplicate"
            consumer.handler(conn, envelope, now)
        return "ran"
    assert consumer.run is not None
    with db.tenant_transaction(tenant_id) as conn:
        if consumer_runs.is_processed(conn, consumer=consumer.name, event_key=key):
            return "duplicate"
    consumer.run(envelope, now)  # no connection held here
    with db.tenant_transaction(tenant_id) as conn:
        events.mark_processed(conn, tenant_id=tenant_id, consumer=consumer.name, event_key=key)
    return "ran"


def _record_skip(
    consumer: Consumer, *, tenant_id: str, envelope: dict[str, Any], skip: ConsumerSkipped, now: datetime
) -> None:
    key = envelope["key"]
    with db.tenant_transaction(tenant_id) as conn:
        events.mark_processed(conn, tenant_id=tenant_id, consumer=consumer.name, event_key=key)
        new = consumer_runs.record_skip(
            conn,
            tenant_id=tenant_id,
            consumer=consumer.name,
            event_key=key,
            event_type=envelope["type"],
            reason=skip.reason,
            detail=skip.detail,
            envelope=envelope,
            at=now,
        )
    if new:
        log.error(
            "event consumer skipped: %s",
            skip.detail,
            extra={"consumer": consumer.name, "event_key": key, "reason": skip.reason},
        )


@dataclass(frozen=True)
class Rerun:
    consumer: str
    event_key: str
    outcome: Outcome
    detail: str = ""


def tenant_ids() -> list[UUID]:
    """Every tenant, for operator commands over the skipped consumers."""
    return db.tenant_ids()


def skipped(*, tenant_id: UUID | str, consumer: str | None = None) -> list[consumer_runs.Skip]:
    """The consumers skipped and not rerun yet, oldest first."""
    with db.tenant_transaction(tenant_id) as conn:
        return consumer_runs.open_skips(conn, consumer=consumer)


def rerun_skipped(*, tenant_id: UUID | str, now: datetime, consumer: str | None = None) -> list[Rerun]:
    """Run the skipped consumers of a tenant again (after fixing the cause): each that now succeeds is marked
    rerun; one that skips again stays open, one that fails is reported."""
    by_name = {c.name: c for c in _consumers}
    out: list[Rerun] = []
    for skip in skipped(tenant_id=tenant_id, consumer=consumer):
        found = by_name.get(skip.consumer)
        if found is None:
            out.append(Rerun(skip.consumer, skip.event_key, "failed", "consumer not installed"))
            continue
        try:
            with context.bound(correlation=skip.envelope.get("correlation_id")):
                if found.handler is not None:
                    with db.tenant_transaction(tenant_id) as conn:
                        found.handler(conn, skip.envelope, now)
                else:
                    assert found.run is not None
                    found.run(skip.envelope, now)
        except ConsumerSkipped as again:
            out.append(Rerun(skip.consumer, skip.event_key, "skipped", again.detail))
            continue
        except Exception as error:
            log.exception("rerun of a skipped consumer failed", extra={"consumer": skip.consumer})
            out.append(Rerun(skip.consumer, skip.event_key, "failed", f"{type(error).__name__}: {error}"))
            continue
        with db.tenant_transaction(tenant_id) as conn:
            consumer_runs.mark_rerun(conn, consumer=skip.consumer, event_key=skip.event_key, at=now)
        out.append(Rerun(skip.consumer, skip.event_key, "ran"))
    return out


def log_event(conn: psycopg.Connection[Any], envelope: dict[str, Any], now: datetime) -> None:
    """Every event is logged once (the dedupe mark in processed_events is the durable trace)."""
    log.info(
        "domain event %s",
        envelope["type"],
        extra={"event_key": envelope["key"], "aggregate": envelope.get("aggregate")},
    )
