"""Poison queues: every queue of the app has a trigger on `<queue>-poison` that keeps the message as a dead letter
(with the last error its consumer recorded), counts it and logs an error; `manage.py queues replay` replays them.

The payments queue has its own poison trigger (functions/payments.py, `payments.record_poison`) because its
messages point at webhook inbox rows; its replay goes through the same `manage.py queues replay` command.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from shared.application import dead_letters
from shared.platform.config import get_settings

log = logging.getLogger(__name__)


def add_poison_trigger(bp: df.Blueprint, *, queue: str, setting: str | None = None) -> None:
    """Register `<queue>-poison` -> dead letter on `bp`. `setting` names the app setting holding the queue name
    (the trigger then reads `%SETTING%-poison`, as the host resolves it); `queue` is the name recorded."""
    function_name = f"poison_{queue.replace('-', '_')}"
    queue_name = f"%{setting}%-poison" if setting else f"{queue}-poison"

    @bp.function_name(function_name)
    @bp.queue_trigger(arg_name="msg", queue_name=queue_name, connection="AzureWebJobsStorage")
    def poison(msg: func.QueueMessage) -> None:
        body = msg.get_body().decode("utf-8", errors="replace")
        name = str(getattr(get_settings(), setting)) if setting else queue
        dead_letters.record_poison(queue=name, body=body, now=datetime.now(UTC))


bp = df.Blueprint()
add_poison_trigger(bp, queue="domain-events", setting="QUEUE_DOMAIN_EVENTS")
add_poison_trigger(bp, queue="notifications", setting="QUEUE_NOTIFICATIONS")
