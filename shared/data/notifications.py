"""SQL of customer notices: request rows (queued with a natural key), the worker's claim, deferral, outcome and
provider statuses, the per-tenant rate counter, what the notices are about, and the reminders' selections."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_typed, fetch_typed_one

__all__ = [
    "BillFacts",
    "Claimed",
    "DueInstallment",
    "DueInvoice",
    "InvoiceNotice",
    "NewNotice",
    "Outcome",
    "PaymentNotice",
    "WorkOrderNotice",
    "bill_facts",
    "claim",
    "count_sends",
    "defer",
    "due_installments",
    "due_invoices",
    "finish",
    "insert_requests",
    "invoice_notice",
    "keys_to_release",
    "last_cut_kind",
    "last_inbound",
    "payment_notice",
    "record_status",
    "uncount_sends",
    "work_order_notice",
]


class NewNotice(NamedTuple):
    key: str
    kind: str
    purpose: str
    account_id: int
    params: dict[str, str]
    created_at: datetime


class Claimed(NamedTuple):
    """A claimed request with what deciding it needs: the recipient and whether they opted out of its purpose."""

    id: int
    natural_key: str
    kind: str
    purpose: str
    params: dict[str, Any]
    attempts: int
    account_id: int | None
    account_number: str | None
    payment_reference: str | None
    person_id: int | None
    phone: str | None
    opted_out: bool


class Outcome(NamedTuple):
    id: int
    status: str  # sent | skipped | failed | queued (retry later)
    skip_reason: str | None = None
    failure_reason: str | None = None
    to_phone: str | None = None
    body: str | None = None
    template: str | None = None
    provider_message_id: str | None = None
    send_after: datetime | None = None


def insert_requests(conn: Conn, *, notices: Sequence[NewNotice]) -> list[str]:
    """Queue requests in the caller's tenant; a key recorded before is left alone. Returns the keys inserted."""
    if not notices:
        return []
    rows = conn.execute(
        """INSERT INTO notifications (tenant_id, natural_key, channel, kind, purpose, account_id, params, status,
                                      created_at)
           SELECT app_current_tenant(), r.key, 'whatsapp', r.kind, r.purpose, r.account_id, r.params, 'queued', r.at
           FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::jsonb[], %s::timestamptz[])
                AS r(key, kind, purpose, account_id, params, at)
           ON CONFLICT (tenant_id, natural_key) DO NOTHING
           RETURNING natural_key""",
        (
            [n.key for n in notices],
            [n.kind for n in notices],
            [n.purpose for n in notices],
            [n.account_id for n in notices],
            [Jsonb(n.params) for n in notices],
            [n.created_at for n in notices],
        ),
    ).fetchall()
    return [str(r[0]) for r in rows]


def claim(conn: Conn, *, keys: Sequence[str], now: datetime, lease: timedelta) -> list[Claimed]:
    """Lock and mark 'sending' the requests of `keys` that are due: queued with no wait left, or 'sending' under
    an expired claim (a worker died). Rows another worker holds are skipped."""
    return fetch_typed(
        conn,
        Claimed,
        """
        WITH picked AS (
            SELECT id FROM notifications
            WHERE natural_key = ANY(%(keys)s)
              AND ((status = 'queued' AND (send_after IS NULL OR send_after <= %(now)s))
                   OR (status = 'sending' AND claimed_at < %(stale)s))
            ORDER BY id FOR UPDATE SKIP LOCKED),
        claimed AS (
            UPDATE notifications n SET status = 'sending', claimed_at = %(now)s, attempts = n.attempts + 1
            FROM picked WHERE n.id = picked.id
            RETURNING n.id, n.natural_key, n.kind, n.purpose, n.params, n.attempts, n.account_id)
        SELECT c.id, c.natural_key, c.kind, c.purpose, c.params, c.attempts, c.account_id, a.account_number,
               a.payment_reference, p.id AS person_id, p.phone,
               EXISTS (SELECT 1 FROM purpose_opt_outs o WHERE o.person_id = p.id AND o.purpose = c.purpose)
                   AS opted_out
        FROM claimed c LEFT JOIN accounts a ON a.id = c.account_id LEFT JOIN persons p ON p.id = a.person_id
        ORDER BY c.id""",
        {"keys": list(keys), "now": now, "stale": now - lease},
    )


