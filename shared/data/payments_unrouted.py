"""SQL of the webhook deliveries no tenant could be found for (webhook_unrouted, migration 0022).

The table belongs to no tenant: every statement goes through a definer function (hold, list, claim for the tenant
the transaction is set to, note the inbox row)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, fetch_typed, fetch_typed_one


class UnroutedDelivery(NamedTuple):
    id: int
    provider: str
    event_id: str
    event_type: str
    payload: Any
    route_hint: str | None
    reason: str
    received_at: datetime
    status: str
    tenant_id: UUID | None
    inbox_id: int | None


class ClaimedDelivery(NamedTuple):
    id: int
    provider: str
    event_id: str
    event_type: str
    payload: Any


def hold(
    conn: Conn,
    *,
    provider: str,
    event_id: str,
    event_type: str,
    payload: Any,
    route_hint: str | None,
    reason: str,
    correlation_id: str | None,
) -> int:
    """The held row's id (the existing one for a redelivery)."""
    row = conn.execute(
        "SELECT hold_unrouted_webhook(%s, %s, %s, %s, %s, %s, %s)",
        (provider, event_id, event_type, Jsonb(payload), route_hint, reason, correlation_id),
    ).fetchone()
    assert row is not None
    return int(row[0])


def listed(conn: Conn, *, include_redriven: bool, limit: int) -> list[UnroutedDelivery]:
    return fetch_typed(conn, UnroutedDelivery, "SELECT * FROM unrouted_webhooks(%s, %s)", (include_redriven, limit))


def claim(conn: Conn, *, unrouted_id: int, redriven_by: str) -> ClaimedDelivery | None:
    """Marks a held row redriven into the transaction's tenant; None when it is not held (missing or done)."""
    return fetch_typed_one(
        conn, ClaimedDelivery, "SELECT * FROM claim_unrouted_webhook(%s, %s)", (unrouted_id, redriven_by)
    )


def note_inbox(conn: Conn, *, unrouted_id: int, inbox_id: int) -> None:
    conn.execute("SELECT note_unrouted_inbox(%s, %s)", (unrouted_id, inbox_id))
