"""Poison messages of the payments queue: record them with the reason, replay them on an operator's command."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.application.payments.apply import process_inbox
from shared.data import db
from shared.data import payments as data
from shared.data import payments_operations as ops
from shared.data.payments_operations import PoisonMessage
from shared.domain.errors import Invalid
from shared.domain.payments.errors import PaymentsError
from shared.platform.metrics import queue_poison_messages_total

log = logging.getLogger(__name__)


class UnroutablePoison(PaymentsError, Invalid, ValueError):
    """A poison message that does not name a tenant and inbox row (logged, nothing to replay)."""

    default_code = "unroutable_poison"


def record_poison(*, raw: bytes | str) -> int:
    """Mark the inbox row failed and keep the message with the last error as the reason. Returns the inbox id."""
    try:
        message = json.loads(raw)
        tenant_id, inbox_id = UUID(str(message["tenant_id"])), int(message["inbox_id"])
    except (ValueError, KeyError, TypeError) as exc:
        log.error("unroutable poison message on the payments queue: %r", raw[:500])
        queue_poison_messages_total.add(1, {"queue": "payments-in"})
        raise UnroutablePoison(str(exc)) from exc
    with db.tenant_transaction(tenant_id) as conn:
        row = data.lock_inbox(conn, inbox_id=inbox_id)
        if row is None:
            reason = "inbox row not found"
        elif row.status != "pending":  # applied after all (a late success): nothing to replay
            return inbox_id
        else:
            reason = row.error or "retries exhausted"
            data.finish_inbox(conn, inbox_id=inbox_id, status="failed", error=reason)
        if row is not None:
            ops.upsert_poison(conn, tenant_id=tenant_id, inbox_id=inbox_id, message=message, reason=reason)
    queue_poison_messages_total.add(1, {"queue": "payments-in"})
    log.error("payments message poisoned", extra={"inbox_id": inbox_id, "reason": reason})
    return inbox_id


@dataclass
class ReplayOutcome:
    tenant_id: UUID
    inbox_id: int
    result: str


def list_poison(*, tenant_id: UUID | str) -> list[PoisonMessage]:
    with db.tenant_transaction(tenant_id) as conn:
        return ops.poison_messages(conn)


def replay_poison(*, tenant_id: UUID | str, now: datetime, inbox_id: int | None = None) -> list[ReplayOutcome]:
    """Re-apply poisoned inbox rows (all not yet replayed, or one) in-process; the outcome is stored."""
    with db.tenant_transaction(tenant_id) as conn:
        inbox_ids = ops.unreplayed_poison(conn, inbox_id=inbox_id)
    outcomes = []
    for iid in inbox_ids:
        with db.tenant_transaction(tenant_id) as conn:
            data.reset_inbox(conn, inbox_id=iid)
        try:
            result = process_inbox(tenant_id=tenant_id, inbox_id=iid, now=now).outcome
        except Exception as exc:
            result = f"failed: {type(exc).__name__}: {exc}"
        with db.tenant_transaction(tenant_id) as conn:
            if result.startswith("failed"):
                data.finish_inbox(conn, inbox_id=iid, status="failed", error=result)
            ops.mark_poison_replayed(conn, inbox_id=iid, at=now, result=result)
        outcomes.append(ReplayOutcome(UUID(str(tenant_id)), iid, result))
    return outcomes
