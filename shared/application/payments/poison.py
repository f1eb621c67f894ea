"""Poison messages of the payments queue: record them with the reason, replay them on an operator's command."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.application.payments.apply import process_inbox
from shared.data import db
from shared.data import payments as data
from shared.platform.metrics import queue_poison_messages_total

log = logging.getLogger(__name__)


class UnroutablePoison(ValueError):
    """A poison message that does not name a tenant and inbox row (logged, nothing to replay)."""


def record_poison(raw: bytes | str) -> int:
    """Mark the inbox row failed and keep the message with the last error as the reason. Returns the inbox id."""
    try:
        message = json.loads(raw)
        tenant_id, inbox_id = UUID(str(message["tenant_id"])), int(message["inbox_id"])
    except (ValueError, KeyError, TypeError) as exc:
        log.error("unroutable poison message on the payments queue: %r", raw[:500])
        queue_poison_messages_total.add(1, {"queue": "payments-in"})
        raise UnroutablePoison(str(exc)) from exc
    with db.tenant_transaction(tenant_id) as conn:
        row = data.lock_inbox(conn, inbox_id)
        if row is None:
            reason = "inbox row not found"
        elif row["status"] != "pending":  # applied after all (a late success): nothing to replay
            return inbox_id
        else:
            reason = row["error"] or "retries exhausted"
            data.finish_inbox(conn, inbox_id, status="failed", error=reason)
        if row is not None:
            conn.execute(
                "INSERT INTO payment_poison (tenant_id, inbox_id, message, reason) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (tenant_id, inbox_id) DO UPDATE SET reason = EXCLUDED.reason, poisoned_at = now(),"
                " replayed_at = NULL, replay_result = NULL", (str(tenant_id), inbox_id, Jsonb(message), reason))
    queue_poison_messages_total.add(1, {"queue": "payments-in"})
    log.error("payments message poisoned", extra={"inbox_id": inbox_id, "reason": reason})
    return inbox_id


@dataclass
class ReplayOutcome:
    tenant_id: UUID
    inbox_id: int
    result: str


def list_poison(tenant_id: UUID | str) -> list[dict[str, Any]]:
    with db.tenant_transaction(tenant_id) as conn:
        cur = conn.execute("SELECT id, inbox_id, reason, poisoned_at, replayed_at, replay_result FROM payment_poison"
                           " ORDER BY id")
        cols = [c.name for c in cur.description or ()]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def replay_poison(tenant_id: UUID | str, *, inbox_id: int | None = None) -> list[ReplayOutcome]:
    """Re-apply poisoned inbox rows (all not yet replayed, or one) in-process; the outcome is stored."""
    with db.tenant_transaction(tenant_id) as conn:
        sql = "SELECT inbox_id FROM payment_poison WHERE replayed_at IS NULL"
        rows = conn.execute(sql + (" AND inbox_id = %s" if inbox_id else "") + " ORDER BY id",
                            (inbox_id,) if inbox_id else None).fetchall()
    outcomes = []
    for (iid,) in rows:
        with db.tenant_transaction(tenant_id) as conn:
            data.reset_inbox(conn, iid)
        try:
            result = process_inbox(tenant_id=tenant_id, inbox_id=iid).outcome
        except Exception as exc:
            result = f"failed: {type(exc).__name__}: {exc}"
        with db.tenant_transaction(tenant_id) as conn:
            if result.startswith("failed"):
                data.finish_inbox(conn, iid, status="failed", error=result)
            conn.execute("UPDATE payment_poison SET replayed_at = %s, replay_result = %s WHERE inbox_id = %s",
                         (datetime.now(UTC), result[:2000], iid))
        outcomes.append(ReplayOutcome(UUID(str(tenant_id)), iid, result))
    return outcomes
