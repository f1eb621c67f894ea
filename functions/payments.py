"""Payments functions: apply queued webhook events, record poison messages, re-send stale inbox rows, detect broken
payment plans and run dunning, reconcile yesterday per channel."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.application import payments, queues
from shared.application.payments.ledger import all_tenants
from shared.domain.timezone import UTILITY_TZ
from shared.platform import context
from shared.platform.config import get_settings
from shared.platform.metrics import timer_run, tracked_job

bp = df.Blueprint()
log = logging.getLogger(__name__)


def _enqueue(message: dict[str, Any]) -> None:
    queues.send(queue=get_settings().QUEUE_PAYMENTS, message=context.carry(message))


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_PAYMENTS%", connection="AzureWebJobsStorage")
def apply_payment(msg: func.QueueMessage) -> None:
    """One webhook inbox row -> ledger. Raises on failure so the host retries, then poisons."""
    message = json.loads(msg.get_body())
    with context.bound_from(message), tracked_job(queue=get_settings().QUEUE_PAYMENTS):
        result = payments.process_inbox(
            tenant_id=message["tenant_id"], inbox_id=int(message["inbox_id"]), now=datetime.now(UTC)
        )
    log.info(
        "payment event applied",
        extra={
            "inbox_id": result.inbox_id,
            "outcome": result.outcome,
            "payments": result.payments,
            "reversals": result.reversals,
        },
    )


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_PAYMENTS%-poison", connection="AzureWebJobsStorage")
def payments_poison(msg: func.QueueMessage) -> None:
    """Keep the poisoned message with its last error for the operator's replay (never raises for bad bodies)."""
    try:
        payments.record_poison(raw=msg.get_body())
    except payments.UnroutablePoison:
        return


@bp.timer_trigger(arg_name="timer", schedule="0 * * * * *", run_on_startup=False, use_monitor=False)
def payments_inbox_redrive(timer: func.TimerRequest) -> None:
    with timer_run("payments_inbox_redrive"):
        sent = payments.redrive_stale_inbox(enqueue=_enqueue)
    if sent:
        log.warning("payments inbox redrive", extra={"sent": sent})


@bp.timer_trigger(arg_name="timer", schedule="%PAYMENT_PLAN_CHECK_SCHEDULE%", run_on_startup=False, use_monitor=True)
def payment_plans_check(timer: func.TimerRequest) -> None:
    """Daily: broken payment plans are detected and reported, then overdue accounts go through dunning."""
    now = datetime.now(UTC)
    today = now.astimezone(UTILITY_TZ).date()
    with timer_run("payment_plans_check"):
        _collections(now=now, today=today)


def _collections(*, now: datetime, today: date) -> None:
    for tenant_id in all_tenants():
        broken = payments.detect_broken_plans(tenant_id=tenant_id, today=today, now=now)
        swept = payments.dunning_sweep(tenant_id=tenant_id, today=today, now=now)
        log.info(
            "collections run",
            extra={"tenant_id": str(tenant_id), "broken_plans": len(broken), "accounts_evaluated": swept},
        )


@bp.timer_trigger(arg_name="timer", schedule="0 0 11 * * *", run_on_startup=False, use_monitor=True)
def payments_reconcile(timer: func.TimerRequest) -> None:
    """Daily at 05:00 Querétaro time: reconcile yesterday per provider and channel."""
    day = (datetime.now(UTC).astimezone(UTILITY_TZ) - timedelta(days=1)).date()
    with timer_run("payments_reconcile"):
        _reconcile(day=day)


def _reconcile(*, day: date) -> None:
    for tenant_id in all_tenants():
        reports = payments.reconcile_day(tenant_id=tenant_id, day=day)
        unbalanced = [f"{r.provider}/{r.channel}" for r in reports if not r.balanced]
        log.log(
            logging.WARNING if unbalanced else logging.INFO,
            "payments reconciliation",
            extra={"tenant_id": str(tenant_id), "day": day.isoformat(), "unbalanced": unbalanced},
        )
