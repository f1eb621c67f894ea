"""Invoices: list (newest period first) and detail with explainable lines. XML/PDF downloads live with billing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from functions.api.deps import Caller, IdPath, IdQuery
from functions.api.pagination import Cursor, Limit, decode_cursor, page
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES, LocalDateTime, Out, Page
from shared.application.customers import invoices

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"], responses=PROBLEM_RESPONSES)
InvoiceStatus = Literal["draft", "held", "issued", "cancelled"]


class InvoiceOut(Out):
    id: int
    account_id: int
    period: date
    status: InvoiceStatus
    serie: str | None
    folio: int | None
    consumption_m3: Decimal
    estimated: bool
    exception_codes: list[str]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    due_date: date | None
    issued_at: LocalDateTime | None


class InvoiceLineOut(Out):
    line_no: int
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    trace: dict[str, Any]
    explanation: str


class InvoiceDetailOut(InvoiceOut):
    lines: list[InvoiceLineOut]
    paid_amount: Decimal
    outstanding: Decimal


def _after(cursor: str | None) -> tuple[date, int] | None:
    value = decode_cursor(cursor, arity=2)
    if value is None:
        return None
    try:
        period, last_id = date.fromisoformat(value[0]), int(value[1])
    except (TypeError, ValueError) as error:
        raise ProblemError(400, "invalid_cursor", "El cursor de paginación no es válido.") from error
    if not 0 < last_id < 2**63:
        raise ProblemError(400, "invalid_cursor", "El cursor de paginación no es válido.")
    return period, last_id


@router.get("", response_model=Page[InvoiceOut], summary="List invoices (newest period first)")
def list_invoices(
    *,
    p: Caller,
    account_id: IdQuery = None,
    period: Annotated[date | None, Query(description="Billing month (first day), local date")] = None,
    status: InvoiceStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = invoices.list_invoices(
        principal=p, account_id=account_id, period=period, status=status, after=_after(cursor), limit=limit + 1
    )
    return page(rows, limit, position=lambda r: [r["period"].isoformat(), r["id"]])


@router.get("/{invoice_id}", response_model=InvoiceDetailOut, summary="Invoice detail with explained lines")
def get_invoice(*, p: Caller, invoice_id: IdPath) -> dict[str, Any]:
    return invoices.get_invoice(principal=p, invoice_id=invoice_id)
