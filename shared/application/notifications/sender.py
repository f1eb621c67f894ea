"""The notifications queue worker: claim requested notices, decide (quiet hours, rate limit, opt-out, phone,
template), send through WhatsApp and record one outcome per notice.

Queue message: {"type": "notices", "tenant_id": "...", "keys": ["bill_issued:123", ...]} (at most `BATCH` keys).
Each request row moves queued → sending (claimed, committed before any send) → sent / skipped (reason) / failed
(reason); quiet hours and the tenant's rate limit put it back to queued with `send_after`, and the release job
re-enqueues it when the wait is over. A redelivered message finds its rows finished and sends nothing. A worker
killed between the provider's acceptance and the record leaves rows 'sending': after `LEASE` they are sent again
unless a status webhook for them arrived (the key travels as biz_opaque_callback_data), so a kill repeats at most
the sends in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from shared.adapters.whatsapp import WhatsAppClient, WhatsAppError
from shared.application import queues
from shared.application.notifications import channel
from shared.data import db
from shared.data import notifications as store
from shared.data.notifications import Claimed, Outcome
from shared.data.records import platform
from shared.domain.notifications import policy as rules
from shared.domain.notifications import templates
from shared.domain.notifications.messages import whatsapp_number
from shared.platform.config import get_settings
from shared.platform.metrics import whatsapp_messages_sent_total

__all__ = [
    "BATCH",
    "LEASE",
    "NoticeReport",
    "enqueue_keys",
    "release_due",
    "send_notices",
]

log = logging.getLogger(__name__)

BATCH = 200  # keys per queue message
LEASE = timedelta(minutes=2)  # a claim older than this belongs to a dead worker
LOST_AFTER = timedelta(minutes=10)  # a queued request whose message is older than this was lost
MAX_ATTEMPTS = 6
SEND_CONCURRENCY = 8
FLUSH_EVERY = 16  # outcomes are recorded in groups as sends complete

Enqueue = Callable[[dict[str, Any]], None]


def _send_to_queue(message: dict[str, Any]) -> None:
    queues.send(queue=get_settings().QUEUE_NOTIFICATIONS, message=message)


def enqueue_keys(*, tenant_id: UUID | str, keys: Sequence[str], enqueue: Enqueue | None = None) -> int:
    """Send the keys to the notifications queue in messages of at most BATCH keys; returns the messages sent."""
    send = enqueue or _send_to_queue
    sent = 0
    for start in range(0, len(keys), BATCH):
        send({"type": "notices", "tenant_id": str(tenant_id), "keys": list(keys[start : start + BATCH])})
        sent += 1
    return sent


@dataclass
class NoticeReport:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    retrying: int = 0


@dataclass(frozen=True)
class _Plan:
    row: Claimed
    to: str
    rendered: templates.Rendered
    free_text: bool  # inside the 24-hour window: plain text; else the approved template


def _decide(row: Claimed, *, windows: dict[str, datetime], now: datetime, configured: bool) -> _Plan | Outcome:
    to = whatsapp_number(phone=row.phone)
    reason = (
        "no_account"
        if row.person_id is None
        else "opted_out"
        if row.opted_out
        else "no_valid_phone"
        if to is None
        else None
    )
    if reason is not None or to is None:
        return Outcome(row.id, "skipped", skip_reason=reason, to_phone=to)
    params = {str(k): str(v) for k, v in (row.params or {}).items()}
    params.setdefault("account_number", row.account_number or "")
    params.setdefault("reference", row.payment_reference or "")
    try:
        rendered = templates.render(kind=row.kind, params=params)
    except templates.TemplateError as exc:
        return Outcome(row.id, "failed", failure_reason=f"{exc.reason}: {exc}"[:300], to_phone=to)
    if not configured:
        return Outcome(row.id, "skipped", skip_reason="channel_not_configured", to_phone=to, body=rendered.text)
    free = rules.in_service_window(last_inbound_at=windows.get(to), now=now)
    if not free and rendered.template.approval != "approved":
        return Outcome(
            row.id,
            "failed",
            failure_reason=f"template_not_approved: {rendered.template.name} is {rendered.template.approval}",
            to_phone=to,
            body=rendered.text,
        )
    return _Plan(row, to, rendered, free)


def _send(wa: WhatsAppClient, plan: _Plan, *, now: datetime) -> Outcome:
    r, row = plan.rendered, plan.row
    try:
        if plan.free_text:
            if r.image_url:
                message_id = wa.send_image(to=plan.to, link=r.image_url, caption=r.text, reference=row.natural_key)
            else:
                message_id = wa.send_text(to=plan.to, body=r.text, reference=row.natural_key)
        else:
            message_id = wa.send_template(
                to=plan.to,
                name=r.template.name,
                language=templates.LANGUAGE,
                params=r.values,
                image_url=r.image_url,
                reference=row.natural_key,
            )
    except WhatsAppError as exc:
        if exc.retryable and row.attempts < MAX_ATTEMPTS:
            wait = timedelta(seconds=30 * 2 ** (row.attempts - 1))
            return Outcome(row.id, "queued", failure_reason=str(exc)[:300], to_phone=plan.to, send_after=now + wait)
        return Outcome(row.id, "failed", failure_reason=f"provider: {exc}"[:300], to_phone=plan.to, body=r.text)
    return Outcome(
        row.id,
        "sent",
        to_phone=plan.to,
        body=r.text,
        template=None if plan.free_text else r.template.name,
        provider_message_id=message_id,
    )


_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=SEND_CONCURRENCY, thread_name_prefix="notice-send")
    return _pool


def _count(outcomes: Iterable[Outcome], kinds: dict[int, Claimed], report: NoticeReport) -> None:
    for o in outcomes:
        if o.status == "sent":
            report.sent += 1
        elif o.status == "skipped":
            report.skipped += 1
        elif o.status == "failed":
            report.failed += 1
        else:
            report.retrying += 1
        row = kinds[o.id]
        template = o.template or (templates.CATALOGUE[row.kind].name if row.kind in templates.CATALOGUE else "none")
        whatsapp_messages_sent_total.add(1, {"kind": row.kind, "template": template, "status": o.status})


def _claim(
    *, tenant_id: UUID | str, keys: Sequence[str], now: datetime, report: NoticeReport
) -> tuple[list[Claimed], dict[str, datetime]]:
    """Claim the due rows of `keys` and apply quiet hours and the rate limit (deferred rows go back to queued);
    returns the rows to decide now and the 24-hour windows of their numbers."""
    with db.tenant_transaction(tenant_id) as conn:
        try:
            policy = rules.policy_from_config(platform.tenant_config(conn).get("notifications"))
        except ValueError:
            log.exception("tenant notifications config is invalid: using the defaults")
            policy = rules.NoticePolicy()
        claimed = store.claim(conn, keys=keys, now=now, lease=LEASE)
        if not claimed:
            return [], {}
        until = rules.quiet_until(now=now, policy=policy)
        if until is not None:
            store.defer(conn, ids=[r.id for r in claimed], until=until)
            report.deferred = len(claimed)
            return [], {}
        minute = rules.minute_of(now)
        before = store.count_sends(conn, minute=minute, wanted=len(claimed))
        allowed = rules.split_by_rate(wanted=len(claimed), already_sent=before, limit=policy.rate_per_minute)
        if allowed < len(claimed):
            late = claimed[allowed:]
            store.uncount_sends(conn, minute=minute, count=len(late))
            store.defer(conn, ids=[r.id for r in late], until=minute + timedelta(minutes=1))
            report.deferred = len(late)
            claimed = claimed[:allowed]
        phones = [p for p in (whatsapp_number(phone=r.phone) for r in claimed) if p]
        return claimed, store.last_inbound(conn, phones=phones)


def send_notices(*, tenant_id: UUID | str, keys: Sequence[str], now: datetime) -> NoticeReport:
    """Decide and send the requests of `keys` (one queue message). Rows finished before are left alone."""
    report = NoticeReport()
    claimed, windows = _claim(tenant_id=tenant_id, keys=keys, now=now, report=report)
    if not claimed:
        return report
    wa = channel.client()
    decided = [_decide(r, windows=windows, now=now, configured=wa is not None) for r in claimed]
    by_id = {r.id: r for r in claimed}
    pending: list[Outcome] = [d for d in decided if isinstance(d, Outcome)]
    plans = [d for d in decided if isinstance(d, _Plan)]

    def flush() -> None:
        if pending:
            with db.tenant_transaction(tenant_id) as conn:
                store.finish(conn, outcomes=pending, at=now)
            _count(pending, by_id, report)
            pending.clear()

    flush()
    if wa is None or not plans:
        return report
    futures = [_executor().submit(_send, wa, p, now=now) for p in plans]
    try:
        for future in as_completed(futures):
            pending.append(future.result())
            if len(pending) >= FLUSH_EVERY:
                flush()
    finally:
        flush()
    return report


def release_due(*, tenant_id: UUID | str, now: datetime, enqueue: Enqueue | None = None, limit: int = 20_000) -> int:
    """Re-enqueue requests whose wait is over (quiet hours, rate limit, retry backoff), whose queue message was
    lost, or whose worker died mid-send. Returns how many keys were enqueued."""
    with db.tenant_transaction(tenant_id) as conn:
        keys = store.keys_to_release(conn, now=now, lease=LEASE, limit=limit, lost_after=LOST_AFTER)
    enqueue_keys(tenant_id=tenant_id, keys=keys, enqueue=enqueue)
    return len(keys)
