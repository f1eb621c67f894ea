"""Dead letters: nothing that fails on a queue is lost.

- `guarded(queue=..., body=...)` wraps a queue consumer: counts the job (active/completed/failed/duration), binds
  the message's correlation id and tenant, and records each failed attempt's error (masked) before re-raising, so
  the host retries and, after `maxDequeueCount` (host.json: 5), moves the message to `<queue>-poison`.
- `record_poison(queue=..., body=...)` is what every poison trigger calls (functions/poison.py): the message is
  kept with its last error, counted (`queue_poison_messages_total`, which the queue-poison alert watches) and
  logged as an error.
- `replay(queue=..., ids=..., now=...)` runs open dead letters again: in process through the queue's replayer
  (domain events: `outbox.handle`, which runs each consumer once per event key) or, for a queue without one, by
  sending the body back to the queue; notifications: the notifications worker. A replayed letter is closed, so
  replaying again is a no-op. The payments queue keeps its own poison path (shared.application.payments.poison);
  `replay` delegates to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.application import outbox, queues
from shared.data import db
from shared.data import dead_letters as data
from shared.data.dead_letters import DeadLetter
from shared.domain.errors import Invalid
from shared.platform import context
from shared.platform.config import get_settings
from shared.platform.metrics import queue_dead_letters_replayed_total, queue_poison_messages_total, tracked_job
from shared.platform.pii import mask_text

__all__ = [
    "DeadLetter",
    "ReplayOutcome",
    "UnknownQueue",
    "dead_letter_queues",
    "guarded",
    "list_letters",
    "open_counts",
    "record_failure",
    "record_poison",
    "register_replayer",
    "replay",
]

log = logging.getLogger(__name__)
Replayer = Callable[[str, datetime], str]
_replayers: dict[str, Replayer] = {}


class UnknownQueue(Invalid, ValueError):
    """The queue named is not one of the app's queues."""

    default_code = "unknown_queue"


@dataclass(frozen=True)
class ReplayOutcome:
    queue: str
    letter_id: int
    result: str
    succeeded: bool


def _replay_domain_event(body: str, now: datetime) -> str:
    ran = outbox.handle(json.loads(body), now=now)
    return f"applied ({ran} consumers ran)"


def _replay_notification(body: str, now: datetime) -> str:
    from shared.application.notifications import worker  # the notifications queue's consumer (idempotent per key)

    return f"applied ({worker.handle(json.loads(body), now=now)!r})"


def register_replayer(queue: str, replayer: Replayer) -> None:
    """Replay `queue`'s letters in process with `replayer(body, now) -> result` (raises to fail the replay)."""
    _replayers[queue] = replayer


def dead_letter_queues() -> list[str]:
    """Every queue of the app (each has a poison handler in functions/poison.py or its own)."""
    s = get_settings()
    return [s.QUEUE_DOMAIN_EVENTS, s.QUEUE_PAYMENTS, s.QUEUE_NOTIFICATIONS]


