"""Accounts (contracts), balance and statement from the ledger, payments, payment plans and readings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from shared.data.sql import Conn, Row, Where, fetch_all, fetch_one, fetch_typed_one, page_where

_SCOPE = "a.person_id = %(scope)s"


def list_accounts(
    conn: Conn,
    *,
    person_scope: int | None,
    person_id: int | None,
    toma_id: int | None,
    status: str | None,
    account_number: str | None,
    payment_reference: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    w = Where().when(person_scope, _SCOPE, "scope").when(person_id, "a.person_id = %(person)s", "person")
    w.when(toma_id, "a.toma_id = %(toma)s", "toma").when(status, "a.status = %(status)s", "status")
    w.when(account_number, "a.account_number = %(number)s", "number")
    w.when(payment_reference, "a.payment_reference = %(ref)s", "ref")
    page_where(w, after=after, column="a.id")
    return fetch_all(
        conn,
        f"SELECT a.* FROM accounts a WHERE {w.sql()} ORDER BY a.id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_account(conn: Conn, *, account_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("a.id = %(id)s", id=account_id).when(person_scope, _SCOPE, "scope")
    return fetch_one(conn, f"SELECT a.* FROM accounts a WHERE {w.sql()}", w.params)


def next_account_id(conn: Conn) -> int:
    """Reserve the next account id (the account number, reference and CLABE derive from it)."""
    row = fetch_one(conn, "SELECT nextval(pg_get_serial_sequence('accounts', 'id')) AS id")
    assert row is not None
    return int(row["id"])


def insert_account(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO accounts (id, tenant_id, account_number, person_id, toma_id, tariff_class, household_size,
                              opened_on, payment_reference, clabe)
        VALUES (%(id)s, %(tenant_id)s, %(account_number)s, %(person_id)s, %(toma_id)s, %(tariff_class)s,
                %(household_size)s, %(opened_on)s, %(payment_reference)s, %(clabe)s)
        RETURNING *""",
        {"tenant_id": tenant_id, **data},
    )
    assert row is not None
    return row


def balance(conn: Conn, *, account_id: int, person_scope: int | None) -> Row | None:
    """Balance (sum of the ledger), last movement, last issued invoice and last payment; None if not visible."""
    w = Where().add("a.id = %(id)s", id=account_id).when(person_scope, _SCOPE, "scope")
    return fetch_one(
        conn,
        f"""
        SELECT a.id AS account_id, a.account_number, a.status,
               coalesce(m.balance, 0) AS balance, m.last_movement_at,
               inv.id AS last_invoice_id, inv.period AS last_invoice_period, inv.total AS last_invoice_total,
               inv.due_date AS last_invoice_due_date,
               pay.amount AS last_payment_amount, pay.paid_at AS last_payment_at
        FROM accounts a
        LEFT JOIN LATERAL (SELECT sum(amount) AS balance, max(occurred_at) AS last_movement_at
                           FROM account_movements WHERE account_id = a.id) m ON TRUE
        LEFT JOIN LATERAL (SELECT id, period, total, due_date FROM invoices
                           WHERE account_id = a.id AND status = 'issued' ORDER BY period DESC LIMIT 1) inv ON TRUE
        LEFT JOIN LATERAL (SELECT amount, paid_at FROM payments
                           WHERE account_id = a.id AND status = 'applied' ORDER BY paid_at DESC LIMIT 1) pay ON TRUE
        WHERE {w.sql()}""",
        w.params,
    )


def opening_balance(conn: Conn, *, account_id: int, before: datetime) -> Decimal:
    row = fetch_one(
        conn,
        "SELECT coalesce(sum(amount), 0) AS b FROM account_movements "
        "WHERE account_id = %(id)s AND occurred_at < %(before)s",
        {"id": account_id, "before": before},
    )
    return Decimal(row["b"]) if row else Decimal(0)


