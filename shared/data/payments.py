"""SQL of the payments capability: webhook inbox, payments, allocations, reversals, ledger movements.

Every function runs in the caller's tenant transaction (row-level security scopes it). Natural keys make the
writes idempotent: a duplicate returns None instead of raising. Rows cross into the application as the typed
records below (or domain types, e.g. `StandingAllocation`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.data.records import platform as platform_queries
from shared.data.sql import Conn, fetch_typed, fetch_typed_one
from shared.domain.payments.model import StandingAllocation

_ACCOUNT_KEYS = {"account_number", "payment_reference", "clabe"}


class InboxRow(NamedTuple):
    """A stored webhook delivery."""

    id: int
    tenant_id: UUID
    provider: str
    event_id: str
    event_type: str
    payload: Any
    status: str
    error: str | None


class StaleInbox(NamedTuple):
    """A pending inbox row claimed for a re-send (the queue message's fields)."""

    id: int
    tenant_id: UUID
    provider: str
    event_id: str


class LockedAccount(NamedTuple):
    """An account row locked for the transaction, with its holder's vulnerability flag."""

    id: int
    account_number: str
    tariff_class: str
    household_size: int
    toma_id: int
    status: str
    vulnerable: bool


class AmountMatch(NamedTuple):
    """An account whose open, unplanned invoices add up to a payment's amount."""

    account_id: int
    open_amount: Decimal
    last_due_date: date | None


class StoredPayment(NamedTuple):
    """A payment as the apply path and the reconciliation read it (its status and account decide what is left)."""

    id: int
    provider: str
    provider_payment_id: str
    status: str
    account_id: int | None
    amount: Decimal
    paid_at: datetime
    channel: str
    currency: str


class UnmatchedPayment(NamedTuple):
    """A payment in suspense (the operator's work queue), in the order the API and CLI show the fields."""

    id: int
    provider: str
    provider_payment_id: str
    channel: str
    amount: Decimal
    paid_at: datetime
    reference: str | None
    suspense_reason: str | None
    created_at: datetime


class OpenInvoiceRow(NamedTuple):
    """An issued invoice with an open amount (`plan_id` set when a plan refinances it)."""

    invoice_id: int
    period: date
    due_date: date | None
    open_amount: Decimal
    plan_id: int | None


class InstallmentRow(NamedTuple):
    id: int
    seq: int
    due_date: date
    amount: Decimal
    paid_amount: Decimal


class PendingReversal(NamedTuple):
    id: int
    kind: str
    requested_amount: Decimal | None
    occurred_at: datetime


def advisory_lock(conn: Conn, *, key: str) -> None:
    """Serialise transactions on one business key (released at commit/rollback)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))


# ---- webhook inbox ------------------------------------------------------------------------------------------------

_INBOX = "SELECT id, tenant_id, provider, event_id, event_type, payload, status, error FROM webhook_inbox"


def insert_inbox(
    conn: Conn,
    *,
    tenant_id: Any,
    provider: str,
    event_id: str,
    event_type: str,
    payload: Any,
    status: str = "pending",
    error: str | None = None,
    correlation_id: str | None = None,
) -> int | None:
    """The new inbox row id, or None when (provider, event_id) was already stored."""
    row = conn.execute(
        "INSERT INTO webhook_inbox (tenant_id, provider, event_id, event_type, payload, status, error, correlation_id,"
        " enqueued_at, processed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now(),"
        " CASE WHEN %s = 'pending' THEN NULL ELSE now() END)"
        " ON CONFLICT (provider, event_id) DO NOTHING RETURNING id",
        (str(tenant_id), provider, event_id, event_type, Jsonb(payload), status, error, correlation_id, status),
    ).fetchone()
    return int(row[0]) if row else None


def lock_inbox(conn: Conn, *, inbox_id: int) -> InboxRow | None:
    return fetch_typed_one(conn, InboxRow, _INBOX + " WHERE id = %s FOR UPDATE", (inbox_id,))


def inbox_by_event(conn: Conn, *, provider: str, event_id: str) -> InboxRow | None:
    return fetch_typed_one(conn, InboxRow, _INBOX + " WHERE provider = %s AND event_id = %s", (provider, event_id))


def finish_inbox(conn: Conn, *, inbox_id: int, status: str, error: str | None = None) -> None:
    conn.execute(
        "UPDATE webhook_inbox SET status = %s, error = %s, processed_at = now() WHERE id = %s",
        (status, error, inbox_id),
    )


def record_inbox_attempt_failure(conn: Conn, *, inbox_id: int, error: str) -> None:
    conn.execute(
        "UPDATE webhook_inbox SET attempts = attempts + 1, error = %s WHERE id = %s AND status = 'pending'",
        (error[:2000], inbox_id),
    )


def reset_inbox(conn: Conn, *, inbox_id: int) -> None:
    conn.execute(
        "UPDATE webhook_inbox SET status = 'pending', processed_at = NULL, enqueued_at = now()"
        " WHERE id = %s AND status = 'failed'",
        (inbox_id,),
    )


def claim_stale_inbox(conn: Conn, *, older_than_seconds: float, limit: int) -> list[StaleInbox]:
    return fetch_typed(
        conn,
        StaleInbox,
        "SELECT * FROM claim_stale_webhook_inbox(make_interval(secs => %s), %s)",
        (older_than_seconds, limit),
    )


def inbox_received_since(conn: Conn, *, provider: str, since: datetime) -> list[InboxRow]:
    """Inbox rows received at or after `since` (late deliveries and re-fetched events included)."""
    return fetch_typed(
        conn, InboxRow, _INBOX + " WHERE provider = %s AND received_at >= %s ORDER BY id", (provider, since)
    )


# ---- accounts -----------------------------------------------------------------------------------------------------


def find_account(conn: Conn, *, column: str, value: str) -> int | None:
    if column not in _ACCOUNT_KEYS:
        raise ValueError(f"not an account key: {column}")
    row = conn.execute(f"SELECT id FROM accounts WHERE {column} = %s", (value,)).fetchone()
    return int(row[0]) if row else None


def lock_account(conn: Conn, *, account_id: int) -> LockedAccount | None:
    """The account row, locked for the rest of the transaction, with the holder's vulnerability flag.

    NO KEY UPDATE, not UPDATE: it still serialises payment application per account, but does not conflict with the
    KEY SHARE lock a concurrent payment insert takes on the account through its foreign key (FOR UPDATE deadlocked
    two payments to one account: each held KEY SHARE and waited for the other's row lock)."""
    return fetch_typed_one(
        conn,
        LockedAccount,
        "SELECT a.id, a.account_number, a.tariff_class, a.household_size, a.toma_id, a.status,"
        " p.vulnerable FROM accounts a JOIN persons p ON p.id = a.person_id"
        " WHERE a.id = %s FOR NO KEY UPDATE OF a",
        (account_id,),
    )


def amount_candidates(conn: Conn, *, amount: Decimal, limit: int = 5) -> list[AmountMatch]:
    """Accounts whose open, unplanned issued invoices add up to exactly `amount` (suspense heuristic)."""
    return fetch_typed(
        conn,
        AmountMatch,
        "SELECT account_id, sum(open_amount) AS open_amount, max(due_date) AS last_due_date"
        " FROM invoice_balances WHERE status = 'issued' AND open_amount > 0 AND plan_id IS NULL"
        " AND account_id IN (SELECT account_id FROM invoices WHERE status = 'issued' AND total <= %s"
        "                    AND total > 0)"
        " GROUP BY account_id HAVING sum(open_amount) = %s LIMIT %s",
        (amount, amount, limit),
    )


# ---- payments -----------------------------------------------------------------------------------------------------

_PAYMENT = (
    "SELECT id, provider, provider_payment_id, status, account_id, amount, paid_at, channel, currency FROM payments"
)


def insert_payment(
    conn: Conn,
    *,
    tenant_id: Any,
    provider: str,
    provider_payment_id: str,
    channel: str,
    amount: Decimal,
    currency: str,
    paid_at: datetime,
    reference: str | None,
    account_id: int | None,
    status: str,
    source_event_id: int,
    match_method: str | None,
    suspense_reason: str | None,
) -> int | None:
    row = conn.execute(
        "INSERT INTO payments (tenant_id, provider, provider_payment_id, channel, amount, currency, paid_at, reference,"
        " account_id, status, source_event_id, match_method, suspense_reason)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (tenant_id, provider, provider_payment_id) DO NOTHING RETURNING id",
        (
            str(tenant_id),
            provider,
            provider_payment_id,
            channel,
            amount,
            currency,
            paid_at,
            reference,
            account_id,
            status,
            source_event_id,
            match_method,
            suspense_reason,
        ),
    ).fetchone()
    return int(row[0]) if row else None


def get_payment(
    conn: Conn, *, provider: str, provider_payment_id: str, for_update: bool = False
) -> StoredPayment | None:
    return fetch_typed_one(
        conn,
        StoredPayment,
        _PAYMENT + " WHERE provider = %s AND provider_payment_id = %s" + (" FOR UPDATE" if for_update else ""),
        (provider, provider_payment_id),
    )


def get_payment_by_id(conn: Conn, *, payment_id: int, for_update: bool = False) -> StoredPayment | None:
    return fetch_typed_one(
        conn, StoredPayment, _PAYMENT + " WHERE id = %s" + (" FOR UPDATE" if for_update else ""), (payment_id,)
    )


def update_payment(conn: Conn, *, payment_id: int, **fields: Any) -> None:
    allowed = {"status", "account_id", "match_method", "suspense_reason", "resolved_by", "resolved_at"}
    if not fields or set(fields) - allowed:
        raise ValueError(f"cannot update payment fields {sorted(set(fields) - allowed)}")
    assignments = ", ".join(f"{k} = %s" for k in fields)
    conn.execute(f"UPDATE payments SET {assignments} WHERE id = %s", (*fields.values(), payment_id))


def unmatched_payments(conn: Conn, *, limit: int = 100) -> list[UnmatchedPayment]:
    return fetch_typed(
        conn,
        UnmatchedPayment,
        "SELECT id, provider, provider_payment_id, channel, amount, paid_at, reference,"
        " suspense_reason, created_at FROM payments WHERE status = 'unmatched'"
        " ORDER BY paid_at, id LIMIT %s",
        (limit,),
    )


def payments_between(conn: Conn, *, provider: str, since: datetime, until: datetime) -> list[StoredPayment]:
    return fetch_typed(
        conn,
        StoredPayment,
        _PAYMENT + " WHERE provider = %s AND paid_at >= %s AND paid_at < %s",
        (provider, since, until),
    )


# ---- open items ---------------------------------------------------------------------------------------------------


def open_invoices(conn: Conn, *, account_id: int) -> list[OpenInvoiceRow]:
    """Issued invoices of the account with an open amount, oldest first (plan_id set when a plan refinances it)."""
    return fetch_typed(
        conn,
        OpenInvoiceRow,
        "SELECT invoice_id, period, due_date, open_amount, plan_id FROM invoice_balances"
        " WHERE account_id = %s AND status = 'issued' AND open_amount > 0 ORDER BY period, invoice_id",
        (account_id,),
    )


def active_plan_id(conn: Conn, *, account_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM payment_plans WHERE account_id = %s AND status = 'active'", (account_id,)
    ).fetchone()
    return int(row[0]) if row else None


def plan_installments(conn: Conn, *, plan_id: int) -> list[InstallmentRow]:
    return fetch_typed(
        conn,
        InstallmentRow,
        "SELECT id, seq, due_date, amount, paid_amount FROM payment_plan_installments WHERE plan_id = %s ORDER BY seq",
        (plan_id,),
    )


def add_installment_paid(conn: Conn, *, installment_id: int, delta: Decimal) -> None:
    conn.execute(
        "UPDATE payment_plan_installments SET paid_amount = paid_amount + %s WHERE id = %s", (delta, installment_id)
    )


# ---- allocations, reversals, movements ----------------------------------------------------------------------------


def insert_allocation(
    conn: Conn,
    *,
    tenant_id: Any,
    payment_id: int,
    target: str,
    amount: Decimal,
    invoice_id: int | None = None,
    installment_id: int | None = None,
    reversal_of: int | None = None,
    reversal_id: int | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO payment_allocations (tenant_id, payment_id, target, invoice_id, installment_id, amount,"
        " reversal_of, reversal_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (str(tenant_id), payment_id, target, invoice_id, installment_id, amount, reversal_of, reversal_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


_STANDING = """
SELECT a.id AS allocation_id, a.payment_id, a.target, a.invoice_id, a.installment_id,
       a.amount + coalesce((SELECT sum(r.amount) FROM payment_allocations r WHERE r.reversal_of = a.id), 0) AS amount
FROM payment_allocations a
"""


def standing_allocations(conn: Conn, *, payment_id: int) -> list[StandingAllocation]:
    rows = fetch_typed(
        conn, StandingAllocation, _STANDING + " WHERE a.payment_id = %s AND a.amount > 0 ORDER BY a.id", (payment_id,)
    )
    return [r for r in rows if r.amount > 0]


def standing_credits(conn: Conn, *, account_id: int) -> list[StandingAllocation]:
    rows = fetch_typed(
        conn,
        StandingAllocation,
        _STANDING + " JOIN payments p ON p.id = a.payment_id"
        " WHERE p.account_id = %s AND a.target = 'credit' AND a.amount > 0 ORDER BY a.id",
        (account_id,),
    )
    return [r for r in rows if r.amount > 0]


def insert_reversal(
    conn: Conn,
    *,
    tenant_id: Any,
    provider: str,
    provider_payment_id: str,
    provider_reversal_id: str,
    kind: str,
    requested_amount: Decimal | None,
    source_event_id: int,
    occurred_at: datetime,
) -> int | None:
    row = conn.execute(
        "INSERT INTO payment_reversals (tenant_id, provider, provider_payment_id, provider_reversal_id, kind,"
        " requested_amount, source_event_id, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (tenant_id, provider, provider_reversal_id) DO NOTHING RETURNING id",
        (
            str(tenant_id),
            provider,
            provider_payment_id,
            provider_reversal_id,
            kind,
            requested_amount,
            source_event_id,
            occurred_at,
        ),
    ).fetchone()
    return int(row[0]) if row else None


def pending_reversals(conn: Conn, *, provider: str, provider_payment_id: str) -> list[PendingReversal]:
    return fetch_typed(
        conn,
        PendingReversal,
        "SELECT id, kind, requested_amount, occurred_at FROM payment_reversals WHERE provider = %s"
        " AND provider_payment_id = %s AND status = 'pending' ORDER BY occurred_at, id FOR UPDATE",
        (provider, provider_payment_id),
    )


def mark_reversal_applied(conn: Conn, *, reversal_id: int, payment_id: int, applied_amount: Decimal) -> None:
    conn.execute(
        "UPDATE payment_reversals SET status = 'applied', payment_id = %s, applied_amount = %s,"
        " applied_at = now() WHERE id = %s",
        (payment_id, applied_amount, reversal_id),
    )


def reversed_total(conn: Conn, *, payment_id: int) -> Decimal:
    row = conn.execute(
        "SELECT coalesce(sum(applied_amount), 0) FROM payment_reversals WHERE payment_id = %s AND status = 'applied'",
        (payment_id,),
    ).fetchone()
    return Decimal(row[0]) if row else Decimal(0)


def account_balance(conn: Conn, *, account_id: int) -> Decimal:
    row = conn.execute(
        "SELECT coalesce(sum(amount), 0) FROM account_movements WHERE account_id = %s", (account_id,)
    ).fetchone()
    return Decimal(row[0]) if row else Decimal(0)


# ---- tenant config ------------------------------------------------------------------------------------------------

tenant_config = platform_queries.tenant_config  # one reader of tenants.config for every capability
