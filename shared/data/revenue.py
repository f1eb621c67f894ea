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


# ---------------------------------------------------------------- inspection candidates


class HistoryRow(NamedTuple):
    account_id: int
    sector: str
    tariff_class: str
    household_size: int
    occupied: bool
    m3: list[Decimal | None]
    """One value per month of the window (oldest first), None where no read measured the month."""
    reversals: int
    tamper_reports: int


HISTORY_SLOTS = 12
# One pass: each read's month is its slot among the local month starts (width_bucket over a 14-bound array, no time
# zone arithmetic per read); the lag window runs on the (account, read time) sort and one GROUP BY per account sums
# each slot with a FILTER (slot 1 is the month before the window: it only gives the first month its previous read).
_HISTORIES = (
    """
WITH r AS (
    SELECT mr.account_id, width_bucket(mr.read_at, %(bounds)s::timestamptz[]) AS slot, mr.value, m.dials,
           lag(mr.value) OVER (PARTITION BY mr.account_id ORDER BY mr.read_at, mr.id) AS prev
    FROM meter_readings mr JOIN meters m ON m.id = mr.meter_id
    WHERE mr.read_at >= %(since)s AND mr.read_at < %(until)s AND mr.status <> 'rejected'
      AND (%(accounts)s::bigint[] IS NULL OR mr.account_id = ANY(%(accounts)s))),
d AS (
    SELECT account_id, slot,
           CASE WHEN value >= prev THEN value - prev
                WHEN prev - value > power(10::numeric, dials) / 2 THEN value + power(10::numeric, dials) - prev
           END AS m3,
           (value < prev AND prev - value <= power(10::numeric, dials) / 2) AS reversed
    FROM r WHERE prev IS NOT NULL AND slot >= 2),
hist AS (
    SELECT account_id,
           ARRAY[
"""
    + ",\n".join(f"               sum(m3) FILTER (WHERE slot = {k})" for k in range(2, HISTORY_SLOTS + 2))
    + """
           ] AS m3,
           count(*) FILTER (WHERE reversed)::int AS reversals
    FROM d GROUP BY account_id),
reports AS (
    SELECT account_id, count(*)::int AS n FROM fraud_cases
    WHERE source = 'report' AND status IN ('open', 'investigating') AND account_id IS NOT NULL GROUP BY account_id)
SELECT a.id AS account_id, s.code AS sector, a.tariff_class, a.household_size::int AS household_size,
       (t.status = 'active') AS occupied, h.m3, h.reversals, coalesce(rp.n, 0) AS tamper_reports
FROM hist h JOIN accounts a ON a.id = h.account_id JOIN tomas t ON t.id = a.toma_id
JOIN sectores_hidraulicos s ON s.id = t.sector_id LEFT JOIN reports rp ON rp.account_id = a.id
WHERE a.status = 'active' AND (%(sector)s::text IS NULL OR s.code = %(sector)s)
ORDER BY a.id"""
)


def account_histories(
    conn: Conn,
    *,
    bounds: Sequence[datetime],
    sector: str | None = None,
    accounts: Sequence[int] | None = None,
) -> list[HistoryRow]:
    """Monthly consumption per active account from its register reads (rollover by the meter's dials) over the
    `HISTORY_SLOTS` months whose local starts are `bounds[1:-1]` (`bounds[0]` is the month before, read only for
    the first month's previous read; `bounds[-1]` ends the window); reversed reads (a drop that is not a rollover)
    and open reports counted."""
    if len(bounds) != HISTORY_SLOTS + 2:
        raise ValueError(f"bounds: {HISTORY_SLOTS + 2} month starts expected, got {len(bounds)}")
    return fetch_typed(
        conn,
        HistoryRow,
        _HISTORIES,
        {
            "bounds": list(bounds),
            "since": bounds[0],
            "until": bounds[-1],
            "sector": sector,
            "accounts": list(accounts) if accounts is not None else None,
        },
    )


class NewInspection(NamedTuple):
    account_id: int
    score: Decimal
    evidence: str
    """JSON text of the candidate (signals and evidence)."""
    reason: str


