"""SQL that feeds single CFDI documents and the printed bill: one invoice with its receiver and lines, the bill's
account/toma/history data, payments and their allocations, and the UUIDs a credit note relates to."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from shared.data.cfdi import INVOICE_ROWS_SQL
from shared.data.sql import Row, fetch_dicts, fetch_one
from shared.domain.timezone import UTILITY_TZ_NAME

_SINGLE_SQL = INVOICE_ROWS_SQL.format(invoices="invoices") + "WHERE i.id = %(id)s"


def invoice_with_lines(conn: psycopg.Connection[Any], invoice_id: int) -> Row | None:
    """The same shape a stamping chunk reads, for one invoice (any status)."""
    return fetch_one(conn, _SINGLE_SQL, {"id": invoice_id})


def bill_header(conn: psycopg.Connection[Any], invoice_id: int) -> Row | None:
    """Everything the printed bill shows besides lines and history."""
    return fetch_one(
        conn,
        """SELECT i.id, i.account_id, i.period, i.serie, i.folio, i.status, i.consumption_m3, i.estimated,
                  i.subtotal, i.tax_total, i.total, i.previous_balance, i.amount_due, i.due_date, i.issued_at,
                  a.account_number, a.tariff_class, a.payment_reference, a.clabe, a.household_size,
                  t.toma_number, s.code AS sector_code, s.name AS sector_name,
                  ad.street, ad.ext_number, ad.int_number, ad.colonia, ad.municipality, ad.state, ad.postal_code,
                  p.person_type, p.legal_name, p.first_name, p.paternal_surname, p.maternal_surname, p.rfc,
                  p.regimen_fiscal, p.uso_cfdi, p.fiscal_postal_code,
                  (SELECT m.serial FROM meter_installations mi JOIN meters m ON m.id = mi.meter_id
                   WHERE mi.toma_id = t.id ORDER BY mi.installed_at DESC LIMIT 1) AS meter_serial
           FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN tomas t ON t.id = a.toma_id
           JOIN sectores_hidraulicos s ON s.id = t.sector_id JOIN addresses ad ON ad.id = t.address_id
           JOIN persons p ON p.id = a.person_id
           WHERE i.id = %(id)s""",
        {"id": invoice_id},
    )


def bill_lines(conn: psycopg.Connection[Any], invoice_id: int) -> list[Row]:
    return fetch_dicts(
        conn.execute(
            """SELECT line_no, code, description, quantity, unit_price, amount, tax_rate, tax_amount, trace
           FROM invoice_lines WHERE invoice_id = %s ORDER BY line_no""",
            (invoice_id,),
        )
    )


def consumption_history(conn: psycopg.Connection[Any], *, account_id: int, since: date, until: date) -> list[Row]:
    """Billed m³ per period in [since, until], oldest first (cancelled invoices excluded)."""
    return fetch_dicts(
        conn.execute(
            """SELECT period, consumption_m3, estimated FROM invoices
           WHERE account_id = %s AND period >= %s AND period <= %s AND status <> 'cancelled'
           ORDER BY period""",
            (account_id, since, until),
        )
    )


def read_consumption_history(conn: psycopg.Connection[Any], *, account_id: int, since: date, until: date) -> list[Row]:
    """m³ per local month from the last valid read of each month, for months without a bill (oldest first).
    A register that went backwards (rollover, meter change) counts as 0 here: it only feeds the bill's chart."""
    return fetch_dicts(
        conn.execute(
            """WITH monthly AS (
               SELECT date_trunc('month', read_at AT TIME ZONE %s)::date AS period,
                      (array_agg(value ORDER BY read_at DESC))[1] AS last_value
               FROM meter_readings
               WHERE account_id = %s AND status = 'valid'
                 AND read_at >= (%s::date - interval '1 month') AND read_at < (%s::date + interval '1 month')
               GROUP BY 1)
           SELECT period, greatest(last_value - lag(last_value) OVER (ORDER BY period), 0) AS consumption_m3
           FROM monthly ORDER BY period""",
            (UTILITY_TZ_NAME, account_id, since, until),
        )
    )


def payment_with_allocations(conn: psycopg.Connection[Any], payment_id: int) -> Row | None:
    row = fetch_one(
        conn,
        "SELECT id, account_id, channel, amount, paid_at, reference, provider, provider_payment_id, status "
        "FROM payments WHERE id = %(id)s",
        {"id": payment_id},
    )
    if row is None:
        return None
    row["allocations"] = fetch_dicts(
        conn.execute(
            """SELECT invoice_id, sum(amount) AS amount FROM payment_allocations
           WHERE payment_id = %s AND target = 'invoice' AND invoice_id IS NOT NULL
           GROUP BY invoice_id HAVING sum(amount) > 0 ORDER BY invoice_id""",
            (payment_id,),
        )
    )
    return row


def invoice_open_amount(conn: psycopg.Connection[Any], invoice_id: int) -> Decimal | None:
    """What is still unpaid of an invoice's total (None when there is no such invoice)."""
    row = conn.execute(
        """SELECT i.total - coalesce((SELECT sum(amount) FROM payment_allocations
                                      WHERE invoice_id = i.id AND target = 'invoice'), 0)
           FROM invoices i WHERE i.id = %s""",
        (invoice_id,),
    ).fetchone()
    return Decimal(row[0]) if row is not None else None


