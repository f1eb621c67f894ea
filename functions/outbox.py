"""Outbox relay (timer) and domain-event consumer (queue)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.application import dead_letters, maintenance, outbox, queues
from shared.platform.config import get_settings
from shared.platform.metrics import timer_run

bp = df.Blueprint()
log = logging.getLogger(__name__)


def _publish(batch: list[dict[str, Any]]) -> None:
    queues.send_all(queue=get_settings().QUEUE_DOMAIN_EVENTS, messages=batch)


@bp.timer_trigger(arg_name="timer", schedule="%OUTBOX_RELAY_SCHEDULE%", run_on_startup=False, use_monitor=False)
def outbox_relay(timer: func.TimerRequest) -> None:
    with timer_run("outbox_relay"):
        relayed = outbox.relay_pending(publish=_publish)
    log.info("outbox relay run", extra={"relayed": relayed, "past_due": timer.past_due})


@bp.queue_trigger(arg_name="msg", queue_name="%QUEUE_DOMAIN_EVENTS%", connection="AzureWebJobsStorage")
def domain_events_consumer(msg: func.QueueMessage) -> None:
    body, now = msg.get_body().decode("utf-8", errors="replace"), datetime.now(UTC)
    # counts the job, binds the event's correlation id, records a failure's error for the dead letter
    with dead_letters.guarded(queue=get_settings().QUEUE_DOMAIN_EVENTS, body=body, now=now):
        envelope = json.loads(body)
        ran = outbox.handle(envelope, now=now)
    log.info("domain event consumed", extra={"event_key": envelope.get("key"), "handlers_run": ran})


@bp.timer_trigger(arg_name="timer", schedule="0 30 7 * * *", run_on_startup=False, use_monitor=True)
def partition_maintenance(timer: func.TimerRequest) -> None:
    with timer_run("partition_maintenance"):
        created = maintenance.ensure_partitions_ahead(today=datetime.now(UTC).date())
    log.info("partition maintenance", extra={"partitions_created": created})
