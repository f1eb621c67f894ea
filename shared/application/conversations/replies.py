"""The bot's side of a conversation, run by the notifications queue worker (never in a webhook's request path):
answer one inbound message with the configured responder, store and send the reply, record verification and
handoff, and mirror both messages to Chatwoot. Also forwards a human operator's Chatwoot reply to the customer.

Idempotent per inbound message: the reply is unique by the message it answers, so a redelivered queue message
sends nothing new. No database connection is held while the responder works (it may call a model).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast
from uuid import UUID

from shared.adapters.chatwoot import ChatwootError
from shared.adapters.whatsapp import WhatsAppError
from shared.application.conversations import agora
from shared.application.conversations.bot import (
    BotContext,
    BotReply,
    Channel,
    ConversationTurn,
    Responder,
    responder_for,
)
from shared.application.notifications import channel as whatsapp_channel
from shared.data import conversations as store
from shared.data import db
from shared.data.conversations import Conversation
from shared.data.sql import Conn
from shared.platform.config import get_settings
from shared.platform.metrics import conversation_handoffs_total

__all__ = ["answer", "deliver", "forward_agent_reply"]

log = logging.getLogger(__name__)
_responder: Responder | None = None


def _default_responder() -> Responder:
    global _responder
    if _responder is None:
        _responder = responder_for(settings=get_settings())
    return _responder


def reset_responder() -> None:
    global _responder
    _responder = None


def deliver(*, conversation: Conversation, text: str) -> tuple[str, str | None, str | None]:
    """Send `text` to the customer on the conversation's channel: (status, provider id, error)."""
    try:
        if conversation.channel == "whatsapp":
            wa = whatsapp_channel.client()
            if wa is None:
                return "failed", None, "channel_not_configured"
            return "sent", wa.send_text(to=conversation.external_id, body=text), None
        if conversation.channel == "chatwoot":
            api = agora.client()
            if api is None or conversation.chatwoot_conversation_id is None:
                return "failed", None, "channel_not_configured"
            mid = api.post_message(
                conversation_id=conversation.chatwoot_conversation_id, content=text, message_type="outgoing"
            )
            return "sent", f"chatwoot:{mid}", None
    except (WhatsAppError, ChatwootError) as exc:
        if exc.retryable:
            raise  # the queue message comes back; the reply row stays pending and is sent then
        return "failed", None, str(exc)[:300]
    return "sent", None, None  # voice: the call's TwiML reads the reply (functions/api/routes/channels_voice.py)


@dataclass(frozen=True)
class _Loaded:
    conversation: Conversation
    text: str
    at: datetime
    media_url: str | None
    history: tuple[ConversationTurn, ...]


def _load(tenant_id: UUID | str, message_id: int) -> _Loaded | str:
    """The message to answer with its conversation and history, or the outcome when there is nothing to ask."""
    with db.tenant_transaction(tenant_id) as conn:
        message = store.inbound(conn, message_id=message_id)
        if message is None:
            return "missing"
        conversation = store.conversation(conn, conversation_id=message.conversation_id)
        assert conversation is not None
        if message.status == "ignored":
            return "human"  # a redelivery of a message a human owned: mirrored before
        if message.status == "answered":
            reply = store.reply_to(conn, message_id=message_id)
            # answered before and its send failed retryably: send it now
            return "resend" if reply is not None and reply.status == "pending" else "already_answered"
        if conversation.status == "human":
            store.mark_inbound(conn, message_id=message_id, status="ignored")
            return "ignore"
        history = tuple(
            ConversationTurn(cast("Literal['inbound', 'outbound']", t.direction), t.text, t.at, t.media_url)
            for t in store.history(conn, conversation_id=conversation.id, before_id=message_id)
        )
    return _Loaded(conversation, message.text, message.at, message.media_url, history)