def global_invoice_candidates(
    conn: psycopg.Connection[Any], *, paid_from: datetime, paid_before: datetime
) -> list[int]:
    """Issued invoices without RFC (or the generic one), with no Ingreso of their own, fully paid by a last payment
    in [paid_from, paid_before): what the on_payment factura global covers. Ids, ascending."""
    cur = conn.execute(
        """SELECT i.id FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN persons p ON p.id = a.person_id
           WHERE i.status = 'issued' AND coalesce(p.rfc, '') IN ('', 'XAXX010101000')
             AND NOT EXISTS (SELECT 1 FROM cfdi_documents d WHERE d.invoice_id = i.id AND d.kind = 'I')
             AND (SELECT max(pay.paid_at) FROM payment_allocations pa JOIN payments pay ON pay.id = pa.payment_id
                  WHERE pa.invoice_id = i.id AND pa.target = 'invoice') >= %s
             AND (SELECT max(pay.paid_at) FROM payment_allocations pa JOIN payments pay ON pay.id = pa.payment_id
                  WHERE pa.invoice_id = i.id AND pa.target = 'invoice') < %s
             AND i.total <= (SELECT coalesce(sum(amount), 0) FROM payment_allocations
                             WHERE invoice_id = i.id AND target = 'invoice')
           ORDER BY i.id""",
        (paid_from, paid_before),
    )
    return [int(r[0]) for r in cur.fetchall()]


def sample_invoice_id(conn: psycopg.Connection[Any]) -> int | None:
    """The invoice a sample bill shows: the latest issued one, preferring a stamped one with a previous balance."""
    row = conn.execute(
        """SELECT i.id FROM invoices i LEFT JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I'
                                                                 AND d.status = 'stamped'
           WHERE i.status = 'issued' ORDER BY (d.id IS NOT NULL) DESC, i.previous_balance > 0 DESC, i.id DESC
           LIMIT 1"""
    ).fetchone()
    return int(row[0]) if row is not None else None


def paid_so_far(conn: psycopg.Connection[Any], related_uuid: str) -> tuple[int, Any]:
    """(parcialidades issued, total paid) by earlier live Pagos complements for one original UUID."""
    row = conn.execute(
        """SELECT count(*), coalesce(sum(pl.pagado), 0) FROM cfdi_payment_lines pl
           JOIN cfdi_documents d ON d.id = pl.document_id
           WHERE pl.related_uuid = %s AND d.status NOT IN ('rejected', 'cancelled')""",
        (related_uuid,),
    ).fetchone()
    assert row is not None
    return int(row[0]), row[1]


def insert_payment_lines(
    conn: psycopg.Connection[Any], tenant_id: str, document_id: int, lines: list[tuple[int, str, int, Any, Any, Any]]
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO cfdi_payment_lines (tenant_id, document_id, invoice_id, related_uuid, num_parcialidad,
                                               saldo_anterior, pagado, saldo_insoluto)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
            [(tenant_id, document_id, *line) for line in lines],
        )


def estimated_invoice_uuids(
    conn: psycopg.Connection[Any], *, account_id: int, before: date, limit: int = 6
) -> list[str]:
    """Stamped Ingreso UUIDs of the account's earlier estimated invoices, newest first (what a true-up credits)."""
    cur = conn.execute(
        """SELECT d.uuid::text FROM invoices i
           JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I' AND d.status = 'stamped'
           WHERE i.account_id = %s AND i.period < %s AND i.estimated
           ORDER BY i.period DESC LIMIT %s""",
        (account_id, before, limit),
    )
    return [r[0] for r in cur.fetchall()]


def credits_to_issue(conn: psycopg.Connection[Any], *, run_id: int, first_id: int, last_id: int) -> list[Row]:
    """Invoices of a chunk with negative lines (over-estimate credits) whose Ingreso is stamped and whose Egreso
    does not exist yet."""
    return fetch_dicts(
        conn.execute(
            """SELECT i.id FROM invoices i
           JOIN cfdi_documents d ON d.invoice_id = i.id AND d.kind = 'I' AND d.purpose = 'invoice'
                                 AND d.status = 'stamped'
           WHERE i.billing_run_id = %s
             AND i.id IN (SELECT DISTINCT l.invoice_id FROM invoice_lines l
                          WHERE l.invoice_id BETWEEN %s AND %s AND l.amount < 0)
             AND NOT EXISTS (SELECT 1 FROM cfdi_documents e WHERE e.invoice_id = i.id AND e.kind = 'E'
                             AND e.purpose = 'estimate_credit')
           ORDER BY i.id""",
            (run_id, first_id, last_id),
        )
    )


def adjustment(conn: psycopg.Connection[Any], adjustment_id: int) -> Row | None:
    return fetch_one(
        conn,
        "SELECT id, account_id, invoice_id, amount, reason, natural_key FROM adjustments WHERE id = %(id)s",
        {"id": adjustment_id},
    )
