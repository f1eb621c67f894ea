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
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.adapters.whatsapp import WhatsAppClient, WhatsAppError
from shared.data import notifications as notices
from shared.data.notifications import Recipient
from shared.data.sql import Conn
from shared.domain.notifications import messages
from shared.platform.config import get_settings
from shared.platform.metrics import whatsapp_messages_sent_total
from shared.platform.secrets import get_secret

__all__ = ["CONSUMER", "PURPOSE", "client", "on_invoice_issued", "on_payment_applied", "reset_client"]

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
            _client = WhatsAppClient(
                base_url=settings.WHATSAPP_API_URL,
                phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
                api_key=get_secret("whatsapp-api-key"),
            )
        return _client


def reset_client() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None


def _notify(conn: Conn, *, key: str, account_id: int, compose: Callable[[Recipient], str], now: datetime) -> str:
    """Decide, send and record one notice; returns 'sent' or the skip reason."""
    if notices.is_recorded(conn, key=key):
        return "already_recorded"
    who = notices.recipient(conn, account_id=account_id, purpose=PURPOSE)
    if who is None:
        log.warning("notification for a missing account", extra={"account_id": account_id, "key": key})
        return "no_account"
    body = compose(who)
    to = messages.whatsapp_number(phone=who.phone)
    reason = (
        "opted_out"
        if who.opted_out
        else "no_valid_phone"
        if to is None
        else "channel_not_configured"
        if client() is None
        else None
    )

    def record(status: str, *, skip_reason: str | None = None, message_id: str | None = None) -> None:
        notices.record(
            conn,
            key=key,
            channel="whatsapp",
            person_id=who.person_id,
            account_id=who.account_id,
            to_phone=to,
            body=body,
            status=status,
            skip_reason=skip_reason,
            provider_message_id=message_id,
            at=now,
        )

    if reason is not None:
        record("skipped", skip_reason=reason)
        return reason
    wa = client()
    assert wa is not None and to is not None
    try:
        message_id = wa.send_text(to=to, body=body)
    except WhatsAppError as exc:
        if exc.retryable:
            raise  # the event comes back from the queue and is tried again
        record("skipped", skip_reason=f"refused: {exc}"[:300])
        return "refused"
    record("sent", message_id=message_id)
    whatsapp_messages_sent_total.add(1, {"kind": key.split(":", 1)[0]})
    return "sent"


def on_invoice_issued(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    invoice_id = int(envelope["payload"]["invoice_id"])
    invoice = notices.invoice_notice(conn, invoice_id=invoice_id)
    if invoice is None:
        log.warning("invoice.issued for a missing invoice", extra={"invoice_id": invoice_id})
        return
    _notify(
        conn,
        key=f"invoice.issued:{invoice_id}",
        account_id=invoice.account_id,
        now=now,
        compose=lambda who: messages.invoice_issued(
            account_number=who.account_number,
            period=invoice.period,
            total=invoice.total,
            due_date=invoice.due_date,
            reference=who.payment_reference,
        ),
    )


def on_payment_applied(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    payment_id = int(envelope["payload"]["payment_id"])
    payment = notices.payment_notice(conn, payment_id=payment_id)
    if payment is None or payment.account_id is None:
        log.warning("payment.applied for a missing or unplaced payment", extra={"payment_id": payment_id})
        return
    amount = Decimal(payment.amount)
    _notify(
        conn,
        key=f"payment.applied:{payment_id}",
        account_id=payment.account_id,
        now=now,
        compose=lambda who: messages.payment_applied(account_number=who.account_number, amount=amount),
    )