def _sha(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _routing(body: str) -> tuple[UUID | None, str | None]:
    try:
        message = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(message, dict):
        return None, None
    tenant: UUID | None
    try:
        tenant = UUID(str(message.get("tenant_id"))) if message.get("tenant_id") else None
    except ValueError:
        tenant = None
    cid = message.get("correlation_id")
    return tenant, cid if isinstance(cid, str) else None


def record_failure(*, queue: str, body: str, error: BaseException | str, now: datetime) -> None:
    """Keep a failed attempt's error. Never raises: when the database is the failure, the log line is the record."""
    text = mask_text(error if isinstance(error, str) else f"{type(error).__name__}: {error}")
    tenant, cid = _routing(body)
    try:
        with db.connection() as conn, conn.transaction():
            data.record_failure(
                conn,
                queue=queue,
                body_sha256=_sha(body),
                body=body,
                tenant_id=tenant,
                correlation_id=cid,
                error=text,
                at=now,
            )
    except Exception:
        log.exception("could not record a failed queue message", extra={"queue": queue, "failure": text})


@contextlib.contextmanager
def guarded(*, queue: str, body: str, now: datetime) -> Iterator[None]:
    """Around one queue message: context bound, job counted, a failure recorded and re-raised."""
    _, cid = _routing(body)
    with context.bound(correlation=cid), tracked_job(queue=queue):
        try:
            yield
        except Exception as exc:
            record_failure(queue=queue, body=body, error=exc, now=now)
            raise


def record_poison(*, queue: str, body: str, now: datetime) -> DeadLetter:
    """The poison trigger's record (idempotent per queue and body): stored, counted, logged as an error."""
    tenant, cid = _routing(body)
    with context.bound(correlation=cid), db.connection() as conn, conn.transaction():
        letter = data.record_poison(
            conn, queue=queue, body_sha256=_sha(body), body=body, tenant_id=tenant, correlation_id=cid, at=now
        )
    queue_poison_messages_total.add(1, {"queue": queue})
    log.error(
        "queue message dead-lettered",
        extra={"queue": queue, "dead_letter_id": letter.id, "attempts": letter.attempts, "error": letter.error},
    )
    return letter


def list_letters(*, queue: str | None = None, include_replayed: bool = False) -> list[DeadLetter]:
    with db.connection() as conn, conn.transaction():
        return data.letters(conn, queue=queue, include_replayed=include_replayed)


def open_counts() -> dict[str, int]:
    with db.connection() as conn, conn.transaction():
        return data.open_counts(conn)


def _resend(queue: str) -> Replayer:
    def resend(body: str, now: datetime) -> str:
        queues.send(queue=queue, message=json.loads(body))
        return "sent back to the queue"

    return resend


def _replay_payments(*, ids: list[int] | None, now: datetime) -> list[ReplayOutcome]:
    from shared.application.payments.poison import replay_poison  # the payments queue's own poison path

    outcomes = []
    targets: list[int | None] = list(ids) if ids else [None]
    for tenant_id in db.tenant_ids():
        for inbox_id in targets:
            for o in replay_poison(tenant_id=tenant_id, now=now, inbox_id=inbox_id):
                ok = not o.result.startswith("failed")
                outcomes.append(ReplayOutcome(get_settings().QUEUE_PAYMENTS, o.inbox_id, o.result, ok))
    return outcomes


def replay(*, queue: str, now: datetime, ids: list[int] | None = None) -> list[ReplayOutcome]:
    """Replay the open dead letters of `queue` (all, or `ids`) once each; returns what happened to each. A second
    replay finds them closed; two replays racing run a letter twice, which the consumers' natural keys absorb."""
    settings = get_settings()
    if queue not in dead_letter_queues() and queue not in _replayers:
        raise UnknownQueue(f"unknown queue {queue!r} (known: {', '.join(dead_letter_queues())})")
    if queue == settings.QUEUE_PAYMENTS:
        return _replay_payments(ids=ids, now=now)
    in_process = {
        settings.QUEUE_DOMAIN_EVENTS: _replay_domain_event,
        settings.QUEUE_NOTIFICATIONS: _replay_notification,
    }
    replayer = _replayers.get(queue) or in_process.get(queue) or _resend(queue)
    outcomes = []
    with db.connection() as conn, conn.transaction():
        pending = data.open_letters(conn, queue=queue, ids=ids)
    for letter in pending:  # no connection is held while the replayer runs (it takes its own)
        with context.bound(correlation=letter.correlation_id):
            try:
                result, ok = replayer(letter.body, now), True
            except Exception as exc:
                result, ok = mask_text(f"failed: {type(exc).__name__}: {exc}"), False
        with db.connection() as conn, conn.transaction():
            data.mark_replay(conn, letter_id=letter.id, at=now, result=result, succeeded=ok)
        queue_dead_letters_replayed_total.add(1, {"queue": queue, "result": "applied" if ok else "failed"})
        log.log(logging.INFO if ok else logging.ERROR, "dead letter replayed", extra={"queue": queue, "result": result})
        outcomes.append(ReplayOutcome(queue, letter.id, result, ok))
    return outcomes