def defer(conn: Conn, *, ids: Sequence[int], until: datetime) -> None:
    """Put claimed requests back in the queue until `until` (quiet hours, rate limit); the release job re-enqueues."""
    if ids:
        conn.execute(
            "UPDATE notifications SET status = 'queued', send_after = %s, attempts = attempts - 1 WHERE id = ANY(%s)",
            (until, list(ids)),
        )


def finish(conn: Conn, *, outcomes: Iterable[Outcome], at: datetime) -> None:
    """Record outcomes (one pipelined statement per row)."""
    with conn.cursor() as cur:
        cur.executemany(
            """UPDATE notifications SET status = %s, skip_reason = %s, failure_reason = %s,
                      to_phone = coalesce(%s, to_phone), body = coalesce(%s, body), template = coalesce(%s, template),
                      provider_message_id = coalesce(%s, provider_message_id), send_after = %s,
                      sent_at = CASE WHEN %s = 'sent' THEN %s ELSE sent_at END
               WHERE id = %s AND status = 'sending'""",
            [
                (
                    o.status,
                    o.skip_reason,
                    o.failure_reason,
                    o.to_phone,
                    o.body,
                    o.template,
                    o.provider_message_id,
                    o.send_after,
                    o.status,
                    at,
                    o.id,
                )
                for o in outcomes
            ],
        )


def count_sends(conn: Conn, *, minute: datetime, wanted: int) -> int:
    """Add `wanted` to the tenant's counter of `minute`; returns how many were counted before this call."""
    row = conn.execute(
        """INSERT INTO notification_rate (tenant_id, minute, sent) VALUES (app_current_tenant(), %s, %s)
           ON CONFLICT (tenant_id, minute) DO UPDATE SET sent = notification_rate.sent + excluded.sent
           RETURNING sent""",
        (minute, wanted),
    ).fetchone()
    assert row is not None
    return int(row[0]) - wanted


def uncount_sends(conn: Conn, *, minute: datetime, count: int) -> None:
    if count:
        conn.execute("UPDATE notification_rate SET sent = sent - %s WHERE minute = %s", (count, minute))


def keys_to_release(conn: Conn, *, now: datetime, lease: timedelta, limit: int, lost_after: timedelta) -> list[str]:
    """Requests to enqueue again, marked as re-enqueued now (claimed_at) so the next run skips them: queued with
    their wait over (quiet hours, rate limit, retry backoff), queued without a wait whose last message is older
    than `lost_after` (a lost queue message), and 'sending' under a claim older than `lease` (a dead worker)."""
    rows = conn.execute(
        """WITH due AS (
               SELECT id FROM notifications
               WHERE (status = 'queued' AND send_after IS NOT NULL AND send_after <= %(now)s)
                  OR (status = 'queued' AND send_after IS NULL AND coalesce(claimed_at, created_at) < %(lost)s)
                  OR (status = 'sending' AND claimed_at < %(stale)s)
               ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
           UPDATE notifications n SET status = 'queued', send_after = NULL, claimed_at = %(now)s
           FROM due WHERE n.id = due.id RETURNING n.natural_key""",
        {"now": now, "lost": now - lost_after, "stale": now - lease, "limit": limit},
    ).fetchall()
    conn.execute("DELETE FROM notification_rate WHERE minute < %s", (now - timedelta(hours=1),))
    return [str(r[0]) for r in rows]


def record_status(
    conn: Conn, *, provider_message_id: str, status: str, error: str | None, at: datetime, reference: str | None
) -> bool:
    """Store a provider status once (True when new) and advance the notification's delivery status (sent <
    delivered < read; failed wins). A status for a send whose outcome was lost (worker killed after the provider
    accepted it) completes the row through `reference` (the notification key sent as biz_opaque_callback_data)."""
    new = conn.execute(
        """INSERT INTO notification_statuses (tenant_id, provider_message_id, status, error, at)
           VALUES (app_current_tenant(), %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1""",
        (provider_message_id, status, error, at),
    ).fetchone()
    if new is None:
        return False
    if reference:
        conn.execute(
            """UPDATE notifications SET status = 'sent', provider_message_id = %s, sent_at = %s
               WHERE natural_key = %s AND status IN ('sending', 'queued') AND provider_message_id IS NULL""",
            (provider_message_id, at, reference),
        )
    conn.execute(
        """UPDATE notifications SET delivery_status = %s, delivery_error = coalesce(%s, delivery_error),
                  delivery_at = %s
           WHERE provider_message_id = %s
             AND (delivery_status IS NULL
                  OR array_position(ARRAY['sent', 'delivered', 'read', 'failed'], delivery_status)
                     < array_position(ARRAY['sent', 'delivered', 'read', 'failed'], %s))""",
        (status, error, at, provider_message_id, status),
    )
    return True


