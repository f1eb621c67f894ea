"""Monitoring timers: queue depths every minute (`queue_messages_waiting` per queue and poison queue) and the
worker process start counted once per process (`host_starts_total`, read by the restart-loop alert)."""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from shared.application.queue_metrics import sample_queue_depths
from shared.platform.metrics import host_starts_total, timer_run

bp = df.Blueprint()
host_starts_total.add(1)  # this module is imported once per worker process, by function_app


@bp.timer_trigger(arg_name="timer", schedule="0 * * * * *", run_on_startup=False, use_monitor=False)
def queue_depths(timer: func.TimerRequest) -> None:
    with timer_run("queue_depths"):
        sample_queue_depths()
