"""The port between the conversation channels and whatever answers the customer.

Channels (WhatsApp, Chatwoot, Twilio voice, web) store each inbound message in the conversation model and, in the
notifications/inbound queue worker (never in a webhook's request path), ask a `Responder` for the reply. Two
responders exist: the fixed es-MX menu (`menu`, the default) and the Claude agent (`claude`, in
`shared.application.agents.customer`), chosen by the `BOT_RESPONDER` setting through `responder_for`.

A responder must not hold a database connection open while it calls a model.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol, cast

if TYPE_CHECKING:
    from shared.platform.config import Settings

__all__ = ["BotContext", "BotReply", "Channel", "ConversationTurn", "Responder", "responder_for"]

Channel = Literal["whatsapp", "chatwoot", "voice", "web"]


class ConversationTurn(NamedTuple):
    """One message in the conversation history, oldest first."""

    direction: Literal["inbound", "outbound"]
    text: str
    at: datetime
    media_url: str | None = None  # e.g. a photo sent with a leak report (the caption goes in text)


class BotContext(NamedTuple):
    tenant_id: str
    conversation_id: int
    channel: Channel
    person_id: int | None  # the VERIFIED person for this conversation, None until verified
    account_id: int | None  # the verified account, None until verified
    history: tuple[ConversationTurn, ...]
    now: datetime


class BotReply(NamedTuple):
    text: str  # es-MX, already detokenised, ready to send
    handoff: bool = False  # True: open the conversation for a human (Chatwoot) and stop bot replies
    verified_person_id: int | None = None  # set when this turn verified the customer (stored on the conversation)
    verified_account_id: int | None = None


class Responder(Protocol):
    def respond(self, *, context: BotContext, message: ConversationTurn) -> BotReply: ...


def responder_for(*, settings: Settings) -> Responder:
    """The responder named by `BOT_RESPONDER`: `menu` (fixed es-MX menu, default) or `claude` (the agent)."""
    name = getattr(settings, "BOT_RESPONDER", "menu")
    if name == "claude":
        module = importlib.import_module("shared.application.agents.customer")
        return cast("Responder", module.CustomerAgentResponder(settings=settings))
    if name == "menu":
        from shared.application.conversations.menu import MenuResponder

        return MenuResponder()
    raise ValueError(f"BOT_RESPONDER must be 'menu' or 'claude', not {name!r}")
