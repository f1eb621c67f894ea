"""SQL of collections: payment plans and their invoices, dunning work orders."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from shared.data.sql import Conn, fetch_typed, fetch_typed_one

CUT_KINDS = ("restriction", "suspension")


class LatestCut(NamedTuple):
    """The newest restriction/suspension work order of an account, with whether a reconnection answered it."""

    id: int
    kind: str
    status: str
    natural_key: str | None
    reconnected: bool


class WorkOrderRow(NamedTuple):
    id: int
    kind: str
    status: str
    natural_key: str | None
    reason: str | None


class PlanDue(NamedTuple):
    """An active plan with an installment still short before a date."""

    id: int
    account_id: int


def latest_cut(conn: Conn, *, account_id: int) -> LatestCut | None:
    """The newest restriction/suspension work order of the account that was not cancelled, with whether a
    reconnection already answered it."""
    return fetch_typed_one(
        conn,
        LatestCut,
        "SELECT w.id, w.kind, w.status, w.natural_key,"
        " EXISTS (SELECT 1 FROM work_orders r WHERE r.natural_key = 'dunning:reconnection:' || w.id)"
        "   AS reconnected"
        " FROM work_orders w WHERE w.account_id = %s AND w.kind IN ('restriction', 'suspension')"
        " AND w.status <> 'cancelled' ORDER BY w.created_at DESC, w.id DESC LIMIT 1",
        (account_id,),
    )


def insert_work_order(
    conn: Conn,
    *,
    tenant_id: Any,
    kind: str,
    account_id: int,
    toma_id: int,
    reason: str,
    natural_key: str,
    priority: str = "normal",
) -> int | None:
    row = conn.execute(
        "INSERT INTO work_orders (tenant_id, kind, priority, account_id, toma_id, reason, natural_key)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (tenant_id, natural_key) DO NOTHING RETURNING id",
        (str(tenant_id), kind, priority, account_id, toma_id, reason, natural_key),
    ).fetchone()
    return int(row[0]) if row else None


def cancel_work_order(conn: Conn, *, work_order_id: int) -> None:
    conn.execute(
        "UPDATE work_orders SET status = 'cancelled' WHERE id = %s AND status IN ('open', 'assigned')", (work_order_id,)
    )


def account_work_orders(conn: Conn, *, account_id: int) -> list[WorkOrderRow]:
    return fetch_typed(
        conn,
        WorkOrderRow,
        "SELECT id, kind, status, natural_key, reason FROM work_orders WHERE account_id = %s ORDER BY id",
        (account_id,),
    )


def insert_plan(
    conn: Conn,
    *,
    tenant_id: Any,
    account_id: int,
    total: Decimal,
    down_payment: Decimal,
    installments_count: int,
    signed_at: datetime,
    created_by: str | None,
) -> int:
    row = conn.execute(
        "INSERT INTO payment_plans (tenant_id, account_id, total_amount, down_payment, installments_count, signed_at,"
        " created_by) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (str(tenant_id), account_id, total, down_payment, installments_count, signed_at, created_by),
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_installment(conn: Conn, *, tenant_id: Any, plan_id: int, seq: int, due_date: date, amount: Decimal) -> None:
    conn.execute(
        "INSERT INTO payment_plan_installments (tenant_id, plan_id, seq, due_date, amount) VALUES (%s, %s, %s, %s, %s)",
        (str(tenant_id), plan_id, seq, due_date, amount),
    )


def insert_plan_invoice(conn: Conn, *, tenant_id: Any, plan_id: int, invoice_id: int, open_at_signing: Decimal) -> None:
    conn.execute(
        "INSERT INTO payment_plan_invoices (tenant_id, plan_id, invoice_id, open_at_signing) VALUES (%s, %s, %s, %s)",
        (str(tenant_id), plan_id, invoice_id, open_at_signing),
    )


def set_plan_status(conn: Conn, *, plan_id: int, status: str, at: datetime | None = None) -> None:
    conn.execute(
        "UPDATE payment_plans SET status = %s, broken_at = CASE WHEN %s = 'broken' THEN %s ELSE broken_at"
        " END WHERE id = %s",
        (status, status, at, plan_id),
    )


def last_broken_plan(conn: Conn, *, account_id: int) -> date | None:
    row = conn.execute(
        "SELECT max(broken_at)::date FROM payment_plans WHERE account_id = %s AND status = 'broken'", (account_id,)
    ).fetchone()
    return row[0] if row else None


def active_plans_with_due_installments(conn: Conn, *, before: date) -> list[PlanDue]:
    return fetch_typed(
        conn,
        PlanDue,
        "SELECT DISTINCT p.id, p.account_id FROM payment_plans p"
        " JOIN payment_plan_installments i ON i.plan_id = p.id"
        " WHERE p.status = 'active' AND i.due_date < %s AND i.paid_amount < i.amount",
        (before,),
    )


def accounts_with_overdue(conn: Conn, *, today: date, limit: int) -> list[int]:
    rows = conn.execute(
        "SELECT DISTINCT account_id FROM invoice_balances WHERE status = 'issued'"
        " AND open_amount > 0 AND due_date < %s ORDER BY account_id LIMIT %s",
        (today, limit),
    ).fetchall()
    return [int(r[0]) for r in rows]
