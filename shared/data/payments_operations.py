"""SQL of the operator's payments work: poison messages and their replay, the daily reconciliation rows, and the
reads the payments demo shows (accounts with open debt, inbox rows still pending)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_typed


class PoisonMessage(NamedTuple):
    id: int
    inbox_id: int
    reason: str
    poisoned_at: datetime
    replayed_at: datetime | None
    replay_result: str | None


class Reconciliation(NamedTuple):
    """One day's figures for a provider and channel, in the column order of `payment_reconciliations`."""

    day: date
    provider: str
    channel: str
    expected_count: int
    expected_amount: Decimal
    applied_count: int
    applied_amount: Decimal
    unmatched_count: int
    unmatched_amount: Decimal
    missing: list[str]


class AccountOpenDebt(NamedTuple):
    """An account with issued, open invoices and their sum."""

    id: int
    account_number: str
    payment_reference: str | None
    clabe: str | None
    open_amount: Decimal


# ---- poison messages ----------------------------------------------------------------------------------------------


def upsert_poison(conn: Conn, *, tenant_id: Any, inbox_id: int, message: Any, reason: str) -> None:
    """Keep (or refresh) a poisoned message; a new poisoning clears an earlier replay."""
    conn.execute(
        "INSERT INTO payment_poison (tenant_id, inbox_id, message, reason) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (tenant_id, inbox_id) DO UPDATE SET reason = EXCLUDED.reason, poisoned_at = now(),"
        " replayed_at = NULL, replay_result = NULL",
        (str(tenant_id), inbox_id, Jsonb(message), reason),
    )


def poison_messages(conn: Conn) -> list[PoisonMessage]:
    return fetch_typed(
        conn,
        PoisonMessage,
        "SELECT id, inbox_id, reason, poisoned_at, replayed_at, replay_result FROM payment_poison ORDER BY id",
    )


def unreplayed_poison(conn: Conn, *, inbox_id: int | None = None) -> list[int]:
    """Inbox ids of poisoned messages not replayed yet (all, or the one named), oldest first."""
    sql = "SELECT inbox_id FROM payment_poison WHERE replayed_at IS NULL"
    rows = conn.execute(
        sql + (" AND inbox_id = %s" if inbox_id else "") + " ORDER BY id", (inbox_id,) if inbox_id else None
    ).fetchall()
    return [int(r[0]) for r in rows]


def mark_poison_replayed(conn: Conn, *, inbox_id: int, at: datetime, result: str) -> None:
    conn.execute(
        "UPDATE payment_poison SET replayed_at = %s, replay_result = %s WHERE inbox_id = %s",
        (at, result[:2000], inbox_id),
    )


# ---- reconciliation -----------------------------------------------------------------------------------------------


def upsert_reconciliation(conn: Conn, *, tenant_id: Any, figures: Reconciliation) -> None:
    conn.execute(
        "INSERT INTO payment_reconciliations (tenant_id, day, provider, channel, expected_count,"
        " expected_amount, applied_count, applied_amount, unmatched_count, unmatched_amount, missing)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (tenant_id, day, provider, channel) DO UPDATE SET"
        " expected_count = EXCLUDED.expected_count, expected_amount = EXCLUDED.expected_amount,"
        " applied_count = EXCLUDED.applied_count, applied_amount = EXCLUDED.applied_amount,"
        " unmatched_count = EXCLUDED.unmatched_count, unmatched_amount = EXCLUDED.unmatched_amount,"
        " missing = EXCLUDED.missing, computed_at = now()",
        (str(tenant_id), *figures[:-1], Jsonb(figures.missing)),
    )


# ---- demo reads ---------------------------------------------------------------------------------------------------


def accounts_with_open_debt(conn: Conn, *, limit: int) -> list[AccountOpenDebt]:
    return fetch_typed(
        conn,
        AccountOpenDebt,
        "SELECT a.id, a.account_number, a.payment_reference, a.clabe, sum(b.open_amount) AS open_amount"
        " FROM accounts a"
        " JOIN invoice_balances b ON b.account_id = a.id AND b.status = 'issued' AND b.open_amount > 0"
        " GROUP BY a.id ORDER BY a.id LIMIT %s",
        (limit,),
    )


def pending_inbox_count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM webhook_inbox WHERE status = 'pending'").fetchone()
    return int(row[0]) if row else 0
