"""The notifications queue's messages: {"type": "notices", "tenant_id", "keys"} (send notice requests) and
{"type": "inbound", "tenant_id", "message_id"} (answer one inbound conversation message with the bot) and
{"type": "agent_reply", ...} (send an operator's Chatwoot reply to the customer). Anything
else raises MalformedQueueMessage, so the host retries and then poisons it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.application.conversations import replies
from shared.application.notifications import sender

__all__ = ["MalformedQueueMessage", "handle"]


class MalformedQueueMessage(ValueError):
    """Not a notifications queue message (goes to the poison queue after the host's retries)."""


def handle(message: Any, *, now: datetime) -> Any:
    if not isinstance(message, dict) or not message.get("tenant_id"):
        raise MalformedQueueMessage("expected an object with tenant_id")
    kind = message.get("type")
    if kind == "notices":
        keys = message.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise MalformedQueueMessage("notices need a list of keys")
        return sender.send_notices(tenant_id=message["tenant_id"], keys=keys, now=now)
    if kind in ("inbound", "agent_reply"):
        try:
            message_id = int(message["message_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedQueueMessage(f"{kind} needs a message_id") from exc
        if kind == "inbound":
            return replies.answer(tenant_id=message["tenant_id"], message_id=message_id, now=now)
        return replies.forward_agent_reply(tenant_id=message["tenant_id"], message_id=message_id, now=now)
    raise MalformedQueueMessage(f"unknown message type {kind!r}")
