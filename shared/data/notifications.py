"""SQL of the customer notices: who an account's notice goes to, what the notice is about, and the record of each
decision (sent, or skipped with the reason) keyed by the notice's natural key."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from shared.data.sql import Conn, fetch_typed_one


class Recipient(NamedTuple):
    """The account holder a notice goes to, and whether they opted out of the notice's purpose."""

    account_id: int
    account_number: str
    payment_reference: str
    person_id: int
    phone: str | None
    opted_out: bool


class InvoiceNotice(NamedTuple):
    account_id: int
    period: date
    total: Decimal
    due_date: date | None


class PaymentNotice(NamedTuple):
    account_id: int | None
    amount: Decimal


def is_recorded(conn: Conn, *, key: str) -> bool:
    return conn.execute("SELECT 1 FROM notifications WHERE natural_key = %s", (key,)).fetchone() is not None


def recipient(conn: Conn, *, account_id: int, purpose: str) -> Recipient | None:
    return fetch_typed_one(
        conn,
        Recipient,
        """
        SELECT a.id AS account_id, a.account_number, a.payment_reference, p.id AS person_id, p.phone,
               EXISTS (SELECT 1 FROM purpose_opt_outs o WHERE o.person_id = p.id AND o.purpose = %s) AS opted_out
        FROM accounts a JOIN persons p ON p.id = a.person_id WHERE a.id = %s""",
        (purpose, account_id),
    )


def invoice_notice(conn: Conn, *, invoice_id: int) -> InvoiceNotice | None:
    return fetch_typed_one(
        conn, InvoiceNotice, "SELECT account_id, period, total, due_date FROM invoices WHERE id = %s", (invoice_id,)
    )


def payment_notice(conn: Conn, *, payment_id: int) -> PaymentNotice | None:
    return fetch_typed_one(conn, PaymentNotice, "SELECT account_id, amount FROM payments WHERE id = %s", (payment_id,))


def record(
    conn: Conn,
    *,
    key: str,
    channel: str,
    person_id: int,
    account_id: int,
    to_phone: str | None,
    body: str,
    status: str,
    skip_reason: str | None,
    provider_message_id: str | None,
    at: datetime,
) -> None:
    """Record one decision in the caller's tenant; a second record for the same key is ignored."""
    conn.execute(
        """INSERT INTO notifications (tenant_id, natural_key, channel, person_id, account_id, to_phone, body, status,
                                      skip_reason, provider_message_id, created_at)
           VALUES (app_current_tenant(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (tenant_id, natural_key) DO NOTHING""",
        (key, channel, person_id, account_id, to_phone, body, status, skip_reason, provider_message_id, at),
    )
