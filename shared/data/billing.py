"""SQL of the billing run: run records, the chunk plan, bulk load of a chunk's inputs, COPY-based writes, issue."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import orjson
import psycopg
from psycopg.types.json import Jsonb

from shared.data.sql import Row, fetch_all, fetch_typed, fetch_typed_one
from shared.domain.timezone import UTILITY_TZ_NAME

RUN_COLUMNS = """id, tenant_id, period, scope, status, instance_id, total_accounts, accounts_done, counters, error,
    started_by, correlation_id, created_at, started_at, completed_at, review_reason, review_counters, back_billing,
    reviewed_at, approved_by, approved_at, issued_at"""


@dataclass(frozen=True)
class BillingRun:
    id: int
    tenant_id: UUID
    period: date
    scope: str
    status: str  # pending | running | completed | awaiting_approval | approved | issued | failed
    instance_id: str
    total_accounts: int
    accounts_done: int
    counters: dict[str, Any]
    error: str | None
    started_by: str | None
    correlation_id: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    review_reason: str | None
    review_counters: dict[str, Any]
    back_billing: bool
    reviewed_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    issued_at: datetime | None


@dataclass(frozen=True)
class Chunk:
    run_id: int
    sector_id: int
    chunk_no: int
    first_account: int
    last_account: int
    accounts: int
    status: str  # pending | done
    counters: dict[str, Any]


@dataclass(frozen=True)
class SectorPlan:
    sector_id: int
    code: str
    chunks: int
    accounts: int
    chunks_done: int
    accounts_done: int


@dataclass(frozen=True)
class RunTotals:
    invoices: int
    estimated: int
    held: int
    issued: int
    total_billed: Decimal
    m3_billed: Decimal


@dataclass(frozen=True)
class TariffInForce:
    id: int
    tariff_class: str
    name: str
    version: int
    definition: dict[str, Any]


class ChunkAccount(NamedTuple):
    """An active account of a chunk with its current meter installation (None fields: no meter installed)."""

    id: int
    tariff_class: str
    sector: str
    dials: int | None
    installed_on: date | None
    initial_read: Decimal | None
    meter_id: int | None


class ChunkRead(NamedTuple):
    """A non-rejected read, dated in the utility's local time."""

    account_id: int
    meter_id: int | None
    read_on: date
    value: Decimal
    status: str
    exception_codes: list[str] | None
    source: str


class ChunkPriorBill(NamedTuple):
    account_id: int
    period: date
    consumption_m3: Decimal
    estimated: bool


class InvoiceRow(NamedTuple):
    """An invoice the chunk computed, in the column order of the COPY into tmp_invoices."""

    account_id: int
    status: str  # draft | held
    consumption_m3: Decimal
    estimated: bool
    exception_codes: list[str]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    previous_balance: Decimal
    held_reason: str | None


class InvoiceLineRow(NamedTuple):
    """A line of a draft invoice, keyed by account (the invoice id exists only after the insert)."""

    account_id: int
    line_no: int
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    trace: dict[str, Any]


# ---------------------------------------------------------------- runs


def upsert_run(
    conn: psycopg.Connection[Any],
    *,
    tenant_id: UUID,
    period: date,
    scope: str,
    instance_id: str,
    started_by: str | None,
    correlation_id: str | None,
    back_billing: bool,
    now: datetime,
) -> BillingRun:
    """The run record for (tenant, period, scope): created once, returned as is afterwards."""
    conn.execute(
        """INSERT INTO billing_runs (tenant_id, period, scope, instance_id, started_by, correlation_id, back_billing,
                                     created_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, period, scope) DO NOTHING""",
        (tenant_id, period, scope, instance_id, started_by, correlation_id, back_billing, now),
    )
    row = get_run_by_key(conn, period=period, scope=scope)
    assert row is not None
    return row


def get_run_by_key(conn: psycopg.Connection[Any], *, period: date, scope: str) -> BillingRun | None:
    return fetch_typed_one(
        conn, BillingRun, f"SELECT {RUN_COLUMNS} FROM billing_runs WHERE period = %s AND scope = %s", (period, scope)
    )


def get_run(conn: psycopg.Connection[Any], run_id: int) -> BillingRun | None:
    return fetch_typed_one(conn, BillingRun, f"SELECT {RUN_COLUMNS} FROM billing_runs WHERE id = %s", (run_id,))


