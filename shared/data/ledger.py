"""The ledger: the one writer of `account_movements` and `adjustments`, and its invariants as SQL.

balance(account) = sum(account_movements.amount) where charge + (issued invoice total), payment − (what the payment
allocated when applied), payment_reversal + (what the reversal took back), adjustment ± (adjustments.amount).
Every posting is idempotent on its source (`UNIQUE (tenant_id, source_type, source_id, kind)`) and every adjustment
on its natural key. Each invariant query returns the rows that violate one rule (empty = holds).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, NamedTuple
from uuid import UUID

from psycopg.rows import dict_row

from shared.data import db, events
from shared.data.sql import Conn, fetch_typed_one

MovementKind = Literal["charge", "payment", "payment_reversal", "adjustment"]

_MOVEMENT_COLUMNS = "tenant_id, account_id, kind, amount, source_type, source_id, occurred_at"
_ON_SOURCE = "ON CONFLICT (tenant_id, source_type, source_id, kind) DO NOTHING"

# ---------------------------------------------------------------- issue: folios, charges and invoice.issued events

# One statement for the whole run: lock the drafts, number them from the series row, post one charge per invoice
# and record one invoice.issued event per invoice (through the events owner, with the correlation id bound).
_ISSUED_EVENTS = """
    SELECT %(tenant)s, 'invoice.issued', 'invoice.issued:' || id, 'invoice', id::text,
           jsonb_build_object('invoice_id', id, 'account_id', account_id, 'total', total,
                              'period', period, 'serie', %(serie)s::text, 'folio', folio),
           %(correlation)s::text, %(at)s
    FROM issued"""
_ISSUE = f"""
WITH todo AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
    FROM (SELECT id FROM invoices
          WHERE billing_run_id = %(run_id)s AND status = 'draft'
            AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s))
          FOR UPDATE) locked),
issued AS (
    UPDATE invoices i SET status = 'issued', serie = %(serie)s, folio = %(first_folio)s + todo.n,
                          issued_at = %(at)s, due_date = %(due)s
    FROM todo WHERE i.id = todo.id
    RETURNING i.id, i.account_id, i.total, i.period, i.folio),
charges AS (
    INSERT INTO account_movements ({_MOVEMENT_COLUMNS})
    SELECT %(tenant)s, account_id, 'charge', total, 'invoice', id, %(at)s FROM issued
    {_ON_SOURCE} RETURNING 1),
issued_events AS (
    {events.insert_from(_ISSUED_EVENTS)})
SELECT (SELECT count(*) FROM issued), (SELECT count(*) FROM charges)"""


def issue_drafts(
    conn: Conn,
    *,
    tenant_id: UUID,
    run_id: int,
    serie: str,
    issued_at: datetime,
    due_date: date,
    invoice_ids: Sequence[int] | None = None,
) -> int:
    """Issue the run's drafts (or the given ones): gapless folios from the series row (locked for the transaction),
    a charge movement per invoice in the ledger, and an invoice.issued outbox event per invoice carrying the current
    correlation id. Returns how many invoices were issued."""
    conn.execute(
        "INSERT INTO folio_series (tenant_id, serie) VALUES (%s, %s) ON CONFLICT DO NOTHING", (tenant_id, serie)
    )
    row = conn.execute(
        "SELECT next_folio FROM folio_series WHERE tenant_id = %s AND serie = %s FOR UPDATE", (tenant_id, serie)
    ).fetchone()
    assert row is not None
    counts = conn.execute(
        _ISSUE,
        {
            "run_id": run_id,
            "ids": list(invoice_ids) if invoice_ids is not None else None,
            "serie": serie,
            "first_folio": int(row[0]),
            "at": issued_at,
            "due": due_date,
            "tenant": tenant_id,
            "correlation": events.current_correlation_id(),
        },
    ).fetchone()
    assert counts is not None
    issued = int(counts[0])
    conn.execute(
        "UPDATE folio_series SET next_folio = next_folio + %s WHERE tenant_id = %s AND serie = %s",
        (issued, tenant_id, serie),
    )
    return issued


def accounts_with_credit(conn: Conn, *, run_id: int) -> list[int]:
    """Accounts of the run whose ledger balance is below their new invoice's total: they had credit standing."""
    cur = conn.execute(
        """SELECT i.account_id FROM invoices i
           JOIN LATERAL (SELECT coalesce(sum(m.amount), 0) AS balance FROM account_movements m
                         WHERE m.account_id = i.account_id) b ON true
           WHERE i.billing_run_id = %s AND i.status = 'issued' AND b.balance < i.total
           ORDER BY i.account_id""",
        (run_id,),
    )
    return [int(r[0]) for r in cur.fetchall()]


