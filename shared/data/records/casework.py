"""Work orders, contacts and fraud cases (with back-billing postings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.data import ledger
from shared.data.sql import Conn, Row, Where, fetch_all, fetch_one, page_where, update_sql

_WO_SCOPE = (
    "(EXISTS (SELECT 1 FROM accounts a WHERE a.id = w.account_id AND a.person_id = %(scope)s) OR "
    "(w.account_id IS NULL AND EXISTS (SELECT 1 FROM accounts a WHERE a.toma_id = w.toma_id "
    "AND a.person_id = %(scope)s)))"
)
_CONTACT_SCOPE = (
    "(c.person_id = %(scope)s OR EXISTS (SELECT 1 FROM accounts a WHERE a.id = c.account_id "
    "AND a.person_id = %(scope)s))"
)


def list_work_orders(
    conn: Conn,
    *,
    person_scope: int | None,
    status: str | None,
    kind: str | None,
    account_id: int | None,
    toma_id: int | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    w = Where().when(person_scope, _WO_SCOPE, "scope").when(status, "w.status = %(status)s", "status")
    w.when(kind, "w.kind = %(kind)s", "kind").when(account_id, "w.account_id = %(account)s", "account")
    w.when(toma_id, "w.toma_id = %(toma)s", "toma")
    page_where(w, after=after, column="w.id")
    return fetch_all(
        conn,
        f"SELECT w.* FROM work_orders w WHERE {w.sql()} ORDER BY w.id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_work_order(conn: Conn, *, work_order_id: int, person_scope: int | None, lock: bool = False) -> Row | None:
    w = Where().add("w.id = %(id)s", id=work_order_id).when(person_scope, _WO_SCOPE, "scope")
    return fetch_one(conn, f"SELECT w.* FROM work_orders w WHERE {w.sql()}{' FOR UPDATE' if lock else ''}", w.params)


def insert_work_order(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> tuple[Row, bool]:
    """Insert by natural key; an existing order with the same key is returned instead. (row, created)."""
    row = fetch_one(
        conn,
        """
        INSERT INTO work_orders (tenant_id, kind, priority, account_id, toma_id, reason, natural_key, created_at,
                                 due_at)
        VALUES (%(tenant_id)s, %(kind)s, %(priority)s, %(account_id)s, %(toma_id)s, %(reason)s, %(natural_key)s,
                %(created_at)s, %(due_at)s)
        ON CONFLICT (tenant_id, natural_key) DO NOTHING RETURNING *""",
        {"tenant_id": tenant_id, **data},
    )
    if row is not None:
        return row, True
    existing = fetch_one(conn, "SELECT * FROM work_orders WHERE natural_key = %(k)s", {"k": data["natural_key"]})
    assert existing is not None
    return existing, False


_WO_UPDATABLE = frozenset({"status", "assigned_to", "started_at", "completed_at"})


def update_work_order(conn: Conn, *, work_order_id: int, changes: dict[str, Any]) -> Row:
    row = fetch_one(conn, update_sql("work_orders", changes, _WO_UPDATABLE), {**changes, "id": work_order_id})
    assert row is not None
    return row


def list_contacts(
    conn: Conn,
    *,
    person_scope: int | None,
    person_id: int | None,
    account_id: int | None,
    toma_id: int | None,
    channel: str | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    w = Where().when(person_scope, _CONTACT_SCOPE, "scope").when(person_id, "c.person_id = %(person)s", "person")
    w.when(account_id, "c.account_id = %(account)s", "account").when(toma_id, "c.toma_id = %(toma)s", "toma")
    w.when(channel, "c.channel = %(channel)s", "channel")
    page_where(w, after=after, column="c.id")
    return fetch_all(
        conn,
        f"SELECT c.* FROM contacts c WHERE {w.sql()} ORDER BY c.id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_contact(conn: Conn, *, contact_id: int, person_scope: int | None) -> Row | None:
    w = Where().add("c.id = %(id)s", id=contact_id).when(person_scope, _CONTACT_SCOPE, "scope")
    return fetch_one(conn, f"SELECT c.* FROM contacts c WHERE {w.sql()}", w.params)


def insert_contact(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO contacts (tenant_id, person_id, account_id, toma_id, channel, direction, subject, body,
                              created_by)
        VALUES (%(tenant_id)s, %(person_id)s, %(account_id)s, %(toma_id)s, %(channel)s, %(direction)s, %(subject)s,
                %(body)s, %(created_by)s) RETURNING *""",
        {"tenant_id": tenant_id, **data},
    )
    assert row is not None
    return row


def list_fraud_cases(
    conn: Conn, *, status: str | None, source: str | None, account_id: int | None, after: int | None, limit: int
) -> list[Row]:
    w = Where().when(status, "status = %(status)s", "status").when(source, "source = %(source)s", "source")
    w.when(account_id, "account_id = %(account)s", "account")
    page_where(w, after=after)
    return fetch_all(
        conn,
        f"SELECT * FROM fraud_cases WHERE {w.sql()} ORDER BY id DESC LIMIT %(limit)s",
        {**w.params, "limit": limit},
    )


def get_fraud_case(conn: Conn, *, case_id: int, lock: bool = False) -> Row | None:
    return fetch_one(
        conn, f"SELECT * FROM fraud_cases WHERE id = %(id)s{' FOR UPDATE' if lock else ''}", {"id": case_id}
    )


def insert_fraud_case(conn: Conn, *, tenant_id: Any, data: dict[str, Any]) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO fraud_cases (tenant_id, account_id, toma_id, source, description)
        VALUES (%(tenant_id)s, %(account_id)s, %(toma_id)s, %(source)s, %(description)s) RETURNING *""",
        {"tenant_id": tenant_id, **data},
    )
    assert row is not None
    return row


_FRAUD_UPDATABLE = frozenset({"status", "outcome", "back_billing_amount", "closed_at"})


def update_fraud_case(conn: Conn, *, case_id: int, changes: dict[str, Any]) -> Row:
    row = fetch_one(conn, update_sql("fraud_cases", changes, _FRAUD_UPDATABLE), {**changes, "id": case_id})
    assert row is not None
    return row


def post_back_billing(
    conn: Conn, *, tenant_id: Any, case_id: int, account_id: int, amount: Decimal, by: str, at: datetime
) -> None:
    """An adjustment and its ledger movement, both keyed by the case (a retry posts nothing twice)."""
    ledger.post_adjustment(
        conn,
        tenant_id=tenant_id,
        account_id=account_id,
        amount=amount,
        reason=f"Refacturación caso de fraude {case_id}",
        key=f"fraud-back-billing:{case_id}",
        by=by,
        at=at,
    )
