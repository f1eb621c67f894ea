"""SQL of the tariff what-if (issue 17): runs keyed by draft and span, account-range chunks, one set-based replay per
chunk (the draft's prices of the chunk's distinct (class, period, m³) joined to its issued invoices), the per-account
outcomes the report is computed from. Invoices are only read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_typed, fetch_typed_one
from shared.domain.revenue.whatif import NON_TARIFF_CODES, AccountOutcome


class WhatIfRun(NamedTuple):
    id: int
    instance_id: str
    status: str
    period_from: date
    period_to: date
    chunks: int
    draft: Any
    report: Any
    error: str | None


_RUN = "id, instance_id, status, period_from, period_to, chunks, draft, report, error"


def upsert_run(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    draft_hash: str,
    draft: dict[str, Any],
    start: date,
    end: date,
    instance_id: str,
    by: str,
    at: datetime,
) -> WhatIfRun:
    conn.execute(
        """INSERT INTO whatif_runs (tenant_id, draft_hash, draft, period_from, period_to, instance_id, started_by,
                                    created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (tenant_id, draft_hash, period_from, period_to) DO NOTHING""",
        (str(tenant_id), draft_hash, Jsonb(draft), start, end, instance_id, by, at),
    )
    run = fetch_typed_one(
        conn,
        WhatIfRun,
        f"SELECT {_RUN} FROM whatif_runs WHERE draft_hash = %s AND period_from = %s AND period_to = %s",
        (draft_hash, start, end),
    )
    assert run is not None
    return run


def get_run(conn: Conn, *, run_id: int, lock: bool = False) -> WhatIfRun | None:
    return fetch_typed_one(
        conn, WhatIfRun, f"SELECT {_RUN} FROM whatif_runs WHERE id = %s{' FOR UPDATE' if lock else ''}", (run_id,)
    )


def invoices_in_span(conn: Conn, *, start: date, end: date) -> int:
    row = conn.execute(
        "SELECT count(*) FROM invoices WHERE status = 'issued' AND period >= %s AND period < %s", (start, end)
    ).fetchone()
    return int(row[0]) if row else 0


def plan_chunks(conn: Conn, *, tenant_id: UUID | str, run_id: int, start: date, end: date, chunk_size: int) -> int:
    """Account-id ranges of at most `chunk_size` accounts with issued invoices in the span (planned once)."""
    conn.execute(
        """INSERT INTO whatif_chunks (tenant_id, run_id, chunk_no, first_account, last_account)
           SELECT %(t)s, %(run)s, n, min(account_id), max(account_id) FROM (
               SELECT account_id, (row_number() OVER (ORDER BY account_id) - 1) / %(size)s AS n
               FROM (SELECT DISTINCT account_id FROM invoices
                     WHERE status = 'issued' AND period >= %(start)s AND period < %(end)s) a) x
           GROUP BY n ON CONFLICT DO NOTHING""",
        {"t": str(tenant_id), "run": run_id, "size": chunk_size, "start": start, "end": end},
    )
    row = conn.execute(
        """UPDATE whatif_runs SET chunks = (SELECT count(*) FROM whatif_chunks WHERE run_id = %(run)s),
                  status = CASE WHEN status = 'completed' THEN status ELSE 'running' END
           WHERE id = %(run)s RETURNING chunks""",
        {"run": run_id},
    ).fetchone()
    return int(row[0]) if row else 0


class Chunk(NamedTuple):
    chunk_no: int
    first_account: int
    last_account: int
    status: str


def get_chunk(conn: Conn, *, run_id: int, chunk_no: int) -> Chunk | None:
    return fetch_typed_one(
        conn,
        Chunk,
        "SELECT chunk_no, first_account, last_account, status FROM whatif_chunks WHERE run_id = %s AND chunk_no = %s"
        " FOR UPDATE",
        (run_id, chunk_no),
    )


class PriceKey(NamedTuple):
    tariff_class: str
    period: date
    consumption_m3: Decimal


_CHUNK_INVOICES = """
    SELECT i.id, i.account_id, i.period, i.consumption_m3, i.total, a.tariff_class, s.code AS sector,
           (t.status = 'restricted') AS restricted
    FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN tomas t ON t.id = a.toma_id
    JOIN sectores_hidraulicos s ON s.id = t.sector_id
    WHERE i.status = 'issued' AND i.period >= %(start)s AND i.period < %(end)s
      AND i.account_id BETWEEN %(first)s AND %(last)s"""


def price_keys(conn: Conn, *, chunk: Chunk, start: date, end: date) -> list[PriceKey]:
    """The distinct (class, period, billed m³) of the chunk's invoices: what the draft must price. The chunk's
    invoices (with their non-tariff amount) are kept in a temporary table for `write_chunk`."""
    conn.execute(
        f"""CREATE TEMP TABLE tmp_whatif_invoices ON COMMIT DROP AS
            WITH inv AS ({_CHUNK_INVOICES}),
            nt AS (SELECT l.invoice_id, sum(l.amount + l.tax_amount) AS amount FROM invoice_lines l
                   JOIN inv ON inv.id = l.invoice_id WHERE l.code = ANY(%(codes)s) GROUP BY l.invoice_id)
            SELECT inv.*, coalesce(nt.amount, 0) AS non_tariff FROM inv LEFT JOIN nt ON nt.invoice_id = inv.id""",
        {
            "start": start,
            "end": end,
            "first": chunk.first_account,
            "last": chunk.last_account,
            "codes": list(NON_TARIFF_CODES),
        },
    )
    return fetch_typed(conn, PriceKey, "SELECT DISTINCT tariff_class, period, consumption_m3 FROM tmp_whatif_invoices")


def write_chunk(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    run_id: int,
    chunk: Chunk,
    start: date,
    end: date,
    prices: Sequence[tuple[PriceKey, Decimal]],
) -> int:
    """Per account of the chunk (the invoices `price_keys` kept): the real total of its invoices and the what-if
    total (the lines the tariff did not produce, as billed, plus the draft's price of the billed m³). Marks the
    chunk done. Returns accounts written."""
    conn.execute(
        "CREATE TEMP TABLE tmp_whatif_prices (tariff_class text, period date, m3 numeric, total numeric) ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY tmp_whatif_prices FROM STDIN") as copy:
        for key, total in prices:
            copy.write_row((key.tariff_class, key.period, key.consumption_m3, total))
    cur = conn.execute(
        """
        INSERT INTO whatif_accounts (tenant_id, run_id, account_id, tariff_class, sector, restricted, invoices,
                                     consumption_m3, real_total, whatif_total)
        SELECT %(t)s, %(run)s, inv.account_id, min(inv.tariff_class), min(inv.sector), bool_or(inv.restricted),
               count(*), sum(inv.consumption_m3), sum(inv.total), sum(inv.non_tariff + p.total)
        FROM tmp_whatif_invoices inv
        JOIN tmp_whatif_prices p ON p.tariff_class = inv.tariff_class AND p.period = inv.period
                                AND p.m3 = inv.consumption_m3
        GROUP BY inv.account_id
        ON CONFLICT (run_id, account_id) DO NOTHING""",
        {"t": str(tenant_id), "run": run_id},
    )
    conn.execute(
        "UPDATE whatif_chunks SET status = 'done' WHERE run_id = %s AND chunk_no = %s", (run_id, chunk.chunk_no)
    )
    return cur.rowcount


def outcomes(conn: Conn, *, run_id: int) -> list[AccountOutcome]:
    return fetch_typed(
        conn,
        AccountOutcome,
        """SELECT account_id, tariff_class, sector, restricted, invoices, consumption_m3, real_total, whatif_total
           FROM whatif_accounts WHERE run_id = %s ORDER BY account_id""",
        (run_id,),
    )


def chunks_pending(conn: Conn, *, run_id: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM whatif_chunks WHERE run_id = %s AND status <> 'done'", (run_id,)
    ).fetchone()
    return int(row[0]) if row else 0


def finish_run(conn: Conn, *, run_id: int, report: dict[str, Any], at: datetime) -> None:
    conn.execute(
        "UPDATE whatif_runs SET status = 'completed', report = %s, completed_at = %s, error = NULL WHERE id = %s",
        (Jsonb(report), at, run_id),
    )


def fail_run(conn: Conn, *, run_id: int, error: str) -> None:
    conn.execute("UPDATE whatif_runs SET status = 'failed', error = %s WHERE id = %s", (error[:2000], run_id))