# ---------------------------------------------------------------- payments and reversals


def post_movement(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    account_id: int,
    kind: MovementKind,
    amount: Decimal,
    source_type: str,
    source_id: int,
    occurred_at: datetime,
) -> bool:
    """One signed movement for a source; False when that source already posted it (a retry)."""
    cur = conn.execute(
        f"INSERT INTO account_movements ({_MOVEMENT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s) {_ON_SOURCE}",
        (str(tenant_id), account_id, kind, amount, source_type, source_id, occurred_at),
    )
    return cur.rowcount == 1


# ---------------------------------------------------------------- adjustments (credits, back-billing)


class CreditableInvoice(NamedTuple):
    """An invoice locked for a credit: what it charged and how much adjustments already took off it."""

    account_id: int
    status: str
    total: Decimal
    credited: Decimal


def adjustment_by_key(conn: Conn, *, key: str) -> int | None:
    """The id of the tenant's adjustment with that natural key, if it was already posted."""
    row = conn.execute("SELECT id FROM adjustments WHERE natural_key = %s", (key,)).fetchone()
    return int(row[0]) if row else None


def lock_invoice_for_credit(conn: Conn, *, invoice_id: int) -> CreditableInvoice | None:
    """The invoice (locked for the transaction) with the credits already granted on it, or None."""
    return fetch_typed_one(
        conn,
        CreditableInvoice,
        """
        SELECT i.account_id, i.status, i.total,
               coalesce((SELECT -sum(a.amount) FROM adjustments a WHERE a.invoice_id = i.id), 0) AS credited
        FROM invoices i WHERE i.id = %s FOR UPDATE""",
        (invoice_id,),
    )


def post_adjustment(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    account_id: int,
    amount: Decimal,
    reason: str,
    key: str,
    by: str | None,
    at: datetime,
    invoice_id: int | None = None,
) -> int | None:
    """An adjustment (signed: a credit is negative) and its ledger movement in one statement, keyed by `key`:
    the new adjustment's id, or None when that key was already posted (a retry posts nothing twice)."""
    row = conn.execute(
        f"""
        WITH adj AS (
            INSERT INTO adjustments (tenant_id, account_id, invoice_id, amount, reason, natural_key, created_by,
                                     created_at)
            VALUES (%(t)s, %(a)s, %(invoice)s, %(amount)s, %(reason)s, %(key)s, %(by)s, %(at)s)
            ON CONFLICT (tenant_id, natural_key) DO NOTHING RETURNING id, tenant_id, account_id, amount, created_at),
        movement AS (
            INSERT INTO account_movements ({_MOVEMENT_COLUMNS})
            SELECT tenant_id, account_id, 'adjustment', amount, 'adjustment', id, created_at FROM adj
            {_ON_SOURCE})
        SELECT id FROM adj""",
        {
            "t": str(tenant_id),
            "a": account_id,
            "invoice": invoice_id,
            "amount": amount,
            "reason": reason,
            "key": key,
            "by": by,
            "at": at,
        },
    ).fetchone()
    return int(row[0]) if row else None


# ---------------------------------------------------------------- invariants