def last_inbound(conn: Conn, *, phones: Sequence[str]) -> dict[str, datetime]:
    """When each WhatsApp number last wrote to us (the 24-hour service window)."""
    if not phones:
        return {}
    rows = conn.execute(
        """SELECT external_id, last_inbound_at FROM conversations
           WHERE channel = 'whatsapp' AND external_id = ANY(%s) AND last_inbound_at IS NOT NULL""",
        (list(phones),),
    ).fetchall()
    return {str(r[0]): r[1] for r in rows}


# ------------------------------------------------------------------ what the notices are about


class InvoiceNotice(NamedTuple):
    account_id: int
    period: date
    total: Decimal
    due_date: date | None


class PaymentNotice(NamedTuple):
    account_id: int | None
    amount: Decimal


class WorkOrderNotice(NamedTuple):
    id: int
    kind: str
    account_id: int | None


class DueInvoice(NamedTuple):
    invoice_id: int
    account_id: int
    due_date: date
    open_amount: Decimal


class DueInstallment(NamedTuple):
    plan_id: int
    seq: int
    account_id: int
    due_date: date
    owed: Decimal


def invoice_notice(conn: Conn, *, invoice_id: int) -> InvoiceNotice | None:
    return fetch_typed_one(
        conn, InvoiceNotice, "SELECT account_id, period, total, due_date FROM invoices WHERE id = %s", (invoice_id,)
    )


def payment_notice(conn: Conn, *, payment_id: int) -> PaymentNotice | None:
    return fetch_typed_one(conn, PaymentNotice, "SELECT account_id, amount FROM payments WHERE id = %s", (payment_id,))


def work_order_notice(conn: Conn, *, work_order_id: int) -> WorkOrderNotice | None:
    return fetch_typed_one(
        conn, WorkOrderNotice, "SELECT id, kind, account_id FROM work_orders WHERE id = %s", (work_order_id,)
    )


def due_invoices(conn: Conn, *, due_on: date) -> list[DueInvoice]:
    """Issued invoices due on `due_on` with something still open (total minus what was applied to them)."""
    return fetch_typed(
        conn,
        DueInvoice,
        """SELECT invoice_id, account_id, due_date, open_amount FROM invoice_balances
           WHERE status = 'issued' AND due_date = %s AND open_amount > 0 AND plan_id IS NULL""",
        (due_on,),
    )


def due_installments(conn: Conn, *, due_on: date) -> list[DueInstallment]:
    return fetch_typed(
        conn,
        DueInstallment,
        """SELECT i.plan_id, i.seq, p.account_id, i.due_date, i.amount - i.paid_amount AS owed
           FROM payment_plan_installments i JOIN payment_plans p ON p.id = i.plan_id
           WHERE p.status = 'active' AND i.due_date = %s AND i.amount > i.paid_amount""",
        (due_on,),
    )


def last_cut_kind(conn: Conn, *, account_id: int) -> str | None:
    """'restriction' (Art. 74, domestic) or 'suspension' (non-domestic): the account's latest cut order."""
    row = conn.execute(
        """SELECT kind FROM work_orders WHERE account_id = %s AND kind IN ('restriction', 'suspension')
           ORDER BY id DESC LIMIT 1""",
        (account_id,),
    ).fetchone()
    return str(row[0]) if row else None


class BillFacts(NamedTuple):
    invoice_id: int
    account_id: int
    period: date
    total: Decimal
    due_date: date | None


def bill_facts(conn: Conn, *, invoice_ids: Sequence[int]) -> list[BillFacts]:
    return fetch_typed(
        conn,
        BillFacts,
        "SELECT id AS invoice_id, account_id, period, total, due_date FROM invoices WHERE id = ANY(%s) ORDER BY id",
        (list(invoice_ids),),
    )
