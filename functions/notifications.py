"""Notifications functions: the notifications queue trigger (notice requests and inbound conversation messages),
the release timer (waits that ended, lost messages, claims of dead workers) and the daily reminders timer.
The poison queue is recorded by functions/poison.py."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from shared.application import dead_letters
from shared.application.notifications import producers, sender, worker
from shared.application.payments.ledger import all_tenants
from shared.domain.timezone import UTILITY_TZ
from shared.platform.config import get_settings
from shared.platform.metrics import timer_run

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_NOTIFICATIONS%", connection="AzureWebJobsStorage")
def notifications_worker(msg: func.QueueMessage) -> None:
    """Raises on failure (bad JSON, unknown type, database down) so the host retries, then poisons."""
    body, now = msg.get_body().decode("utf-8", errors="replace"), datetime.now(UTC)
    # counts the job, binds the message's correlation id, records a failure's error for the dead letter
    with dead_letters.guarded(queue=get_settings().QUEUE_NOTIFICATIONS, body=body, now=now):
        result = worker.handle(json.loads(body), now=now)
    log.info("notifications message handled", extra={"result": repr(result)})


@bp.timer_trigger(
    arg_name="timer", schedule="%NOTIFICATIONS_RELEASE_SCHEDULE%", run_on_startup=False, use_monitor=False
)
def notifications_release(timer: func.TimerRequest) -> None:
    now = datetime.now(UTC)
    with timer_run("notifications_release"):
        for tenant_id in all_tenants():
            released = sender.release_due(tenant_id=tenant_id, now=now)
            if released:
                log.info("notifications released", extra={"tenant_id": str(tenant_id), "released": released})


@bp.timer_trigger(
    arg_name="timer", schedule="%NOTIFICATIONS_REMINDER_SCHEDULE%", run_on_startup=False, use_monitor=True
)
def notifications_reminders(timer: func.TimerRequest) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(UTILITY_TZ).date()
    with timer_run("notifications_reminders"):
        for tenant_id in all_tenants():
            queued = producers.queue_reminders(tenant_id=tenant_id, today=today, now=now)
            log.info("due-date reminders requested", extra={"tenant_id": str(tenant_id), "requested": queued})