INVARIANTS: dict[str, str] = {
    # balance = issued charges - applied payments (+ reversals) ± adjustments, per account
    "balance_equals_sources": """
        WITH m AS (SELECT account_id, sum(amount) AS balance FROM account_movements GROUP BY account_id),
             c AS (SELECT account_id, sum(total) AS charges FROM invoices WHERE status = 'issued' GROUP BY account_id),
             p AS (SELECT p.account_id, sum(a.amount) AS paid FROM payment_allocations a
                   JOIN payments p ON p.id = a.payment_id GROUP BY p.account_id),
             j AS (SELECT account_id, sum(amount) AS adjusted FROM adjustments GROUP BY account_id),
             ids AS (SELECT account_id FROM m UNION SELECT account_id FROM c UNION SELECT account_id FROM p
                     UNION SELECT account_id FROM j)
        SELECT ids.account_id, coalesce(m.balance, 0) AS balance,
               coalesce(c.charges, 0) - coalesce(p.paid, 0) + coalesce(j.adjusted, 0) AS expected
        FROM ids LEFT JOIN m USING (account_id) LEFT JOIN c USING (account_id) LEFT JOIN p USING (account_id)
        LEFT JOIN j USING (account_id)
        WHERE ids.account_id IS NOT NULL
          AND coalesce(m.balance, 0) <> coalesce(c.charges, 0) - coalesce(p.paid, 0) + coalesce(j.adjusted, 0)""",
    # allocations of a payment never exceed it, never go below zero, and equal what is left after reversals
    "payment_allocations_within_payment": """
        SELECT p.id AS payment_id, p.status, p.amount, coalesce(sum(a.amount), 0) AS allocated,
               (SELECT coalesce(sum(applied_amount), 0) FROM payment_reversals r WHERE r.payment_id = p.id
                AND r.status = 'applied') AS reversed
        FROM payments p LEFT JOIN payment_allocations a ON a.payment_id = p.id
        GROUP BY p.id
        HAVING coalesce(sum(a.amount), 0) < 0 OR coalesce(sum(a.amount), 0) > p.amount
            OR (p.status IN ('applied', 'reversed') AND p.account_id IS NOT NULL
                AND coalesce(sum(a.amount), 0) <> p.amount - (SELECT coalesce(sum(applied_amount), 0)
                FROM payment_reversals r WHERE r.payment_id = p.id AND r.status = 'applied'))
            OR (p.status = 'unmatched' AND count(a.id) > 0)""",
    # no negative allocation except a reversal row, and never more reversed than the row it reverses
    "no_negative_allocation": """
        SELECT a.id, a.amount, a.reversal_of,
               a.amount + coalesce((SELECT sum(r.amount) FROM payment_allocations r WHERE r.reversal_of = a.id), 0)
                 AS standing
        FROM payment_allocations a
        WHERE (a.amount < 0 AND a.reversal_of IS NULL)
           OR (a.amount > 0 AND a.amount + coalesce((SELECT sum(r.amount) FROM payment_allocations r
                                                     WHERE r.reversal_of = a.id), 0) < 0)""",
    # an invoice is never paid beyond its total nor below zero
    "invoice_allocations_within_total": """
        SELECT i.id AS invoice_id, i.total, sum(a.amount) AS allocated FROM invoices i
        JOIN payment_allocations a ON a.invoice_id = i.id GROUP BY i.id
        HAVING sum(a.amount) > i.total OR sum(a.amount) < 0""",
    # installments: paid_amount is exactly the sum of their allocations
    "installment_paid_matches_allocations": """
        SELECT i.id AS installment_id, i.amount, i.paid_amount, coalesce(sum(a.amount), 0) AS allocated
        FROM payment_plan_installments i LEFT JOIN payment_allocations a ON a.installment_id = i.id
        GROUP BY i.id HAVING i.paid_amount <> coalesce(sum(a.amount), 0)""",
    # every movement has its source, and mirrors it
    "movement_has_source": """
        SELECT m.id, m.kind, m.source_type, m.source_id, m.amount FROM account_movements m
        WHERE NOT (
          (m.kind = 'charge' AND m.source_type = 'invoice' AND EXISTS (
              SELECT 1 FROM invoices i WHERE i.id = m.source_id AND i.account_id = m.account_id
              AND i.status = 'issued' AND i.total = m.amount))
          OR (m.kind = 'payment' AND m.source_type = 'payment' AND EXISTS (
              SELECT 1 FROM payments p WHERE p.id = m.source_id AND p.account_id = m.account_id
              AND p.source_event_id IS NOT NULL
              AND -m.amount = (SELECT coalesce(sum(a.amount), 0) FROM payment_allocations a
                               WHERE a.payment_id = p.id AND a.reversal_id IS NULL)))
          OR (m.kind = 'payment_reversal' AND m.source_type = 'payment_reversal' AND EXISTS (
              SELECT 1 FROM payment_reversals r WHERE r.id = m.source_id AND r.status = 'applied'
              AND r.applied_amount = m.amount
              AND -m.amount = (SELECT coalesce(sum(a.amount), 0) FROM payment_allocations a
                               WHERE a.reversal_id = r.id)))
          OR (m.kind = 'adjustment' AND m.source_type = 'adjustment' AND EXISTS (
              SELECT 1 FROM adjustments j WHERE j.id = m.source_id AND j.amount = m.amount))
        )""",
    # every applied payment has exactly one payment movement; unmatched money none
    "applied_payment_has_movement": """
        SELECT p.id AS payment_id, p.status, count(m.id) AS movements FROM payments p
        LEFT JOIN account_movements m ON m.source_type = 'payment' AND m.source_id = p.id
        GROUP BY p.id
        HAVING (p.account_id IS NOT NULL AND p.status IN ('applied', 'reversed') AND count(m.id) <> 1)
            OR (p.account_id IS NULL AND count(m.id) > 0)""",
    # every issued invoice has its charge movement (posted by billing on issue)
    "issued_invoice_has_charge": """
        SELECT i.id AS invoice_id FROM invoices i WHERE i.status = 'issued' AND NOT EXISTS (
            SELECT 1 FROM account_movements m WHERE m.source_type = 'invoice' AND m.source_id = i.id
            AND m.kind = 'charge')""",
    # every processed payment event produced (or found) its payment
    "processed_event_has_payment": """
        SELECT w.id AS inbox_id, w.provider, w.event_type FROM webhook_inbox w
        WHERE w.status = 'processed' AND w.event_type IN ('order.paid', 'charge.paid', 'abono')
          AND NOT EXISTS (
              SELECT 1 FROM payments p WHERE p.provider = w.provider AND p.provider_payment_id IN (
                  SELECT w.event_id WHERE w.provider = 'spei'
                  UNION ALL SELECT w.payload #>> '{data,object,id}'
                  UNION ALL SELECT jsonb_path_query(w.payload, '$.data.object.charges.data[*].id') #>> '{}'))""",
}


