"""SQL for the outbox (domain_events) and the consumer dedupe table (processed_events)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

INSERT_EVENT = """
INSERT INTO domain_events (tenant_id, event_type, event_key, aggregate_type, aggregate_id, payload,
                           correlation_id, occurred_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (event_key, occurred_at) DO NOTHING
"""


def insert_events(conn: psycopg.Connection[Any], rows: Sequence[tuple[UUID, str, str, str, str, dict[str, Any],
                                                                     str | None, datetime]]) -> None:
    """Insert events in the caller's transaction (pipelined executemany); duplicates by key are ignored."""
    with conn.cursor() as cur:
        cur.executemany(INSERT_EVENT, [(*r[:5], Jsonb(r[5]), r[6], r[7]) for r in rows])


def claim_pending(conn: psycopg.Connection[Any], limit: int) -> list[dict[str, Any]]:
    """Mark up to `limit` pending events published in the caller's transaction and return them; if the caller
    rolls back (the queue send failed) they stay pending."""
    cur = conn.execute("SELECT * FROM claim_pending_events(%s)", (limit,))
    cols = [c.name for c in cur.description or ()]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def mark_processed(conn: psycopg.Connection[Any], *, tenant_id: UUID | str, consumer: str, event_key: str) -> bool:
    """True the first time a consumer sees an event key, False for a redelivery."""
    cur = conn.execute(
        "INSERT INTO processed_events (tenant_id, consumer, event_key) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (str(tenant_id), consumer, event_key))
    return cur.rowcount == 1


def pending_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM domain_events WHERE published_at IS NULL").fetchone()
    return int(row[0]) if row else 0
