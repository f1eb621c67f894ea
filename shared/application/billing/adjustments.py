"""Credits an operator grants on an issued invoice (billing corrections): an adjustment, its ledger movement and an
`adjustment.credited` event in one transaction. The CFDI consumer turns the event into an Egreso (credit note)
related to the invoice's UUID."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from shared.application.outbox import DomainEvent, record
from shared.data import db, ledger
from shared.domain.errors import Invalid
from shared.domain.money import decimal_str, round_cents


class InvoiceNotCreditable(Invalid, ValueError):
    """The invoice does not exist, is not issued, or the credit exceeds what is left of its total (HTTP 422)."""

    default_code = "invoice_not_creditable"

    def __init__(self, detail_es: str) -> None:
        super().__init__(None, detail_es)
        self.args = (detail_es,)  # str(error) is the Spanish detail, as before


def credit_invoice(
    *, tenant_id: UUID | str, invoice_id: int, amount: Decimal, reason: str, by: str, now: datetime, key: str
) -> int:
    """Record a credit of `amount` (> 0) on an issued invoice; idempotent on `key`. Returns the adjustment id."""
    amount = round_cents(amount)
    if amount <= 0:
        raise InvoiceNotCreditable("el crédito debe ser mayor que cero")
    if not reason.strip():
        raise InvoiceNotCreditable("el crédito necesita un motivo")
    with db.tenant_transaction(tenant_id) as conn:
        existing = ledger.adjustment_by_key(conn, key=key)
        if existing is not None:
            return existing
        invoice = ledger.lock_invoice_for_credit(conn, invoice_id=invoice_id)
        if invoice is None or invoice.status != "issued":
            raise InvoiceNotCreditable(f"la factura {invoice_id} no existe o no está emitida")
        if invoice.credited + amount > invoice.total:
            raise InvoiceNotCreditable(
                f"el crédito ({amount}) excede lo que queda de la factura ({invoice.total - invoice.credited})"
            )
        account_id = invoice.account_id
        adjustment_id = ledger.post_adjustment(
            conn,
            tenant_id=tenant_id,
            account_id=account_id,
            amount=-amount,
            reason=reason.strip(),
            key=key,
            by=by,
            at=now,
            invoice_id=invoice_id,
        )
        if adjustment_id is None:  # the same key was posted while this request waited for the invoice lock
            posted = ledger.adjustment_by_key(conn, key=key)
            assert posted is not None
            return posted
        record(
            conn,
            DomainEvent(
                UUID(str(tenant_id)),
                "adjustment.credited",
                f"adjustment.credited:{adjustment_id}",
                "invoice",
                str(invoice_id),
                now,
                {
                    "adjustment_id": adjustment_id,
                    "invoice_id": invoice_id,
                    "account_id": account_id,
                    "amount": decimal_str(amount),
                    "reason": reason.strip(),
                },
            ),
        )
    return adjustment_id