def check(conn: Conn, *, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    """Violations per invariant (at most `limit` rows each), for the tenant of the transaction."""
    out: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for name, sql in INVARIANTS.items():
            cur.execute(f"SELECT * FROM ({sql}) v LIMIT %s", (limit,))
            out[name] = cur.fetchall()
    return out


class Suspense(NamedTuple):
    """Unmatched payments waiting in suspense, and the money they still hold."""

    payments: int
    amount: Decimal


def suspense_total(conn: Conn) -> Suspense:
    row = fetch_typed_one(
        conn,
        Suspense,
        """
        SELECT count(*)::int AS payments,
               coalesce(sum(p.amount - coalesce((SELECT sum(applied_amount) FROM payment_reversals r
                                                 WHERE r.payment_id = p.id AND r.status = 'applied'), 0)), 0) AS amount
        FROM payments p WHERE p.status = 'unmatched'""",
    )
    assert row is not None
    return row


class Snapshot(NamedTuple):
    violations: dict[str, list[dict[str, Any]]]
    suspense: Suspense


def snapshot(*, tenant_id: UUID | str, limit: int) -> Snapshot:
    """Every invariant and the suspense total of one tenant, read in one consistent read-only snapshot."""
    with db.connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        db.set_tenant(conn, tenant_id)
        return Snapshot(check(conn, limit=limit), suspense_total(conn))
