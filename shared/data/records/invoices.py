"""Invoice list and detail (with explainable lines). Drafts are internal: customers see issued/cancelled only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shared.data.sql import Conn, Row, Where, fetch_all, fetch_one

_COLUMNS = (
    "i.id, i.account_id, i.period, i.status, i.serie, i.folio, i.consumption_m3, i.estimated, "
    "i.exception_codes, i.subtotal, i.tax_total, i.total, i.due_date, i.issued_at"
)
_SCOPE = "EXISTS (SELECT 1 FROM accounts a WHERE a.id = i.account_id AND a.person_id = %(scope)s)"
_CUSTOMER_VISIBLE = "i.status IN ('issued', 'cancelled')"


def list_invoices(
    conn: Conn,
    *,
    person_scope: int | None,
    account_id: int | None,
    period: date | None,
    status: str | None,
    after: tuple[date, int] | None,
    limit: int,
) -> list[Row]:
    """Newest period first; keyset on (period, id)."""
    w = Where()
    if person_scope is not None:
        w.add(_SCOPE, scope=person_scope).add(_CUSTOMER_VISIBLE)
    w.when(account_id, "i.account_id = %(account)s", "account").when(period, "i.period = %(period)s", "period")
    w.when(status, "i.status = %(status)s", "status")
    if after is not None:
        w.add("(i.period, i.id) < (%(after_period)s, %(after_id)s)", after_period=after[0], after_id=after[1])
    return fetch_all(
        conn,
        f"SELECT {_COLUMNS} FROM invoices i WHERE {w.sql()} ORDER BY i.period DESC, i.id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_invoice(conn: Conn, *, invoice_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("i.id = %(id)s", id=invoice_id)
    if person_scope is not None:
        w.add(_SCOPE, scope=person_scope).add(_CUSTOMER_VISIBLE)
    return fetch_one(conn, f"SELECT {_COLUMNS} FROM invoices i WHERE {w.sql()}", w.params)


def invoice_lines(conn: Conn, *, invoice_id: int) -> list[Row]:
    return fetch_all(
        conn,
        """
        SELECT line_no, code, description, quantity, unit_price, amount, tax_rate, tax_amount, trace
        FROM invoice_lines WHERE invoice_id = %(id)s ORDER BY line_no""",
        {"id": invoice_id},
    )


def paid_amount(conn: Conn, *, invoice_id: int) -> Decimal:
    """What the payments allocated to the invoice add up to."""
    row = fetch_one(
        conn,
        "SELECT coalesce(sum(amount), 0) AS paid FROM payment_allocations WHERE invoice_id = %(id)s",
        {"id": invoice_id},
    )
    return Decimal(row["paid"]) if row else Decimal(0)
