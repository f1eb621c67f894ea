"""SQL of the conversation model: conversations per channel and external id, their messages in both directions
(inbound idempotent by the provider's id, a reply unique per inbound message), ownership (bot / human / closed),
the verified person and account, the Chatwoot mirror, and the few reads the menu bot needs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from shared.data.sql import Conn, fetch_typed, fetch_typed_one

__all__ = [
    "AccountMatch",
    "Conversation",
    "InboundRow",
    "OutboundRow",
    "Standing",
    "Turn",
    "account_by_number",
    "account_standing",
    "claim_reply",
    "conversation",
    "conversation_by_chatwoot",
    "finish_outbound",
    "history",
    "inbound",
    "insert_message",
    "mark_inbound",
    "open_conversation",
    "outbound",
    "reply_to",
    "set_chatwoot",
    "set_message_chatwoot",
    "set_status",
    "set_verified",
    "unanswered",
]


class Conversation(NamedTuple):
    id: int
    channel: str
    external_id: str
    person_id: int | None
    account_id: int | None
    status: str
    chatwoot_conversation_id: int | None
    last_inbound_at: datetime | None


class InboundRow(NamedTuple):
    id: int
    conversation_id: int
    text: str
    media_url: str | None
    status: str
    at: datetime
    chatwoot_message_id: int | None


class Turn(NamedTuple):
    direction: str
    text: str
    at: datetime
    media_url: str | None


class AccountMatch(NamedTuple):
    account_id: int
    person_id: int
    account_number: str
    last_invoice_total: Decimal | None


class Standing(NamedTuple):
    balance: Decimal
    payment_reference: str
    clabe: str | None
    toma_id: int


_CONVERSATION = "id, channel, external_id, person_id, account_id, status, chatwoot_conversation_id, last_inbound_at"


def open_conversation(conn: Conn, *, channel: str, external_id: str, now: datetime) -> tuple[Conversation, bool]:
    """The conversation of (channel, external id), created now when new (with its contact record); (row, created).
    A closed conversation that hears from the customer again goes back to the bot."""
    created = conn.execute(
        """INSERT INTO conversations (tenant_id, channel, external_id, created_at, updated_at)
           VALUES (app_current_tenant(), %s, %s, %s, %s)
           ON CONFLICT (tenant_id, channel, external_id) DO NOTHING RETURNING id""",
        (channel, external_id, now, now),
    ).fetchone()
    if created is not None:
        contact_channel = {"whatsapp": "whatsapp", "voice": "phone", "chatwoot": "web", "web": "web"}[channel]
        conn.execute(
            """WITH c AS (INSERT INTO contacts (tenant_id, channel, direction, subject, created_by, created_at)
                          VALUES (app_current_tenant(), %s, 'inbound', %s, 'bot', %s) RETURNING id)
               UPDATE conversations SET contact_id = (SELECT id FROM c) WHERE id = %s""",
            (contact_channel, f"Conversación por {channel}", now, created[0]),
        )
    conn.execute(
        "UPDATE conversations SET status = 'bot', updated_at = %s WHERE channel = %s AND external_id = %s"
        " AND status = 'closed'",
        (now, channel, external_id),
    )
    row = fetch_typed_one(
        conn,
        Conversation,
        f"SELECT {_CONVERSATION} FROM conversations WHERE channel = %s AND external_id = %s FOR UPDATE",
        (channel, external_id),
    )
    assert row is not None
    return row, created is not None


def conversation(conn: Conn, *, conversation_id: int, lock: bool = False) -> Conversation | None:
    return fetch_typed_one(
        conn,
        Conversation,
        f"SELECT {_CONVERSATION} FROM conversations WHERE id = %s" + (" FOR UPDATE" if lock else ""),
        (conversation_id,),
    )


def conversation_by_chatwoot(conn: Conn, *, chatwoot_conversation_id: int) -> Conversation | None:
    return fetch_typed_one(
        conn,
        Conversation,
        f"SELECT {_CONVERSATION} FROM conversations WHERE chatwoot_conversation_id = %s FOR UPDATE",
        (chatwoot_conversation_id,),
    )


def insert_message(
    conn: Conn,
    *,
    conversation_id: int,
    direction: str,
    author: str,
    text: str,
    at: datetime,
    provider_message_id: str | None = None,
    media_url: str | None = None,
    status: str = "received",
    chatwoot_message_id: int | None = None,
) -> int | None:
    """Store a message; None when that provider message id was stored before (a redelivery). An inbound message
    opens the 24-hour window (last_inbound_at)."""
    row = conn.execute(
        """INSERT INTO conversation_messages (tenant_id, conversation_id, direction, author, text, media_url,
                                              provider_message_id, status, chatwoot_message_id, at)
           VALUES (app_current_tenant(), %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (tenant_id, conversation_id, provider_message_id) DO NOTHING RETURNING id""",
        (conversation_id, direction, author, text, media_url, provider_message_id, status, chatwoot_message_id, at),
    ).fetchone()
    if row is None:
        return None
    if direction == "inbound":
        conn.execute(
            """UPDATE conversations SET last_inbound_at = greatest(coalesce(last_inbound_at, %s), %s), updated_at = %s
               WHERE id = %s""",
            (at, at, at, conversation_id),
        )
    return int(row[0])


def inbound(conn: Conn, *, message_id: int) -> InboundRow | None:
    return fetch_typed_one(
        conn,
        InboundRow,
        """SELECT id, conversation_id, text, media_url, status, at, chatwoot_message_id FROM conversation_messages
           WHERE id = %s AND direction = 'inbound' FOR UPDATE""",
        (message_id,),
    )


def history(conn: Conn, *, conversation_id: int, before_id: int, limit: int = 30) -> list[Turn]:
    """The last `limit` messages before `before_id`, oldest first."""
    rows = fetch_typed(
        conn,
        Turn,
        """SELECT direction, text, at, media_url FROM conversation_messages
           WHERE conversation_id = %s AND id < %s AND status <> 'failed' ORDER BY id DESC LIMIT %s""",
        (conversation_id, before_id, limit),
    )
    return rows[::-1]


def mark_inbound(conn: Conn, *, message_id: int, status: str) -> None:
    conn.execute("UPDATE conversation_messages SET status = %s WHERE id = %s", (status, message_id))


def claim_reply(
    conn: Conn,
    *,
    conversation_id: int,
    reply_to: int,
    author: str,
    text: str,
    at: datetime,
    media_url: str | None = None,
) -> int | None:
    """Record the reply to an inbound message as 'pending'; None when it was answered before."""
    row = conn.execute(
        """INSERT INTO conversation_messages (tenant_id, conversation_id, direction, author, text, media_url, reply_to,
                                              status, at)
           VALUES (app_current_tenant(), %s, 'outbound', %s, %s, %s, %s, 'pending', %s)
           ON CONFLICT (tenant_id, reply_to) DO NOTHING RETURNING id""",
        (conversation_id, author, text, media_url, reply_to, at),
    ).fetchone()
    return int(row[0]) if row else None


def finish_outbound(
    conn: Conn,
    *,
    message_id: int,
    status: str,
    provider_message_id: str | None = None,
    error: str | None = None,
    chatwoot_message_id: int | None = None,
) -> None:
    conn.execute(
        """UPDATE conversation_messages SET status = %s, provider_message_id = coalesce(%s, provider_message_id),
                  error = %s, chatwoot_message_id = coalesce(%s, chatwoot_message_id) WHERE id = %s""",
        (status, provider_message_id, error, chatwoot_message_id, message_id),
    )


def set_status(conn: Conn, *, conversation_id: int, status: str, now: datetime) -> None:
    conn.execute("UPDATE conversations SET status = %s, updated_at = %s WHERE id = %s", (status, now, conversation_id))


def set_verified(conn: Conn, *, conversation_id: int, person_id: int, account_id: int | None, now: datetime) -> None:
    conn.execute(
        """UPDATE conversations SET person_id = %s, account_id = %s, updated_at = %s WHERE id = %s""",
        (person_id, account_id, now, conversation_id),
    )
    conn.execute(
        """UPDATE contacts SET person_id = %s, account_id = %s
           WHERE id = (SELECT contact_id FROM conversations WHERE id = %s)""",
        (person_id, account_id, conversation_id),
    )


def set_chatwoot(conn: Conn, *, conversation_id: int, chatwoot_conversation_id: int) -> None:
    conn.execute(
        "UPDATE conversations SET chatwoot_conversation_id = %s WHERE id = %s AND chatwoot_conversation_id IS NULL",
        (chatwoot_conversation_id, conversation_id),
    )


def set_message_chatwoot(conn: Conn, *, message_id: int, chatwoot_message_id: int) -> None:
    conn.execute(
        "UPDATE conversation_messages SET chatwoot_message_id = %s WHERE id = %s", (chatwoot_message_id, message_id)
    )


def account_by_number(conn: Conn, *, account_number: str) -> AccountMatch | None:
    """The account with that number and the total of its last issued invoice (what the customer can read on the
    bill: the verification question)."""
    return fetch_typed_one(
        conn,
        AccountMatch,
        """SELECT a.id AS account_id, a.person_id, a.account_number,
                  (SELECT i.total FROM invoices i WHERE i.account_id = a.id AND i.status = 'issued'
                   ORDER BY i.period DESC, i.id DESC LIMIT 1) AS last_invoice_total
           FROM accounts a WHERE upper(a.account_number) = upper(%s)""",
        (account_number,),
    )


def account_standing(conn: Conn, *, account_id: int) -> Standing | None:
    return fetch_typed_one(
        conn,
        Standing,
        """SELECT coalesce((SELECT sum(amount) FROM account_movements m WHERE m.account_id = a.id), 0) AS balance,
                  a.payment_reference, a.clabe, a.toma_id
           FROM accounts a WHERE a.id = %s""",
        (account_id,),
    )


def unanswered(conn: Conn, *, conversation_id: int, provider_message_id: str) -> int | None:
    """The id of a stored inbound message not answered yet (a redelivered webhook enqueues it again)."""
    row = conn.execute(
        """SELECT id FROM conversation_messages WHERE conversation_id = %s AND provider_message_id = %s
           AND direction = 'inbound' AND status = 'received'""",
        (conversation_id, provider_message_id),
    ).fetchone()
    return int(row[0]) if row else None


class OutboundRow(NamedTuple):
    id: int
    conversation_id: int
    text: str
    status: str


def reply_to(conn: Conn, *, message_id: int) -> OutboundRow | None:
    """The reply recorded for inbound message `message_id`."""
    return fetch_typed_one(
        conn,
        OutboundRow,
        "SELECT id, conversation_id, text, status FROM conversation_messages WHERE reply_to = %s",
        (message_id,),
    )


def outbound(conn: Conn, *, message_id: int) -> OutboundRow | None:
    return fetch_typed_one(
        conn,
        OutboundRow,
        """SELECT id, conversation_id, text, status FROM conversation_messages
           WHERE id = %s AND direction = 'outbound' FOR UPDATE""",
        (message_id,),
    )
