"""WhatsApp notices for issued bills and applied payments.

Consumers of the outbox (`invoice.issued`, `payment.applied`): each runs in the event's tenant transaction with the
consumer's dedupe mark, checks the person's per-purpose opt-out (ARCO oposición `whatsapp_notices`) and phone, sends
the message and records the decision in `notifications` (sent, or skipped with the reason). A retryable provider
failure rolls the transaction back, so the queue redelivers the event; a message the provider accepted just before
a crash may be sent once more (at-least-once), never lost.
"""

from __future__ import annotations

import logging
import threading
from decimal import Decimal
from typing import Any

import psycopg

from shared.adapters.whatsapp import WhatsAppClient, WhatsAppError
from shared.domain.notifications import messages
from shared.platform.config import get_settings
from shared.platform.metrics import whatsapp_messages_sent_total
from shared.platform.secrets import get_secret

log = logging.getLogger(__name__)
CONSUMER = "notifications-whatsapp"
PURPOSE = "whatsapp_notices"

_lock = threading.Lock()
_client: WhatsAppClient | None = None


def client() -> WhatsAppClient | None:
    """The process's WhatsApp client, or None when WHATSAPP_API_URL is not configured."""
    global _client
    settings = get_settings()
    if not settings.WHATSAPP_API_URL:
        return None
    with _lock:
        if _client is None:
            _client = WhatsAppClient(base_url=settings.WHATSAPP_API_URL,
                                     phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
                                     api_key=get_secret("whatsapp-api-key"))
        return _client


def reset_client() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None


def _recipient(conn: psycopg.Connection[Any], account_id: int) -> dict[str, Any] | None:
    cur = conn.execute(
        """SELECT a.id AS account_id, a.account_number, a.payment_reference, p.id AS person_id, p.phone,
                  EXISTS (SELECT 1 FROM purpose_opt_outs o WHERE o.person_id = p.id AND o.purpose = %s) AS opted_out
           FROM accounts a JOIN persons p ON p.id = a.person_id WHERE a.id = %s""", (PURPOSE, account_id))
    row = cur.fetchone()
    return dict(zip([c.name for c in cur.description or ()], row, strict=True)) if row else None


def _record(conn: psycopg.Connection[Any], *, key: str, who: dict[str, Any], to: str | None, body: str, status: str,
            reason: str | None = None, message_id: str | None = None) -> None:
    conn.execute(
        """INSERT INTO notifications (tenant_id, natural_key, channel, person_id, account_id, to_phone, body, status,
                                      skip_reason, provider_message_id)
           VALUES (app_current_tenant(), %s, 'whatsapp', %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (tenant_id, natural_key) DO NOTHING""",
        (key, who["person_id"], who["account_id"], to, body, status, reason, message_id))


def notify(conn: psycopg.Connection[Any], *, key: str, account_id: int, compose: Any) -> str:
    """Decide, send and record one notice; returns 'sent' or the skip reason."""
    if conn.execute("SELECT 1 FROM notifications WHERE natural_key = %s", (key,)).fetchone():
        return "already_recorded"
    who = _recipient(conn, account_id)
    if who is None:
        log.warning("notification for a missing account", extra={"account_id": account_id, "key": key})
        return "no_account"
    body = compose(who)
    to = messages.whatsapp_number(phone=who["phone"])
    reason = ("opted_out" if who["opted_out"] else "no_valid_phone" if to is None
              else "channel_not_configured" if client() is None else None)
    if reason is not None:
        _record(conn, key=key, who=who, to=to, body=body, status="skipped", reason=reason)
        return reason
    wa = client()
    assert wa is not None and to is not None
    try:
        message_id = wa.send_text(to=to, body=body)
    except WhatsAppError as exc:
        if exc.retryable:
            raise  # the event comes back from the queue and is tried again
        _record(conn, key=key, who=who, to=to, body=body, status="skipped", reason=f"refused: {exc}"[:300])
        return "refused"
    _record(conn, key=key, who=who, to=to, body=body, status="sent", message_id=message_id)
    whatsapp_messages_sent_total.add(1, {"kind": key.split(":", 1)[0]})
    return "sent"


def on_invoice_issued(conn: psycopg.Connection[Any], envelope: dict[str, Any]) -> None:
    invoice_id = int(envelope["payload"]["invoice_id"])
    row = conn.execute("SELECT account_id, period, total, due_date FROM invoices WHERE id = %s",
                       (invoice_id,)).fetchone()
    if row is None:
        log.warning("invoice.issued for a missing invoice", extra={"invoice_id": invoice_id})
        return
    account_id, period, total, due_date = row
    notify(conn, key=f"invoice.issued:{invoice_id}", account_id=account_id, compose=lambda who: messages.invoice_issued(
        account_number=who["account_number"], period=period, total=total, due_date=due_date,
        reference=who["payment_reference"]))


def on_payment_applied(conn: psycopg.Connection[Any], envelope: dict[str, Any]) -> None:
    payment_id = int(envelope["payload"]["payment_id"])
    row = conn.execute("SELECT account_id, amount FROM payments WHERE id = %s", (payment_id,)).fetchone()
    if row is None or row[0] is None:
        log.warning("payment.applied for a missing or unplaced payment", extra={"payment_id": payment_id})
        return
    account_id, amount = int(row[0]), Decimal(row[1])
    notify(conn, key=f"payment.applied:{payment_id}", account_id=account_id,
           compose=lambda who: messages.payment_applied(account_number=who["account_number"], amount=amount))
