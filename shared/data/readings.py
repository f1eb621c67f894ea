"""SQL of meter-read ingestion: meters by serial, their installation and recent reads, idempotent inserts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from shared.data.sql import Conn, fetch_typed, fetch_typed_one


class MeterInstallation(NamedTuple):
    """A meter and its latest installation (none: the installation fields are None); `account_id` is the toma's
    active (else latest) account, looked up by serial only."""

    serial: str
    meter_id: int
    dials: int
    installed_at: datetime | None
    removed_at: datetime | None
    initial_read: Decimal | None
    account_id: int | None = None


class NewRead(NamedTuple):
    """One row for `insert_reads`, in the INSERT's column order."""

    meter_id: int
    account_id: int
    read_at: datetime
    value: Decimal
    source: str
    source_id: str
    status: str
    exception_codes: list[str]
    photo_blob: str | None


def meters_by_serial(conn: Conn, *, serials: Sequence[str]) -> dict[str, MeterInstallation]:
    """Meter and its latest installation (toma, active account) per serial."""
    rows = fetch_typed(
        conn,
        MeterInstallation,
        """SELECT m.serial, m.id AS meter_id, m.dials, mi.installed_at, mi.removed_at, mi.initial_read,
                  a.id AS account_id
           FROM meters m
           LEFT JOIN LATERAL (SELECT * FROM meter_installations i WHERE i.meter_id = m.id
                              ORDER BY installed_at DESC LIMIT 1) mi ON true
           LEFT JOIN LATERAL (SELECT id FROM accounts a WHERE a.toma_id = mi.toma_id
                              ORDER BY (a.status = 'active') DESC, a.opened_on DESC LIMIT 1) a ON true
           WHERE m.serial = ANY(%s)""",
        (list(serials),),
    )
    return {r.serial: r for r in rows}


def meter_by_id(conn: Conn, *, meter_id: int) -> MeterInstallation | None:
    """A meter with its latest installation (installed_at, removed_at, initial_read); no account."""
    return fetch_typed_one(
        conn,
        MeterInstallation,
        """SELECT m.id AS meter_id, m.serial, m.dials, mi.installed_at, mi.removed_at, mi.initial_read FROM meters m
           LEFT JOIN LATERAL (SELECT * FROM meter_installations i WHERE i.meter_id = m.id
                              ORDER BY installed_at DESC LIMIT 1) mi ON true
           WHERE m.id = %s""",
        (meter_id,),
    )


def mark_exception(conn: Conn, *, reading_id: int, read_at: datetime, codes: list[str]) -> None:
    conn.execute(
        "UPDATE meter_readings SET status = 'exception', exception_codes = %s WHERE id = %s AND read_at = %s",
        (codes, reading_id, read_at),
    )


def recent_actual_reads(conn: Conn, *, meter_ids: Sequence[int], since: datetime) -> dict[int, list[tuple[date, Any]]]:
    """Valid reads (local date, value) per meter since `since`, oldest first."""
    cur = conn.execute(
        """SELECT meter_id, (read_at AT TIME ZONE 'America/Mexico_City')::date, value FROM meter_readings
           WHERE meter_id = ANY(%s) AND read_at >= %s AND status = 'valid' ORDER BY meter_id, read_at""",
        (list(meter_ids), since),
    )
    out: dict[int, list[tuple[date, Any]]] = {}
    for meter_id, day, value in cur.fetchall():
        out.setdefault(meter_id, []).append((day, value))
    return out


def ensure_partitions(conn: Conn, *, first: date, last: date) -> None:
    conn.execute("SELECT ensure_month_partitions('meter_readings', %s, %s)", (first, last))


INSERT_READ = """
INSERT INTO meter_readings (tenant_id, meter_id, account_id, read_at, value, source, source_id, status,
                            exception_codes, photo_blob)
VALUES (app_current_tenant(), %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (meter_id, read_at, source, source_id) DO NOTHING
RETURNING id
"""


def insert_reads(conn: Conn, *, rows: Sequence[NewRead]) -> list[bool]:
    """Insert in the caller's transaction (pipelined); returns, per row, whether it was new."""
    inserted: list[bool] = []
    with conn.cursor() as cur:
        cur.executemany(INSERT_READ, rows, returning=True)
        while True:
            inserted.append(cur.fetchone() is not None)
            if not cur.nextset():
                break
    return inserted
