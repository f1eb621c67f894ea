"""Invoice list and detail with explainable lines (each line's calculation trace)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from shared.application.access.errors import not_found
from shared.application.access.principal import Principal
from shared.data.db import use_case_transaction
from shared.data.records import invoices as q
from shared.data.sql import Row

CENT = Decimal("0.01")


def list_invoices(
    *,
    principal: Principal,
    account_id: int | None,
    period: date | None,
    status: str | None,
    after: tuple[date, int] | None,
    limit: int,
) -> list[Row]:
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_invoices(
            conn,
            person_scope=principal.person_scope,
            account_id=account_id,
            period=period,
            status=status,
            after=after,
            limit=limit,
        )


def get_invoice(*, principal: Principal, invoice_id: int) -> dict[str, Any]:
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_invoice(conn, invoice_id=invoice_id, person_scope=principal.person_scope)
        if row is None:
            raise not_found("la factura")
        lines = q.invoice_lines(conn, invoice_id=invoice_id)
        paid = q.paid_amount(conn, invoice_id=invoice_id).quantize(CENT)
    explained = [{**line, "explanation": explain(line=line)} for line in lines]
    outstanding = max(Decimal(row["total"]) - paid, Decimal(0)).quantize(CENT)
    return {**row, "lines": explained, "paid_amount": paid, "outstanding": outstanding}


def explain(*, line: Row) -> str:
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