def list_run_ids(conn: psycopg.Connection[Any], limit: int = 24) -> list[int]:
    """The latest runs, newest period first."""
    cur = conn.execute("SELECT id FROM billing_runs ORDER BY period DESC, id DESC LIMIT %s", (limit,))
    return [int(r[0]) for r in cur.fetchall()]


def mark_run(
    conn: psycopg.Connection[Any],
    run_id: int,
    *,
    status: str,
    now: datetime,
    error: str | None = None,
    counters: dict[str, Any] | None = None,
) -> None:
    """Billing-phase transitions (running, completed, failed) at the caller's moment."""
    conn.execute(
        """UPDATE billing_runs SET status = %(status)s, error = %(error)s,
               counters = counters || %(counters)s,
               started_at = CASE WHEN %(status)s = 'running' THEN coalesce(started_at, %(now)s) ELSE started_at END,
               completed_at = CASE WHEN %(status)s IN ('completed', 'failed') THEN %(now)s ELSE NULL END
           WHERE id = %(id)s""",
        {"status": status, "error": error, "counters": Jsonb(counters or {}), "now": now, "id": run_id},
    )


def sector_exists(conn: psycopg.Connection[Any], *, code: str) -> bool:
    return conn.execute("SELECT 1 FROM sectores_hidraulicos WHERE code = %s", (code,)).fetchone() is not None


def latest_read_day(conn: psycopg.Connection[Any], *, scope_sector: str | None) -> date | None:
    """The local day of the newest non-rejected read of the accounts in scope (None: no reads at all)."""
    row = conn.execute(
        """SELECT max((r.read_at AT TIME ZONE %s)::date) FROM meter_readings r
           JOIN accounts a ON a.id = r.account_id JOIN tomas t ON t.id = a.toma_id
           JOIN sectores_hidraulicos s ON s.id = t.sector_id
           WHERE r.status <> 'rejected' AND (%s::text IS NULL OR s.code = %s)""",
        (UTILITY_TZ_NAME, scope_sector, scope_sector),
    ).fetchone()
    return row[0] if row else None


# ---------------------------------------------------------------- review policy and approval


_HOLD_RULES = """
WITH class_avg AS MATERIALIZED (
    SELECT a.tariff_class, avg(i.total) AS avg_total
    FROM invoices i JOIN accounts a ON a.id = i.account_id
    WHERE i.billing_run_id = %(run)s GROUP BY a.tariff_class),
flagged AS MATERIALIZED (
    SELECT id, codes FROM (
        SELECT i.id, array_remove(ARRAY[
            CASE WHEN %(high)s::numeric IS NOT NULL AND h.avg_m3 > 0 AND i.consumption_m3 > %(high)s * h.avg_m3
                 THEN 'HIGH_CONSUMPTION' END,
            CASE WHEN %(low)s::numeric IS NOT NULL AND h.avg_m3 >= %(min_avg)s AND i.consumption_m3 > 0
                      AND i.consumption_m3 < %(low)s * h.avg_m3
                 THEN 'LOW_CONSUMPTION' END,
            CASE WHEN %(negative)s AND i.total < 0 THEN 'NEGATIVE_AMOUNT' END,
            CASE WHEN %(zero)s AND i.consumption_m3 = 0 AND t.occupied THEN 'ZERO_ON_OCCUPIED' END,
            CASE WHEN %(amount)s::numeric IS NOT NULL AND ca.avg_total > 0 AND i.total > %(amount)s * ca.avg_total
                 THEN 'AMOUNT_OVER_AVERAGE' END
        ], NULL) AS codes
        FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN tomas t ON t.id = a.toma_id
        LEFT JOIN class_avg ca ON ca.tariff_class = a.tariff_class
        LEFT JOIN LATERAL (
            SELECT avg(p.consumption_m3) AS avg_m3 FROM invoices p
            WHERE p.tenant_id = i.tenant_id AND p.account_id = i.account_id
              AND p.period >= %(since)s AND p.period < i.period AND NOT p.estimated AND p.status <> 'cancelled'
        ) h ON true
        WHERE i.billing_run_id = %(run)s AND i.status = 'draft' AND i.reviewed_by IS NULL) x
    WHERE cardinality(codes) > 0),
held AS (
    UPDATE invoices i SET status = 'held', exception_codes = i.exception_codes || f.codes,
           held_reason = array_to_string(i.exception_codes || f.codes, ', ')
    FROM flagged f WHERE i.id = f.id
    RETURNING f.codes)
SELECT code, count(*)::int FROM held, unnest(held.codes) AS code GROUP BY code ORDER BY code"""


