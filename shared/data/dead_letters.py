"""SQL of the dead-letter table (migration 0034): failed attempts, poisoned messages, replays.

The table is operational and cross-tenant (a message may name no tenant), so these statements run in a plain
transaction of the app role (`db.connection()`), not in `tenant_transaction`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.data.sql import Conn, fetch_typed, fetch_typed_one

_ERROR_MAX = 4000


@dataclass(frozen=True)
class DeadLetter:
    id: int
    queue: str
    body_sha256: str
    body: str
    tenant_id: UUID | None
    correlation_id: str | None
    error: str
    attempts: int
    poisoned_at: datetime | None
    poison_count: int
    replay_attempts: int
    replayed_at: datetime | None
    replay_result: str | None


_COLUMNS = (
    "id, queue, body_sha256, body, tenant_id, correlation_id, error, attempts, poisoned_at, poison_count,"
    " replay_attempts, replayed_at, replay_result"
)


def record_failure(
    conn: Conn,
    *,
    queue: str,
    body_sha256: str,
    body: str,
    tenant_id: Any,
    correlation_id: str | None,
    error: str,
    at: datetime,
) -> None:
    """One failed attempt: insert, or refresh the last error and count the attempt."""
    conn.execute(
        "INSERT INTO dead_letters (queue, body_sha256, body, tenant_id, correlation_id, error, attempts,"
        " first_failed_at, last_failed_at) VALUES (%s, %s, %s, %s, %s, %s, 1, %s, %s)"
        " ON CONFLICT (queue, body_sha256) DO UPDATE SET error = EXCLUDED.error,"
        " attempts = dead_letters.attempts + 1, last_failed_at = EXCLUDED.last_failed_at",
        (queue, body_sha256, body, tenant_id, correlation_id, error[:_ERROR_MAX], at, at),
    )


def record_poison(
    conn: Conn,
    *,
    queue: str,
    body_sha256: str,
    body: str,
    tenant_id: Any,
    correlation_id: str | None,
    at: datetime,
) -> DeadLetter:
    """The message reached the poison queue: mark it (a message poisoned again after a replay is open again)."""
    row = fetch_typed_one(
        conn,
        DeadLetter,
        "INSERT INTO dead_letters (queue, body_sha256, body, tenant_id, correlation_id, error, first_failed_at,"
        " last_failed_at, poisoned_at, poison_count)"
        " VALUES (%s, %s, %s, %s, %s, 'retries exhausted (no failure was recorded)', %s, %s, %s, 1)"
        " ON CONFLICT (queue, body_sha256) DO UPDATE SET poisoned_at = EXCLUDED.poisoned_at,"
        " poison_count = dead_letters.poison_count + 1, replayed_at = NULL"
        f" RETURNING {_COLUMNS}",
        (queue, body_sha256, body, tenant_id, correlation_id, at, at, at),
    )
    assert row is not None
    return row


def open_letters(conn: Conn, *, queue: str, ids: list[int] | None = None) -> list[DeadLetter]:
    """Poisoned and not yet replayed, oldest first (only `ids` when given)."""
    sql = f"SELECT {_COLUMNS} FROM dead_letters WHERE queue = %s AND poisoned_at IS NOT NULL AND replayed_at IS NULL"
    params: list[Any] = [queue]
    if ids:
        sql += " AND id = ANY(%s)"
        params.append(ids)
    sql += " ORDER BY id"
    return fetch_typed(conn, DeadLetter, sql, params)


def letters(conn: Conn, *, queue: str | None = None, include_replayed: bool = False) -> list[DeadLetter]:
    sql = f"SELECT {_COLUMNS} FROM dead_letters WHERE poisoned_at IS NOT NULL"
    params: list[Any] = []
    if queue:
        sql += " AND queue = %s"
        params.append(queue)
    if not include_replayed:
        sql += " AND replayed_at IS NULL"
    return fetch_typed(conn, DeadLetter, sql + " ORDER BY id", params)


def mark_replay(conn: Conn, *, letter_id: int, at: datetime, result: str, succeeded: bool) -> None:
    conn.execute(
        "UPDATE dead_letters SET replay_attempts = replay_attempts + 1, replay_result = %s,"
        " replayed_at = CASE WHEN %s THEN %s::timestamptz ELSE replayed_at END WHERE id = %s",
        (result[:_ERROR_MAX], succeeded, at, letter_id),
    )


def open_counts(conn: Conn) -> dict[str, int]:
    rows = conn.execute(
        "SELECT queue, count(*) FROM dead_letters WHERE poisoned_at IS NOT NULL AND replayed_at IS NULL GROUP BY queue"
    ).fetchall()
    return {str(q): int(n) for q, n in rows}
