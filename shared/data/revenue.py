"""SQL of revenue protection (issue 17): macro-meter intervals, authorised unbilled volumes, the billed volumes per
sector and month, and the tenant's revenue settings. Set-based reads; writes with COPY."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from shared.data.sql import Conn, fetch_typed
from shared.domain.revenue.macro_reads import MacroInterval


def tenant_config(conn: Conn) -> dict[str, Any]:
    row = conn.execute("SELECT config FROM tenants").fetchone()
    return dict(row[0]) if row and row[0] else {}


def sector_ids(conn: Conn) -> dict[str, int]:
    """The tenant's hydraulic sectors, code → id."""
    return {str(code): int(i) for i, code in conn.execute("SELECT id, code FROM sectores_hidraulicos ORDER BY code")}


def lock_macro_reads(conn: Conn, *, tenant_id: UUID | str) -> None:
    """Serialise the tenant's macro-read imports for the transaction (validation reads, then writes)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('macro-meter-reads:' || %s))", (str(tenant_id),))


_INTERVAL = """s.code AS sector_code, r.meter_code, r.read_from, r.read_to, r.start_value, r.end_value"""


def stored_intervals(conn: Conn, *, meters: Sequence[str]) -> list[MacroInterval]:
    """The stored intervals of these macro meters (row_no 0: not part of the batch being checked)."""
    return fetch_typed(
        conn,
        MacroInterval,
        f"""SELECT {_INTERVAL}, 0 AS row_no FROM macro_meter_reads r JOIN sectores_hidraulicos s ON s.id = r.sector_id
            WHERE r.meter_code = ANY(%s)""",
        (list(meters),),
    )


def insert_intervals(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    intervals: Sequence[MacroInterval],
    sectors: dict[str, int],
    batch: str,
    at: datetime,
) -> int:
    """COPY into a temporary table (COPY cannot target a table under row-level security), then one INSERT."""
    conn.execute(
        """CREATE TEMP TABLE tmp_macro_reads (sector_id bigint, meter_code text, read_from date, read_to date,
                                              start_value numeric, end_value numeric, row_no integer) ON COMMIT DROP"""
    )
    with conn.cursor().copy("COPY tmp_macro_reads FROM STDIN") as copy:
        for r in intervals:
            copy.write_row(
                (sectors[r.sector_code], r.meter_code, r.read_from, r.read_to, r.start_value, r.end_value, r.row_no)
            )
    conn.execute(
        """INSERT INTO macro_meter_reads (tenant_id, sector_id, meter_code, read_from, read_to, start_value,
                                          end_value, batch, row_no, imported_at)
           SELECT %s, sector_id, meter_code, read_from, read_to, start_value, end_value, %s, row_no, %s
           FROM tmp_macro_reads""",
        (str(tenant_id), batch, at),
    )
    return len(intervals)


def intervals_between(conn: Conn, *, start: date, end: date) -> list[MacroInterval]:
    """Every interval that overlaps [start, end)."""
    return fetch_typed(
        conn,
        MacroInterval,
        f"""SELECT {_INTERVAL}, r.row_no FROM macro_meter_reads r JOIN sectores_hidraulicos s ON s.id = r.sector_id
            WHERE r.read_from < %s AND r.read_to > %s ORDER BY r.meter_code, r.read_from""",
        (end, start),
    )


class BilledVolume(NamedTuple):
    sector: str
    period: date
    metered_m3: Decimal
    estimated_m3: Decimal


def billed_by_sector(conn: Conn, *, start: date, end: date) -> list[BilledVolume]:
    """Issued invoices' volumes per sector of the toma and period, metered and estimated apart."""
    return fetch_typed(
        conn,
        BilledVolume,
        """SELECT s.code AS sector, i.period,
                  coalesce(sum(i.consumption_m3) FILTER (WHERE NOT i.estimated), 0) AS metered_m3,
                  coalesce(sum(i.consumption_m3) FILTER (WHERE i.estimated), 0) AS estimated_m3
           FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN tomas t ON t.id = a.toma_id
           JOIN sectores_hidraulicos s ON s.id = t.sector_id
           WHERE i.status = 'issued' AND i.period >= %s AND i.period < %s
           GROUP BY s.code, i.period""",
        (start, end),
    )


class UnbilledVolume(NamedTuple):
    sector: str
    period: date
    category: str
    volume_m3: Decimal


def unbilled_between(conn: Conn, *, start: date, end: date) -> list[UnbilledVolume]:
    return fetch_typed(
        conn,
        UnbilledVolume,
        """SELECT s.code AS sector, u.period, u.category, u.volume_m3 FROM sector_unbilled_authorised u
           JOIN sectores_hidraulicos s ON s.id = u.sector_id WHERE u.period >= %s AND u.period < %s""",
        (start, end),
    )


def upsert_unbilled(
    conn: Conn, *, tenant_id: UUID | str, rows: Sequence[UnbilledVolume], sectors: dict[str, int], at: datetime
) -> int:
    """Record (or correct) authorised unbilled volumes: one value per sector, month and category."""
    conn.execute(
        "CREATE TEMP TABLE tmp_unbilled (sector_id bigint, period date, category text, volume_m3 numeric) "
        "ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY tmp_unbilled FROM STDIN") as copy:
        for r in rows:
            copy.write_row((sectors[r.sector], r.period, r.category, r.volume_m3))
    cur = conn.execute(
        """INSERT INTO sector_unbilled_authorised (tenant_id, sector_id, period, category, volume_m3, recorded_at)
           SELECT %s, sector_id, period, category, volume_m3, %s FROM tmp_unbilled
           ON CONFLICT (tenant_id, sector_id, period, category)
           DO UPDATE SET volume_m3 = EXCLUDED.volume_m3, recorded_at = EXCLUDED.recorded_at
           WHERE sector_unbilled_authorised.volume_m3 IS DISTINCT FROM EXCLUDED.volume_m3""",
        (str(tenant_id), at),
    )
    return cur.rowcount
