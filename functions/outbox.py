"""Outbox relay (timer) and domain-event consumer (queue)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.application import maintenance, outbox, queues
from shared.platform.config import get_settings
from shared.platform.metrics import queue_jobs_completed_total

bp = df.Blueprint()
log = logging.getLogger(__name__)


def _publish(batch: list[dict[str, Any]]) -> None:
    queues.send_all(queue=get_settings().QUEUE_DOMAIN_EVENTS, messages=batch)


@bp.timer_trigger(arg_name="timer", schedule="%OUTBOX_RELAY_SCHEDULE%", run_on_startup=False, use_monitor=False)
def outbox_relay(timer: func.TimerRequest) -> None:
    relayed = outbox.relay_pending(publish=_publish)
    log.info("outbox relay run", extra={"relayed": relayed, "past_due": timer.past_due})


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_DOMAIN_EVENTS%", connection="AzureWebJobsStorage")
def domain_events_consumer(msg: func.QueueMessage) -> None:
    envelope = json.loads(msg.get_body())
    ran = outbox.handle(envelope, now=datetime.now(UTC))
    queue_jobs_completed_total.add(1, {"queue": "domain-events"})
    log.info("domain event consumed", extra={"event_key": envelope.get("key"), "handlers_run": ran})


@bp.timer_trigger(arg_name="timer", schedule="0 30 7 * * *", run_on_startup=False, use_monitor=True)
def partition_maintenance(timer: func.TimerRequest) -> None:
    created = maintenance.ensure_partitions_ahead(today=datetime.now(UTC).date())
    log.info("partition maintenance", extra={"partitions_created": created})