def apply_hold_rules(
    conn: psycopg.Connection[Any],
    *,
    run_id: int,
    history_since: date,
    high_factor: Decimal | None,
    low_factor: Decimal | None,
    min_average_m3: Decimal,
    amount_factor: Decimal | None,
    hold_negative_amount: bool,
    hold_zero_on_occupied: bool,
) -> dict[str, int]:
    """Hold the run's drafts that a review rule flags (set-based, one statement); drafts an analyst already
    released are left alone, so re-applying holds nothing twice. Returns {rule code: invoices newly held}."""
    cur = conn.execute(
        _HOLD_RULES,
        {
            "run": run_id,
            "since": history_since,
            "high": high_factor,
            "low": low_factor,
            "min_avg": min_average_m3,
            "amount": amount_factor,
            "negative": hold_negative_amount,
            "zero": hold_zero_on_occupied,
        },
    )
    return {str(code): int(n) for code, n in cur.fetchall()}


def set_run_review(
    conn: psycopg.Connection[Any],
    *,
    run_id: int,
    status: str,
    reason: str | None,
    counters: dict[str, Any],
    now: datetime,
    approved_by: str | None = None,
) -> bool:
    """The review decision on a billed run: 'awaiting_approval' (with the reason when the run itself is held) or
    'approved' (by the policy). Only a run that is 'completed' moves; returns whether it did."""
    cur = conn.execute(
        """UPDATE billing_runs SET status = %(status)s, review_reason = %(reason)s, review_counters = %(counters)s,
                  reviewed_at = %(now)s,
                  approved_by = CASE WHEN %(status)s = 'approved' THEN %(by)s END,
                  approved_at = CASE WHEN %(status)s = 'approved' THEN %(now)s END
           WHERE id = %(id)s AND status = 'completed'""",
        {"status": status, "reason": reason, "counters": Jsonb(counters), "now": now, "by": approved_by, "id": run_id},
    )
    return cur.rowcount == 1


def set_review_reason(conn: psycopg.Connection[Any], *, run_id: int, reason: str) -> None:
    conn.execute("UPDATE billing_runs SET review_reason = %s WHERE id = %s", (reason, run_id))


def approve_run(conn: psycopg.Connection[Any], *, run_id: int, by: str, now: datetime) -> bool:
    """'awaiting_approval' → 'approved' in one conditional UPDATE: of two concurrent approvals exactly one wins."""
    cur = conn.execute(
        """UPDATE billing_runs SET status = 'approved', approved_by = %s, approved_at = %s
           WHERE id = %s AND status = 'awaiting_approval'""",
        (by, now, run_id),
    )
    return cur.rowcount == 1


def reopen_issued_run(conn: psycopg.Connection[Any], *, run_id: int, by: str, now: datetime) -> bool:
    """An issued run whose held invoices were released afterwards goes back to 'approved' (one winner)."""
    cur = conn.execute(
        """UPDATE billing_runs r SET status = 'approved', approved_by = %s, approved_at = %s
           WHERE r.id = %s AND r.status = 'issued'
             AND EXISTS (SELECT 1 FROM invoices i WHERE i.billing_run_id = r.id AND i.status = 'draft')""",
        (by, now, run_id),
    )
    return cur.rowcount == 1


def mark_issued(conn: psycopg.Connection[Any], *, run_id: int, now: datetime) -> None:
    conn.execute(
        "UPDATE billing_runs SET status = 'issued', issued_at = coalesce(issued_at, %s) WHERE id = %s",
        (now, run_id),
    )


def lock_run(conn: psycopg.Connection[Any], run_id: int) -> BillingRun | None:
    """The run, locked for this transaction (issue and approval serialize on it)."""
    return fetch_typed_one(
        conn, BillingRun, f"SELECT {RUN_COLUMNS} FROM billing_runs WHERE id = %s FOR UPDATE", (run_id,)
    )


