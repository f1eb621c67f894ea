"""The one writer of domain_events (the outbox), its relay claim, and the consumer dedupe table (processed_events).

Every event is written with its tenant and the correlation id bound in `shared.platform.context` when it is
recorded: row by row with `insert_events`, or set-based by a statement that composes `insert_from` (the issue
statement in `shared/data/ledger.py`) and binds `current_correlation_id()`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_typed
from shared.domain.events import DomainEvent
from shared.platform import context

COLUMNS = "tenant_id, event_type, event_key, aggregate_type, aggregate_id, payload, correlation_id, occurred_at"


def insert_from(select: str) -> str:
    """`INSERT INTO domain_events` fed by `select`, whose output columns are `COLUMNS` in that order (bind the
    correlation id with `current_correlation_id()`); duplicates by key are ignored. For set-based writers that
    compose it into one statement, e.g. as a data-modifying CTE."""
    return f"INSERT INTO domain_events ({COLUMNS}) {select} ON CONFLICT (event_key, occurred_at) DO NOTHING"


INSERT_EVENT = insert_from("VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")


def current_correlation_id() -> str | None:
    """The correlation id events recorded now carry (request, queue message or orchestration)."""
    return context.correlation_id.get()


def insert_events(conn: Conn, new_events: Sequence[DomainEvent]) -> None:
    """Insert events in the caller's transaction (pipelined executemany) with the current correlation id;
    duplicates by key are ignored."""
    cid = current_correlation_id()
    with conn.cursor() as cur:
        cur.executemany(
            INSERT_EVENT,
            [
                (
                    e.tenant_id,
                    e.event_type,
                    e.key,
                    e.aggregate_type,
                    e.aggregate_id,
                    Jsonb(e.payload),
                    cid,
                    e.occurred_at,
                )
                for e in new_events
            ],
        )


@dataclass(frozen=True)
class PendingEvent:
    """An event claimed by the relay, as stored."""

    id: int
    tenant_id: UUID
    event_type: str
    event_key: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    correlation_id: str | None
    occurred_at: datetime


def claim_pending(conn: Conn, *, limit: int) -> list[PendingEvent]:
    """Mark up to `limit` pending events published in the caller's transaction and return them; if the caller
    rolls back (the queue send failed) they stay pending."""
    return fetch_typed(conn, PendingEvent, f"SELECT {COLUMNS}, id FROM claim_pending_events(%s)", (limit,))


def mark_processed(conn: Conn, *, tenant_id: UUID | str, consumer: str, event_key: str) -> bool:
    """True the first time a consumer sees an event key, False for a redelivery."""
    cur = conn.execute(
        "INSERT INTO processed_events (tenant_id, consumer, event_key) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (str(tenant_id), consumer, event_key),
    )
    return cur.rowcount == 1


def pending_count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM domain_events WHERE published_at IS NULL").fetchone()
    return int(row[0]) if row else 0
