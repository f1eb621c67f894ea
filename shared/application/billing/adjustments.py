"""Credits an operator grants on an issued invoice (billing corrections): an adjustment, its ledger movement and an
`adjustment.credited` event in one transaction. The CFDI consumer turns the event into an Egreso (credit note)
related to the invoice's UUID."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from shared.application.outbox import DomainEvent, record
from shared.data import db
from shared.domain.money import decimal_str, round_cents


class InvoiceNotCreditable(ValueError):
    """The invoice does not exist, is not issued, or the credit exceeds what is left of its total."""


def credit_invoice(*, tenant_id: UUID | str, invoice_id: int, amount: Decimal, reason: str, by: str,
                   now: datetime, key: str) -> int:
    """Record a credit of `amount` (> 0) on an issued invoice; idempotent on `key`. Returns the adjustment id."""
    amount = round_cents(amount)
    if amount <= 0:
        raise InvoiceNotCreditable("el crédito debe ser mayor que cero")
    if not reason.strip():
        raise InvoiceNotCreditable("el crédito necesita un motivo")
    with db.tenant_transaction(tenant_id) as conn:
        existing = conn.execute("SELECT id FROM adjustments WHERE natural_key = %s", (key,)).fetchone()
        if existing is not None:
            return int(existing[0])
        invoice = conn.execute(
            """SELECT i.account_id, i.status, i.total,
                      coalesce((SELECT -sum(a.amount) FROM adjustments a WHERE a.invoice_id = i.id), 0) AS credited
               FROM invoices i WHERE i.id = %s FOR UPDATE""", (invoice_id,)).fetchone()
        if invoice is None or invoice[1] != "issued":
            raise InvoiceNotCreditable(f"la factura {invoice_id} no existe o no está emitida")
        account_id, _status, total, credited = invoice
        if credited + amount > total:
            raise InvoiceNotCreditable(
                f"el crédito ({amount}) excede lo que queda de la factura ({total - credited})")
        row = conn.execute(
            """INSERT INTO adjustments (tenant_id, account_id, invoice_id, amount, reason, natural_key, created_by,
                                        created_at)
               VALUES (app_current_tenant(), %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (account_id, invoice_id, -amount, reason.strip(), key, by, now)).fetchone()
        assert row is not None
        adjustment_id = int(row[0])
        conn.execute(
            """INSERT INTO account_movements (tenant_id, account_id, kind, amount, source_type, source_id, occurred_at)
               VALUES (app_current_tenant(), %s, 'adjustment', %s, 'adjustment', %s, %s)""",
            (account_id, -amount, adjustment_id, now))
        record(conn, DomainEvent(UUID(str(tenant_id)), "adjustment.credited", f"adjustment.credited:{adjustment_id}",
                                 "invoice", str(invoice_id), now,
                                 {"adjustment_id": adjustment_id, "invoice_id": invoice_id, "account_id": account_id,
                                  "amount": decimal_str(amount), "reason": reason.strip()}))
    return adjustment_id