def answer(*, tenant_id: UUID | str, message_id: int, now: datetime, responder: Responder | None = None) -> str:
    """Answer inbound message `message_id`; returns the outcome (answered, human, already_answered, missing)."""
    loaded = _load(tenant_id, message_id)
    if loaded in ("ignore", "resend"):
        with db.tenant_transaction(tenant_id) as conn:
            message = store.inbound(conn, message_id=message_id)
            assert message is not None
            conversation = store.conversation(conn, conversation_id=message.conversation_id)
            assert conversation is not None
        if loaded == "resend":
            return _send_pending(tenant_id, conversation, message_id)
        # a human owns the conversation: the operator sees the message in Chatwoot
        _mirror(tenant_id, conversation, inbound=message.text, reply=None, handoff=False)
        return "human"
    if isinstance(loaded, str):
        return loaded
    conversation = loaded.conversation
    context = BotContext(
        tenant_id=str(tenant_id),
        conversation_id=conversation.id,
        channel=cast("Channel", conversation.channel),
        person_id=conversation.person_id,
        account_id=conversation.account_id,
        history=loaded.history,
        now=now,
    )
    turn = ConversationTurn("inbound", loaded.text, loaded.at, loaded.media_url)
    bot = (responder or _default_responder()).respond(context=context, message=turn)
    with db.tenant_transaction(tenant_id) as conn:
        reply_id = store.claim_reply(
            conn, conversation_id=conversation.id, reply_to=message_id, author="bot", text=bot.text, at=now
        )
        if reply_id is None:
            return "already_answered"
        store.mark_inbound(conn, message_id=message_id, status="answered")
        _record(conn, conversation, bot, now)
    _mirror(tenant_id, conversation, inbound=loaded.text, reply=bot.text, handoff=bot.handoff)
    return _send_pending(tenant_id, conversation, message_id)


def _record(conn: Conn, conversation: Conversation, bot: BotReply, now: datetime) -> None:
    if bot.verified_person_id is not None:
        store.set_verified(
            conn,
            conversation_id=conversation.id,
            person_id=bot.verified_person_id,
            account_id=bot.verified_account_id,
            now=now,
        )
    if bot.handoff:
        store.set_status(conn, conversation_id=conversation.id, status="human", now=now)
        conversation_handoffs_total.add(1, {"channel": conversation.channel})


def _send_pending(tenant_id: UUID | str, conversation: Conversation, message_id: int) -> str:
    with db.tenant_transaction(tenant_id) as conn:
        reply = store.reply_to(conn, message_id=message_id)
    if reply is None or reply.status != "pending":
        return "already_answered"
    status, provider_id, error = deliver(conversation=conversation, text=reply.text)
    with db.tenant_transaction(tenant_id) as conn:
        store.finish_outbound(conn, message_id=reply.id, status=status, provider_message_id=provider_id, error=error)
    if error:
        log.warning("bot reply not delivered", extra={"conversation_id": conversation.id, "error": error})
    return "answered"


def _mirror(
    tenant_id: UUID | str, conversation: Conversation, *, inbound: str | None, reply: str | None, handoff: bool
) -> None:
    try:
        agora.mirror(tenant_id=tenant_id, conversation=conversation, inbound=inbound, reply=reply, handoff=handoff)
    except ChatwootError as exc:
        log.error("chatwoot mirror failed", extra={"conversation_id": conversation.id, "error": str(exc)[:200]})
        if handoff:
            raise  # a handoff nobody sees is not done: the queue retries the message


def forward_agent_reply(*, tenant_id: UUID | str, message_id: int, now: datetime) -> str:
    """Send a human operator's Chatwoot reply to the customer (once)."""
    with db.tenant_transaction(tenant_id) as conn:
        row = store.outbound(conn, message_id=message_id)
        if row is None or row.status != "pending":
            return "already_sent"
        conversation = store.conversation(conn, conversation_id=row.conversation_id)
        assert conversation is not None
    status, provider_id, error = deliver(conversation=conversation, text=row.text)
    with db.tenant_transaction(tenant_id) as conn:
        store.finish_outbound(conn, message_id=message_id, status=status, provider_message_id=provider_id, error=error)
    return status
