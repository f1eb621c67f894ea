"""Invoice list and detail with explainable lines (each line's calculation trace)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shared.application.access.errors import not_found
from shared.application.access.principal import Principal
from shared.data.records import invoices as q
from shared.data.sql import Conn, Row

CENT = Decimal("0.01")


def list_invoices(conn: Conn, p: Principal, *, account_id: int | None, period: date | None, status: str | None,
                  after: tuple[date, int] | None, limit: int) -> list[Row]:
    return q.list_invoices(conn, person_scope=p.person_scope, account_id=account_id, period=period, status=status,
                           after=after, limit=limit)


def get_invoice(conn: Conn, p: Principal, *, invoice_id: int) -> dict[str, Any]:
    row = q.get_invoice(conn, invoice_id=invoice_id, person_scope=p.person_scope)
    if row is None:
        raise not_found("la factura")
    lines = q.invoice_lines(conn, invoice_id=invoice_id)
    paid_row = q.paid_amount(conn, invoice_id=invoice_id)
    paid = (Decimal(paid_row["paid"]) if paid_row else Decimal(0)).quantize(CENT)
    explained = [{**line, "explanation": explain(line)} for line in lines]
    outstanding = max(Decimal(row["total"]) - paid, Decimal(0)).quantize(CENT)
    return {**row, "lines": explained, "paid_amount": paid, "outstanding": outstanding}


def explain(line: Row) -> str:
    """A Spanish sentence a customer can check: quantity × price = amount, plus IVA, plus what the trace says."""
    text = f"{line['description']}: {line['quantity']} × ${line['unit_price']} = ${line['amount']}"
    if Decimal(line["tax_rate"]):
        text += f"; IVA {Decimal(line['tax_rate']) * 100:.0f}% = ${line['tax_amount']}"
    trace = line.get("trace") or {}
    if isinstance(trace, dict):
        if trace.get("estimation_method"):
            text += f"; consumo estimado ({trace['estimation_method']})"
        if trace.get("tariff_version"):
            text += f"; tarifa {trace['tariff_version']}"
    return text