def create_inspections(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    period: date,
    items: Sequence[NewInspection],
    at: datetime,
    due_at: datetime,
) -> list[int]:
    """One inspection work order per account and period (natural key `inspection:<account>:<YYYY-MM>`) and its
    inspection_orders row, in two set-based statements; existing ones are kept. Returns the work order ids."""
    rows = conn.execute(
        """
        WITH items AS (
            SELECT * FROM unnest(%(accounts)s::bigint[], %(scores)s::numeric[], %(evidence)s::jsonb[],
                                 %(reasons)s::text[]) AS x(account_id, score, evidence, reason)),
        wo AS (
            INSERT INTO work_orders (tenant_id, kind, priority, account_id, toma_id, reason, natural_key, created_at,
                                     due_at)
            SELECT %(tenant)s, 'inspection', 'normal', i.account_id, a.toma_id, i.reason,
                   'inspection:' || i.account_id || ':' || to_char(%(period)s::date, 'YYYY-MM'), %(at)s, %(due)s
            FROM items i JOIN accounts a ON a.id = i.account_id
            ON CONFLICT (tenant_id, natural_key) DO NOTHING RETURNING id, account_id),
        io AS (
            INSERT INTO inspection_orders (work_order_id, tenant_id, account_id, period, score, evidence, created_at)
            SELECT wo.id, %(tenant)s, wo.account_id, %(period)s, i.score, i.evidence, %(at)s
            FROM wo JOIN items i USING (account_id) RETURNING work_order_id)
        SELECT work_order_id FROM io
        UNION ALL
        SELECT w.id FROM work_orders w JOIN items i ON w.natural_key =
               'inspection:' || i.account_id || ':' || to_char(%(period)s::date, 'YYYY-MM')
        """,
        {
            "accounts": [i.account_id for i in items],
            "scores": [i.score for i in items],
            "evidence": [i.evidence for i in items],
            "reasons": [i.reason for i in items],
            "tenant": str(tenant_id),
            "period": period,
            "at": at,
            "due": due_at,
        },
    ).fetchall()
    return sorted({int(r[0]) for r in rows})


class InspectionOrder(NamedTuple):
    work_order_id: int
    account_id: int
    toma_id: int
    tariff_class: str
    period: date
    score: Decimal
    evidence: Any
    outcome: str | None
    fraud_case_id: int | None
    assessment: Any
    amount: Decimal | None
    work_order_status: str


def inspection_order(conn: Conn, *, work_order_id: int, lock: bool = False) -> InspectionOrder | None:
    rows = fetch_typed(
        conn,
        InspectionOrder,
        f"""SELECT io.work_order_id, io.account_id, a.toma_id, a.tariff_class, io.period, io.score, io.evidence,
                   io.outcome, io.fraud_case_id, io.assessment, io.amount, w.status AS work_order_status
            FROM inspection_orders io JOIN work_orders w ON w.id = io.work_order_id
            JOIN accounts a ON a.id = io.account_id
            WHERE io.work_order_id = %s{" FOR UPDATE OF io, w" if lock else ""}""",
        (work_order_id,),
    )
    return rows[0] if rows else None


def list_inspection_orders(conn: Conn, *, period: date | None, limit: int) -> list[InspectionOrder]:
    return fetch_typed(
        conn,
        InspectionOrder,
        """SELECT io.work_order_id, io.account_id, a.toma_id, a.tariff_class, io.period, io.score, io.evidence,
                  io.outcome, io.fraud_case_id, io.assessment, io.amount, w.status AS work_order_status
           FROM inspection_orders io JOIN work_orders w ON w.id = io.work_order_id
           JOIN accounts a ON a.id = io.account_id
           WHERE %s::date IS NULL OR io.period = %s ORDER BY io.score DESC, io.work_order_id LIMIT %s""",
        (period, period, limit),
    )


def record_outcome(
    conn: Conn,
    *,
    work_order_id: int,
    outcome: str,
    fraud_case_id: int | None,
    assessment: str,
    amount: Decimal,
    at: datetime,
    by: str,
) -> None:
    conn.execute(
        """UPDATE inspection_orders SET outcome = %s, fraud_case_id = %s, assessment = %s::jsonb, amount = %s,
                  decided_at = %s, decided_by = %s WHERE work_order_id = %s""",
        (outcome, fraud_case_id, assessment, amount, at, by, work_order_id),
    )


class BilledMonth(NamedTuple):
    invoice_id: int
    period: date
    consumption_m3: Decimal
    total: Decimal
    status: str


def billed_months(conn: Conn, *, account_id: int, start: date, end: date) -> list[BilledMonth]:
    """The account's invoices (issued or cancelled excluded) with periods in [start, end)."""
    return fetch_typed(
        conn,
        BilledMonth,
        """SELECT id AS invoice_id, period, consumption_m3, total, status FROM invoices
           WHERE account_id = %s AND period >= %s AND period < %s AND status = 'issued' ORDER BY period""",
        (account_id, start, end),
    )


class ScheduleRow(NamedTuple):
    id: int
    tariff_class: str
    name: str
    effective_from: date
    effective_to: date | None
    definition: Any


def schedules_between(conn: Conn, *, start: date, end: date) -> list[ScheduleRow]:
    """Every tariff schedule in force at some point of [start, end)."""
    return fetch_typed(
        conn,
        ScheduleRow,
        """SELECT id, tariff_class, name, effective_from, effective_to, definition FROM tariff_schedules
           WHERE effective_from < %s AND (effective_to IS NULL OR effective_to > %s) ORDER BY id""",
        (end, start),
    )


def latest_invoice_id(conn: Conn, *, account_id: int) -> int | None:
    """The account's most recent issued invoice (its receiver data is the back-bill CFDI's receiver), or None."""
    row = conn.execute(
        """SELECT id FROM invoices WHERE account_id = %s AND status = 'issued'
           ORDER BY period DESC, id DESC LIMIT 1""",
        (account_id,),
    ).fetchone()
    return int(row[0]) if row else None
