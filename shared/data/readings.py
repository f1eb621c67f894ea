"""SQL of meter-read ingestion: meters by serial, their installation and recent reads, idempotent inserts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import psycopg


def meters_by_serial(conn: psycopg.Connection[Any], serials: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Meter and its latest installation (toma, active account) per serial."""
    cur = conn.execute(
        """SELECT m.serial, m.id AS meter_id, m.dials, mi.installed_at, mi.removed_at, mi.initial_read,
                  a.id AS account_id
           FROM meters m
           LEFT JOIN LATERAL (SELECT * FROM meter_installations i WHERE i.meter_id = m.id
                              ORDER BY installed_at DESC LIMIT 1) mi ON true
           LEFT JOIN LATERAL (SELECT id FROM accounts a WHERE a.toma_id = mi.toma_id
                              ORDER BY (a.status = 'active') DESC, a.opened_on DESC LIMIT 1) a ON true
           WHERE m.serial = ANY(%s)""", (list(serials),))
    cols = [c.name for c in cur.description or ()]
    return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def meter_by_id(conn: psycopg.Connection[Any], meter_id: int) -> dict[str, Any] | None:
    """A meter with its latest installation (installed_at, removed_at, initial_read)."""
    cur = conn.execute(
        """SELECT m.id, m.serial, m.dials, mi.installed_at, mi.removed_at, mi.initial_read FROM meters m
           LEFT JOIN LATERAL (SELECT * FROM meter_installations i WHERE i.meter_id = m.id
                              ORDER BY installed_at DESC LIMIT 1) mi ON true
           WHERE m.id = %s""", (meter_id,))
    row = cur.fetchone()
    return dict(zip([c.name for c in cur.description or ()], row, strict=True)) if row else None


def mark_exception(conn: psycopg.Connection[Any], *, reading_id: int, read_at: datetime, codes: list[str]) -> None:
    conn.execute("UPDATE meter_readings SET status = 'exception', exception_codes = %s WHERE id = %s AND read_at = %s",
                 (codes, reading_id, read_at))


def recent_actual_reads(conn: psycopg.Connection[Any], meter_ids: Sequence[int], since: datetime,
                        ) -> dict[int, list[tuple[date, Any]]]:
    """Valid reads (local date, value) per meter since `since`, oldest first."""
    cur = conn.execute(
        """SELECT meter_id, (read_at AT TIME ZONE 'America/Mexico_City')::date, value FROM meter_readings
           WHERE meter_id = ANY(%s) AND read_at >= %s AND status = 'valid' ORDER BY meter_id, read_at""",
        (list(meter_ids), since))
    out: dict[int, list[tuple[date, Any]]] = {}
    for meter_id, day, value in cur.fetchall():
        out.setdefault(meter_id, []).append((day, value))
    return out


def ensure_partitions(conn: psycopg.Connection[Any], first: date, last: date) -> None:
    conn.execute("SELECT ensure_month_partitions('meter_readings', %s, %s)", (first, last))


INSERT_READ = """
INSERT INTO meter_readings (tenant_id, meter_id, account_id, read_at, value, source, source_id, status,
                            exception_codes, photo_blob)
VALUES (app_current_tenant(), %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (meter_id, read_at, source, source_id) DO NOTHING
RETURNING id
"""


def insert_reads(conn: psycopg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> list[bool]:
    """Insert in the caller's transaction (pipelined); returns, per row, whether it was new."""
    inserted: list[bool] = []
    with conn.cursor() as cur:
        cur.executemany(INSERT_READ, rows, returning=True)
        while True:
            inserted.append(cur.fetchone() is not None)
            if not cur.nextset():
                break
    return inserted