def set_total_accounts(conn: psycopg.Connection[Any], *, run_id: int, total: int) -> None:
    conn.execute("UPDATE billing_runs SET total_accounts = %s WHERE id = %s", (total, run_id))


def tariff_classes_without_schedule(conn: psycopg.Connection[Any], *, on: date, scope_sector: str | None) -> list[str]:
    """Classes of active accounts (in scope) that have no schedule in force on `on`."""
    cur = conn.execute(
        """SELECT DISTINCT a.tariff_class FROM accounts a JOIN tomas t ON t.id = a.toma_id
           JOIN sectores_hidraulicos s ON s.id = t.sector_id
           WHERE a.status = 'active' AND (%s::text IS NULL OR s.code = %s)
             AND NOT EXISTS (SELECT 1 FROM tariff_schedules ts WHERE ts.tariff_class = a.tariff_class
                             AND ts.effective_from <= %s AND (ts.effective_to IS NULL OR ts.effective_to > %s))
           ORDER BY 1""",
        (scope_sector, scope_sector, on, on),
    )
    return [r[0] for r in cur.fetchall()]


def schedules_in_force(conn: psycopg.Connection[Any], *, on: date) -> dict[str, TariffInForce]:
    rows = fetch_typed(
        conn,
        TariffInForce,
        """SELECT DISTINCT ON (tariff_class) id, tariff_class, name, version, definition FROM tariff_schedules
           WHERE effective_from <= %s AND (effective_to IS NULL OR effective_to > %s)
           ORDER BY tariff_class, effective_from DESC""",
        (on, on),
    )
    return {r.tariff_class: r for r in rows}


# ---------------------------------------------------------------- chunk plan


def plan_chunks(
    conn: psycopg.Connection[Any], *, tenant_id: UUID, run_id: int, chunk_size: int, scope_sector: str | None
) -> None:
    """Split the in-scope active accounts of each sector into id ranges of at most `chunk_size` accounts."""
    conn.execute(
        """INSERT INTO billing_chunks (tenant_id, run_id, sector_id, chunk_no, first_account, last_account, accounts)
           SELECT %s, %s, sector_id, chunk_no, min(id), max(id), count(*)
           FROM (SELECT a.id, t.sector_id,
                        (row_number() OVER (PARTITION BY t.sector_id ORDER BY a.id) - 1) / %s AS chunk_no
                 FROM accounts a JOIN tomas t ON t.id = a.toma_id
                 JOIN sectores_hidraulicos s ON s.id = t.sector_id
                 WHERE a.status = 'active' AND (%s::text IS NULL OR s.code = %s)) x
           GROUP BY sector_id, chunk_no
           ON CONFLICT DO NOTHING""",
        (tenant_id, run_id, chunk_size, scope_sector, scope_sector),
    )


def sector_plan(conn: psycopg.Connection[Any], run_id: int) -> list[SectorPlan]:
    return fetch_typed(
        conn,
        SectorPlan,
        """SELECT c.sector_id, s.code, count(*) AS chunks, sum(c.accounts)::int AS accounts,
                  count(*) FILTER (WHERE c.status = 'done') AS chunks_done,
                  coalesce(sum(c.accounts) FILTER (WHERE c.status = 'done'), 0)::int AS accounts_done
           FROM billing_chunks c JOIN sectores_hidraulicos s ON s.id = c.sector_id
           WHERE c.run_id = %s GROUP BY c.sector_id, s.code ORDER BY s.code""",
        (run_id,),
    )


def get_chunk(
    conn: psycopg.Connection[Any], *, run_id: int, sector_id: int, chunk_no: int, lock: bool = False
) -> Chunk | None:
    sql = """SELECT run_id, sector_id, chunk_no, first_account, last_account, accounts, status, counters
             FROM billing_chunks WHERE run_id = %s AND sector_id = %s AND chunk_no = %s"""
    return fetch_typed_one(conn, Chunk, sql + (" FOR UPDATE" if lock else ""), (run_id, sector_id, chunk_no))


