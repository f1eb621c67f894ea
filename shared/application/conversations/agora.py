"""Chatwoot (AGORA) as the operators' inbox: conversations and messages are mirrored there; a handoff opens the
conversation for humans; the agent-bot webhook brings operators' replies, status changes and web-widget messages
back into the conversation model. Without CHATWOOT_URL nothing is mirrored (logged once per process)."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.adapters import chatwoot as cw
from shared.application.conversations.errors import (
    ChannelNotConfigured,
    MalformedChannelDelivery,
    WebhookNotVerified,
)
from shared.application.conversations.intake import Enqueue, enqueue_inbound
from shared.application.payments.intake import resolve_tenant
from shared.data import conversations as store
from shared.data import db
from shared.data.conversations import Conversation
from shared.platform.config import get_settings
from shared.platform.metrics import conversation_inbound_messages_total
from shared.platform.secrets import SecretNotFound, get_secret

__all__ = ["ChatwootIntake", "client", "mirror", "receive_chatwoot", "reset_client"]

log = logging.getLogger(__name__)
_lock = threading.Lock()
_client: cw.ChatwootClient | None = None


def client() -> cw.ChatwootClient | None:
    global _client
    settings = get_settings()
    if not settings.CHATWOOT_URL:
        return None
    with _lock:
        if _client is None:
            _client = cw.ChatwootClient(
                base_url=settings.CHATWOOT_URL,
                account_id=settings.CHATWOOT_ACCOUNT_ID,
                api_token=get_secret("chatwoot-api-token"),
            )
        return _client


def reset_client() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None


def _ensure_conversation(tenant_id: UUID | str, conversation: Conversation, api: cw.ChatwootClient) -> int:
    if conversation.chatwoot_conversation_id is not None:
        return conversation.chatwoot_conversation_id
    inbox = get_settings().CHATWOOT_INBOX_ID
    contact_id, source_id = api.create_contact(
        inbox_id=inbox, name=f"Cliente {conversation.channel} #{conversation.id}", identifier=f"supra-{conversation.id}"
    )
    chatwoot_id = api.create_conversation(inbox_id=inbox, contact_id=contact_id, source_id=source_id)
    with db.tenant_transaction(tenant_id) as conn:
        store.set_chatwoot(conn, conversation_id=conversation.id, chatwoot_conversation_id=chatwoot_id)
        current = store.conversation(conn, conversation_id=conversation.id)
    # Two workers racing on a new conversation: the first one stored wins.
    return current.chatwoot_conversation_id if current and current.chatwoot_conversation_id else chatwoot_id


def mirror(
    *,
    tenant_id: UUID | str,
    conversation: Conversation,
    inbound: str | None,
    reply: str | None,
    handoff: bool,
) -> int | None:
    """Post the customer's message and the bot's reply to the conversation's Chatwoot mirror; on handoff open it
    for humans with a private note. Returns the Chatwoot conversation id (None when Chatwoot is not configured)."""
    api = client()
    if api is None:
        if handoff:
            log.warning("handoff without Chatwoot configured", extra={"conversation_id": conversation.id})
        return None
    chatwoot_id = _ensure_conversation(tenant_id, conversation, api)
    if inbound and conversation.channel != "chatwoot":
        api.post_message(conversation_id=chatwoot_id, content=inbound, message_type="incoming")
    if reply and conversation.channel != "chatwoot":
        api.post_message(conversation_id=chatwoot_id, content=reply, message_type="outgoing")
    if handoff:
        api.post_message(
            conversation_id=chatwoot_id,
            content="El asistente transfirió la conversación: el cliente pidió hablar con una persona.",
            message_type="outgoing",
            private=True,
        )
        api.toggle_status(conversation_id=chatwoot_id, status="open")
    return chatwoot_id


@dataclass(frozen=True)
class ChatwootIntake:
    tenant_id: UUID
    outcome: str  # stored | status_changed | ignored | duplicate
    conversation_id: int | None = None


_STATUS = {"open": "human", "resolved": "closed", "pending": "bot", "snoozed": "human"}


def receive_chatwoot(
    *,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    tenant_slug: str | None,
    now: datetime,
    enqueue: Enqueue | None = None,
) -> ChatwootIntake:
    """The agent-bot webhook: verify (signature and a fresh timestamp), then store what it brings."""
    try:
        secret = get_secret("chatwoot-webhook-secret")
    except SecretNotFound as exc:
        raise ChannelNotConfigured("chatwoot-webhook-secret") from exc
    if not cw.verify_signature(body=body, signature=signature, timestamp=timestamp, secret=secret, now=now):
        raise WebhookNotVerified("bad signature or stale timestamp")
    try:
        event = json.loads(body.decode("utf-8"))
        kind = str(event["event"])
        chatwoot_id = int(event["conversation"]["id"])
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedChannelDelivery(f"not a Chatwoot event: {exc}") from exc
    tenant_id = resolve_tenant(slug=tenant_slug)
    if kind == "conversation_status_changed":
        return _status_changed(tenant_id, chatwoot_id, str(event["conversation"].get("status")), now)
    if kind != "message_created":
        return ChatwootIntake(tenant_id, "ignored")
    return _message_created(tenant_id, chatwoot_id, event, now, enqueue or enqueue_inbound)


def _status_changed(tenant_id: UUID, chatwoot_id: int, status: str, now: datetime) -> ChatwootIntake:
    ours = _STATUS.get(status)
    with db.tenant_transaction(tenant_id) as conn:
        conversation = store.conversation_by_chatwoot(conn, chatwoot_conversation_id=chatwoot_id)
        if conversation is None or ours is None:
            return ChatwootIntake(tenant_id, "ignored")
        store.set_status(conn, conversation_id=conversation.id, status=ours, now=now)
    return ChatwootIntake(tenant_id, "status_changed", conversation.id)


def _message_created(
    tenant_id: UUID, chatwoot_id: int, event: dict[str, Any], now: datetime, enqueue: Enqueue
) -> ChatwootIntake:
    message_type = event.get("message_type")
    sender_type = str((event.get("sender") or {}).get("type") or "")
    content = str(event.get("content") or "").strip()
    try:
        message_key = f"chatwoot:{int(event['id'])}"
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedChannelDelivery("message without id") from exc
    if event.get("private") or not content:
        return ChatwootIntake(tenant_id, "ignored")
    with db.tenant_transaction(tenant_id) as conn:
        conversation = store.conversation_by_chatwoot(conn, chatwoot_conversation_id=chatwoot_id)
        mirrored = conversation is not None and conversation.channel != "chatwoot"
        if mirrored and conversation is not None:
            # Our own mirror posts come back as events: only a human operator's reply is new.
            if message_type != "outgoing" or sender_type != "user":
                return ChatwootIntake(tenant_id, "ignored", conversation.id)
            stored = store.insert_message(
                conn,
                conversation_id=conversation.id,
                direction="outbound",
                author="agent",
                text=content,
                at=now,
                provider_message_id=message_key,
                status="pending",
            )
            kind = "agent_reply"
        else:
            if message_type != "incoming" or sender_type not in ("contact", ""):
                return ChatwootIntake(tenant_id, "ignored", conversation.id if conversation else None)
            conversation, _ = store.open_conversation(conn, channel="chatwoot", external_id=str(chatwoot_id), now=now)
            store.set_chatwoot(conn, conversation_id=conversation.id, chatwoot_conversation_id=chatwoot_id)
            stored = store.insert_message(
                conn,
                conversation_id=conversation.id,
                direction="inbound",
                author="customer",
                text=content,
                at=now,
                provider_message_id=message_key,
            )
            kind = "inbound"
    if stored is None:
        return ChatwootIntake(tenant_id, "duplicate", conversation.id)
    if kind == "inbound":
        conversation_inbound_messages_total.add(1, {"channel": "chatwoot"})
    enqueue({"type": kind, "tenant_id": str(tenant_id), "message_id": stored})
    return ChatwootIntake(tenant_id, "stored", conversation.id)
