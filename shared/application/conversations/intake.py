"""Channel webhooks into the conversation model, fast: verify the signature over the raw body, parse, store (one
transaction: conversation, message idempotent by the provider's id, provider statuses) and enqueue the inbound
messages for the bot; the caller answers 200. The sender's phone or user id is NEVER proof of identity: a
conversation is verified only by the bot's own question (`BotReply.verified_*`)."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.adapters import whatsapp as wa
from shared.application import queues
from shared.application.conversations.errors import (
    ChannelNotConfigured,
    MalformedChannelDelivery,
    SubscriptionRefused,
    WebhookNotVerified,
)
from shared.application.payments.intake import resolve_tenant
from shared.data import conversations as store
from shared.data import db
from shared.data import notifications as notices
from shared.domain.notifications.messages import whatsapp_number
from shared.platform.config import get_settings
from shared.platform.metrics import (
    channel_webhook_duration_seconds,
    conversation_inbound_messages_total,
    whatsapp_messages_failed_total,
)
from shared.platform.secrets import SecretNotFound, get_secret

__all__ = ["Enqueue", "IntakeResult", "enqueue_inbound", "receive_whatsapp", "record_ack", "verify_subscription"]

log = logging.getLogger(__name__)
Enqueue = Callable[[dict[str, Any]], None]


def enqueue_inbound(message: dict[str, Any]) -> None:
    queues.send(queue=get_settings().QUEUE_NOTIFICATIONS, message=message)


@dataclass(frozen=True)
class IntakeResult:
    tenant_id: UUID
    messages: int  # inbound messages enqueued for the bot (new, or stored before and not answered yet)
    duplicates: int
    statuses: int


def record_ack(*, channel: str, seconds: float) -> None:
    """Webhook acknowledgement latency (verify + store + enqueue), by channel."""
    channel_webhook_duration_seconds.record(seconds, {"channel": channel})


def verify_subscription(*, mode: str | None, token: str | None, challenge: str | None) -> str:
    """The WhatsApp verification GET: echo `hub.challenge` when the token is ours."""
    try:
        expected = get_secret("whatsapp-verify-token")
    except SecretNotFound as exc:
        raise SubscriptionRefused() from exc
    if mode != "subscribe" or not token or not challenge or not hmac.compare_digest(token, expected):
        raise SubscriptionRefused()
    return challenge


def _external_id(sender: str) -> str:
    """The conversation key: the normalised number when the sender is a phone, else the business-scoped id."""
    return whatsapp_number(phone=sender) or sender if sender.isdigit() else sender


def receive_whatsapp(
    *, body: bytes, signature: str | None, tenant_slug: str | None, now: datetime, enqueue: Enqueue | None = None
) -> IntakeResult:
    try:
        secret = get_secret("whatsapp-app-secret")
    except SecretNotFound as exc:
        log.error("whatsapp-app-secret is not configured: every WhatsApp delivery is refused")
        raise ChannelNotConfigured("whatsapp-app-secret") from exc
    if not wa.verify_signature(body=body, header=signature, secret=secret):
        raise WebhookNotVerified("bad or missing X-Hub-Signature-256")
    try:
        messages, statuses = wa.parse_webhook(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedChannelDelivery(f"not UTF-8 JSON: {exc}") from exc
    except wa.MalformedWebhook as exc:
        raise MalformedChannelDelivery(str(exc)) from exc
    tenant_id = resolve_tenant(slug=tenant_slug)
    new_ids: list[int] = []
    duplicates = 0
    with db.tenant_transaction(tenant_id) as conn:
        for m in messages:
            conversation, _created = store.open_conversation(
                conn, channel="whatsapp", external_id=_external_id(m.sender), now=now
            )
            media = f"whatsapp-media:{m.media_id}" if m.media_id else None
            message_id = store.insert_message(
                conn,
                conversation_id=conversation.id,
                direction="inbound",
                author="customer",
                text=m.text or (f"[{m.kind}]" if m.kind != "text" else ""),
                at=m.at,
                provider_message_id=m.message_id,
                media_url=media,
            )
            if message_id is None:
                duplicates += 1
                # A redelivery after a failed enqueue: send it again (answering is idempotent per message).
                message_id = store.unanswered(conn, conversation_id=conversation.id, provider_message_id=m.message_id)
            if message_id is not None:
                new_ids.append(message_id)
        for s in statuses:
            notices.record_status(
                conn, provider_message_id=s.message_id, status=s.status, error=s.error, at=s.at, reference=s.reference
            )
            if s.status == "failed":
                whatsapp_messages_failed_total.add(1, {"channel": "whatsapp", "reason": "delivery"})
                log.warning("whatsapp delivery failed", extra={"reference": s.reference, "error": s.error})
    send = enqueue or enqueue_inbound
    if new_ids:
        conversation_inbound_messages_total.add(len(new_ids), {"channel": "whatsapp"})
    for message_id in new_ids:
        send({"type": "inbound", "tenant_id": str(tenant_id), "message_id": message_id})
    return IntakeResult(tenant_id, len(new_ids), duplicates, len(statuses))