def movements(conn: Conn, *, account_id: int, start: datetime, end: datetime, limit: int) -> list[Row]:
    return fetch_all(
        conn,
        """
        SELECT id, kind, amount, source_type, source_id, occurred_at FROM account_movements
        WHERE account_id = %(id)s AND occurred_at >= %(start)s AND occurred_at < %(end)s
        ORDER BY occurred_at, id LIMIT %(limit)s""",
        {"id": account_id, "start": start, "end": end, "limit": limit},
    )


def list_payments(conn: Conn, *, account_id: int, after: int | None, limit: int) -> list[Row]:
    w = Where().add("account_id = %(id)s", id=account_id)
    page_where(w, after=after)
    return fetch_all(
        conn,
        f"""
        SELECT id, provider, channel, amount, currency, paid_at, reference, status FROM payments
        WHERE {w.sql()} ORDER BY id DESC LIMIT %(limit)s""",
        {**w.params, "limit": limit},
    )


def list_payment_plans(conn: Conn, *, account_id: int) -> list[Row]:
    return fetch_all(
        conn,
        """
        SELECT p.*, coalesce((SELECT json_agg(json_build_object(
                   'seq', i.seq, 'due_date', i.due_date, 'amount', i.amount, 'paid_amount', i.paid_amount)
                   ORDER BY i.seq) FROM payment_plan_installments i WHERE i.plan_id = p.id), '[]') AS installments
        FROM payment_plans p WHERE p.account_id = %(id)s ORDER BY p.id DESC""",
        {"id": account_id},
    )


def list_readings(conn: Conn, *, account_id: int, after: int | None, limit: int) -> list[Row]:
    w = Where().add("account_id = %(id)s", id=account_id)
    page_where(w, after=after)
    return fetch_all(
        conn,
        f"""
        SELECT id, meter_id, account_id, read_at, value, source, status, exception_codes, received_at
        FROM meter_readings WHERE {w.sql()} ORDER BY id DESC LIMIT %(limit)s""",
        {**w.params, "limit": limit},
    )


class InstalledMeter(NamedTuple):
    id: int
    dials: int


def meter_at(conn: Conn, *, toma_id: int, at: datetime) -> InstalledMeter | None:
    """The meter installed at the toma at instant `at` ([installed_at, removed_at))."""
    return fetch_typed_one(
        conn,
        InstalledMeter,
        """
        SELECT m.id, m.dials FROM meter_installations mi JOIN meters m ON m.id = mi.meter_id
        WHERE mi.toma_id = %(toma)s AND mi.installed_at <= %(at)s AND (mi.removed_at IS NULL OR mi.removed_at > %(at)s)
        ORDER BY mi.installed_at DESC LIMIT 1""",
        {"toma": toma_id, "at": at},
    )


_READING_COLUMNS = "id, meter_id, account_id, read_at, value, source, status, exception_codes, received_at"


def insert_reading(
    conn: Conn,
    *,
    tenant_id: Any,
    meter_id: int,
    account_id: int,
    read_at: datetime,
    value: Decimal,
    source: str,
    source_id: str,
    photo_blob: str | None,
) -> tuple[Row, bool]:
    """Insert a read; on the natural key (meter, read_at, source, source_id) returns the stored one. (row, created)."""
    params = {
        "tenant_id": tenant_id,
        "meter": meter_id,
        "account": account_id,
        "read_at": read_at,
        "value": value,
        "source": source,
        "source_id": source_id,
        "photo": photo_blob,
    }
    row = fetch_one(
        conn,
        f"""
        INSERT INTO meter_readings (tenant_id, meter_id, account_id, read_at, value, source, source_id, photo_blob)
        VALUES (%(tenant_id)s, %(meter)s, %(account)s, %(read_at)s, %(value)s, %(source)s, %(source_id)s, %(photo)s)
        ON CONFLICT (meter_id, read_at, source, source_id) DO NOTHING RETURNING {_READING_COLUMNS}""",
        params,
    )
    if row is not None:
        return row, True
    existing = fetch_one(
        conn,
        f"""
        SELECT {_READING_COLUMNS} FROM meter_readings WHERE meter_id = %(meter)s AND read_at = %(read_at)s
        AND source = %(source)s AND source_id = %(source_id)s""",
        params,
    )
    assert existing is not None
    return existing, False
