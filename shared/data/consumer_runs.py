"""What the domain-event consumers did beyond the dedupe mark (`events.mark_processed`): whether a consumer already
ran for an event key, and the consumers skipped for a reason retrying does not fix (table `consumer_skips`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_typed


def is_processed(conn: Conn, *, consumer: str, event_key: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM processed_events WHERE consumer = %s AND event_key = %s", (consumer, event_key)
    ).fetchone()
    return row is not None


def record_skip(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    consumer: str,
    event_key: str,
    event_type: str,
    reason: str,
    detail: str,
    envelope: dict[str, Any],
    at: datetime,
) -> bool:
    """True when this skip is new (a redelivery of a skipped event changes nothing)."""
    cur = conn.execute(
        "INSERT INTO consumer_skips (tenant_id, consumer, event_key, event_type, reason, detail, envelope,"
        " skipped_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (consumer, event_key) DO NOTHING",
        (str(tenant_id), consumer, event_key, event_type, reason, detail[:1000], Jsonb(envelope), at),
    )
    return cur.rowcount == 1


@dataclass(frozen=True)
class Skip:
    consumer: str
    event_key: str
    event_type: str
    reason: str
    detail: str
    envelope: dict[str, Any]
    skipped_at: datetime


def open_skips(conn: Conn, *, consumer: str | None = None, limit: int = 1000) -> list[Skip]:
    """Skips not rerun yet, oldest first (the tenant of the transaction)."""
    return fetch_typed(
        conn,
        Skip,
        "SELECT consumer, event_key, event_type, reason, detail, envelope, skipped_at FROM consumer_skips"
        " WHERE rerun_at IS NULL AND (%(consumer)s::text IS NULL OR consumer = %(consumer)s)"
        " ORDER BY skipped_at, event_key LIMIT %(limit)s",
        {"consumer": consumer, "limit": limit},
    )


def mark_rerun(conn: Conn, *, consumer: str, event_key: str, at: datetime) -> None:
    conn.execute(
        "UPDATE consumer_skips SET rerun_at = %s WHERE consumer = %s AND event_key = %s AND rerun_at IS NULL",
        (at, consumer, event_key),
    )