def complete_chunk(
    conn: psycopg.Connection[Any], *, run_id: int, sector_id: int, chunk_no: int, counters: dict[str, Any]
) -> None:
    conn.execute(
        """UPDATE billing_chunks SET status = 'done', counters = %s, completed_at = now()
           WHERE run_id = %s AND sector_id = %s AND chunk_no = %s""",
        (Jsonb(counters), run_id, sector_id, chunk_no),
    )
    conn.execute(
        "UPDATE billing_runs SET accounts_done = accounts_done + %s WHERE id = %s",
        (counters.get("accounts", 0), run_id),
    )


def run_totals(conn: psycopg.Connection[Any], run_id: int) -> RunTotals:
    row = fetch_typed_one(
        conn,
        RunTotals,
        """SELECT count(*)::int AS invoices,
                  count(*) FILTER (WHERE estimated)::int AS estimated,
                  count(*) FILTER (WHERE status = 'held')::int AS held,
                  count(*) FILTER (WHERE status = 'issued')::int AS issued,
                  coalesce(sum(total), 0) AS total_billed,
                  coalesce(sum(consumption_m3), 0) AS m3_billed
           FROM invoices WHERE billing_run_id = %s""",
        (run_id,),
    )
    assert row is not None
    return row


# ---------------------------------------------------------------- chunk inputs


def chunk_accounts(conn: psycopg.Connection[Any], *, sector_id: int, first: int, last: int) -> list[ChunkAccount]:
    return fetch_typed(
        conn,
        ChunkAccount,
        """SELECT a.id, a.tariff_class, s.code AS sector, m.dials, mi.installed_at::date AS installed_on,
                  mi.initial_read, mi.meter_id
           FROM accounts a JOIN tomas t ON t.id = a.toma_id
           JOIN sectores_hidraulicos s ON s.id = t.sector_id
           LEFT JOIN LATERAL (SELECT meter_id, installed_at, initial_read FROM meter_installations i
                              WHERE i.toma_id = t.id AND i.removed_at IS NULL
                              ORDER BY installed_at DESC LIMIT 1) mi ON true
           LEFT JOIN meters m ON m.id = mi.meter_id
           WHERE t.sector_id = %s AND a.id BETWEEN %s AND %s AND a.status = 'active'
           ORDER BY a.id""",
        (sector_id, first, last),
    )


def chunk_reads(
    conn: psycopg.Connection[Any], *, account_ids: Sequence[int], since: datetime, until: datetime
) -> list[ChunkRead]:
    """Reads in [since, until), oldest first per account (tuples made into ChunkRead at C speed: hot path)."""
    cur = conn.execute(
        """SELECT account_id, meter_id, (read_at AT TIME ZONE %s)::date, value, status, exception_codes, source
           FROM meter_readings
           WHERE account_id = ANY(%s) AND read_at >= %s AND read_at < %s AND status <> 'rejected'
           ORDER BY account_id, read_at""",
        (UTILITY_TZ_NAME, list(account_ids), since, until),
    )
    return list(map(ChunkRead._make, cur.fetchall()))


def chunk_prior_bills(
    conn: psycopg.Connection[Any], *, account_ids: Sequence[int], since: date, before: date
) -> list[ChunkPriorBill]:
    cur = conn.execute(
        """SELECT account_id, period, consumption_m3, estimated FROM invoices
           WHERE account_id = ANY(%s) AND period >= %s AND period < %s AND status <> 'cancelled'
           ORDER BY account_id, period""",
        (list(account_ids), since, before),
    )
    return list(map(ChunkPriorBill._make, cur.fetchall()))


def chunk_balances(conn: psycopg.Connection[Any], *, account_ids: Sequence[int]) -> dict[int, Decimal]:
    cur = conn.execute(
        """SELECT account_id, sum(amount) FROM account_movements WHERE account_id = ANY(%s)
           GROUP BY account_id""",
        (list(account_ids),),
    )
    return {int(a): Decimal(b) for a, b in cur.fetchall()}


# ---------------------------------------------------------------- chunk writes


