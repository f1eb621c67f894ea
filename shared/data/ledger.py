"""Ledger invariants as SQL: each query returns the rows that violate one rule (empty = holds).

balance(account) = sum(account_movements.amount) where charge + (issued invoice total), payment − (what the payment
allocated when applied), payment_reversal + (what the reversal took back), adjustment ± (adjustments.amount).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

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


def check(conn: psycopg.Connection[Any], *, limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    """Violations per invariant (at most `limit` rows each), for the tenant of the transaction."""
    out: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for name, sql in INVARIANTS.items():
            cur.execute(f"SELECT * FROM ({sql}) v LIMIT %s", (limit,))
            out[name] = cur.fetchall()
    return out


def suspense_total(conn: psycopg.Connection[Any]) -> tuple[int, Any]:
    row = conn.execute("SELECT count(*), coalesce(sum(p.amount - coalesce((SELECT sum(applied_amount) FROM"
                       " payment_reversals r WHERE r.payment_id = p.id AND r.status = 'applied'), 0)), 0)"
                       " FROM payments p WHERE p.status = 'unmatched'").fetchone()
    assert row is not None
    return int(row[0]), row[1]
