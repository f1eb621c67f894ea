"""The notifications consumer of domain events, as the app's consumer table registers it: each handler records a
notice request and enqueues it for the notifications queue worker (`sender`), in the event's tenant transaction
with the consumer's dedupe mark. Nothing is sent from the domain-events queue any more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.application.notifications import producers
from shared.application.notifications.channel import client, reset_client
from shared.data.sql import Conn

__all__ = [
    "CONSUMER",
    "EVENT_TYPES",
    "PURPOSE",
    "client",
    "on_event",
    "on_invoice_issued",
    "on_payment_applied",
    "reset_client",
]

CONSUMER = "notifications-whatsapp"
PURPOSE = "whatsapp_notices"
EVENT_TYPES = tuple(producers.HANDLERS)

on_invoice_issued = producers.on_invoice_issued
on_payment_applied = producers.on_payment_applied


def on_event(conn: Conn, envelope: dict[str, Any], now: datetime) -> None:
    """Any event of EVENT_TYPES (one consumer entry per type in the app's table)."""
    producers.HANDLERS[envelope["type"]](conn, envelope, now)