def _copy_text(value: Any) -> str:
    """A value in COPY text format (numbers need no escaping; text escapes backslash, tab and newlines)."""
    if value is None:
        return "\\N"
    if isinstance(value, Decimal | int | bool):
        return str(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def write_invoices(
    conn: psycopg.Connection[Any],
    *,
    tenant_id: UUID,
    run_id: int,
    period: date,
    invoices: Sequence[InvoiceRow],
    lines: Sequence[InvoiceLineRow],
) -> tuple[int, int]:
    """COPY drafts into temp tables, then insert the ones whose (account, period) has no invoice yet, with their
    lines, in one statement. Returns (invoices inserted, lines inserted). Existing invoices are never touched."""
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS tmp_invoices (
               account_id bigint, status text, consumption_m3 numeric, estimated boolean, exception_codes text[],
               subtotal numeric, tax_total numeric, total numeric, previous_balance numeric, held_reason text
           ) ON COMMIT DELETE ROWS"""
    )
    conn.execute(
        """CREATE TEMP TABLE IF NOT EXISTS tmp_lines (
               account_id bigint, line_no smallint, code text, description text, quantity numeric,
               unit_price numeric, amount numeric, tax_rate numeric, tax_amount numeric, trace jsonb
           ) ON COMMIT DELETE ROWS"""
    )
    buf = io.StringIO()
    for r in invoices:  # the fields in InvoiceRow order, exception_codes (5th) as a text[] literal
        codes = "{" + ",".join(r.exception_codes) + "}"
        buf.write("\t".join(_copy_text(v) for v in (*r[:4], codes, *r[5:])) + "\n")
    with conn.cursor().copy("COPY tmp_invoices FROM STDIN") as copy:
        copy.write(buf.getvalue())
    buf = io.StringIO()
    for line in lines:  # the fields in InvoiceLineRow order, the trace (last) as JSON
        buf.write("\t".join(_copy_text(v) for v in line[:9]))
        buf.write("\t" + _copy_text(orjson.dumps(line.trace).decode()) + "\n")
    with conn.cursor().copy("COPY tmp_lines FROM STDIN") as copy:
        copy.write(buf.getvalue())
    cur = conn.execute(
        """WITH ins AS (
               INSERT INTO invoices (tenant_id, account_id, period, billing_run_id, status, consumption_m3, estimated,
                                     exception_codes, subtotal, tax_total, total, previous_balance, amount_due,
                                     held_reason)
               SELECT %s, account_id, %s, %s, status, consumption_m3, estimated, exception_codes, subtotal,
                      tax_total, total, previous_balance, total + previous_balance, held_reason
               FROM tmp_invoices
               ON CONFLICT (tenant_id, account_id, period) DO NOTHING
               RETURNING id, account_id),
           lines AS (
               INSERT INTO invoice_lines (tenant_id, invoice_id, line_no, code, description, quantity, unit_price,
                                          amount, tax_rate, tax_amount, trace)
               SELECT %s, ins.id, l.line_no, l.code, l.description, l.quantity, l.unit_price, l.amount, l.tax_rate,
                      l.tax_amount, l.trace
               FROM tmp_lines l JOIN ins USING (account_id)
               RETURNING 1)
           SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM lines)""",
        (tenant_id, period, run_id, tenant_id),
    )
    row = cur.fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


# ---------------------------------------------------------------- review and issue


def held_invoices(conn: psycopg.Connection[Any], run_id: int, limit: int = 100) -> list[Row]:
    """Held invoices as the API lists them (passed through to JSON)."""
    return fetch_all(
        conn,
        """SELECT i.id, i.account_id, a.account_number, i.exception_codes, i.held_reason, i.consumption_m3,
                  i.estimated, i.total
           FROM invoices i JOIN accounts a ON a.id = i.account_id
           WHERE i.billing_run_id = %(run)s AND i.status = 'held' ORDER BY i.id LIMIT %(limit)s""",
        {"run": run_id, "limit": limit},
    )


def set_invoice_status(
    conn: psycopg.Connection[Any],
    *,
    invoice_id: int,
    from_status: str,
    to_status: str,
    reviewed_by: str,
    now: datetime,
) -> bool:
    cur = conn.execute(
        """UPDATE invoices SET status = %s, reviewed_by = %s, reviewed_at = %s
           WHERE id = %s AND status = %s""",
        (to_status, reviewed_by, now, invoice_id, from_status),
    )
    return cur.rowcount == 1


def invoice_status(conn: psycopg.Connection[Any], *, invoice_id: int) -> str | None:
    """The invoice's status; None when it does not exist for this tenant (row-level security hides others')."""
    row = conn.execute("SELECT status FROM invoices WHERE id = %s", (invoice_id,)).fetchone()
    return str(row[0]) if row else None
