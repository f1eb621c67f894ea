"""Monitoring timers: queue depths and database health every minute, and the tenants whose billing day it is at the
billing timer's own schedule (`billing_runs_due_total`, read by the billing-no-invoices alert). Worker process
starts (`host_starts_total`, the restart-loop alert) are counted by shared.platform.telemetry.setup_telemetry."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from shared.application import queue_metrics, secret_expiry
from shared.platform.metrics import timer_run

bp = df.Blueprint()


@bp.timer_trigger(arg_name="timer", schedule="0 * * * * *", run_on_startup=False, use_monitor=False)
def queue_depths(timer: func.TimerRequest) -> None:
    with timer_run("queue_depths"):
        now = datetime.now(UTC)
        queue_metrics.sample_queue_depths()
        queue_metrics.sample_database(tables=now.minute == 0)
        if now.minute == 0:  # hourly: revenue; daily at 12:00 UTC: the average invoice (one scan of a period)
            queue_metrics.sample_business(now=now, invoices=now.hour == 12)


@bp.timer_trigger(arg_name="timer", schedule="%BILLING_SCHEDULE%", run_on_startup=False, use_monitor=True)
def billing_due_probe(timer: func.TimerRequest) -> None:
    with timer_run("billing_due_probe"):
        queue_metrics.record_billing_due(now=datetime.now(UTC))


@bp.timer_trigger(arg_name="timer", schedule="0 0 14 * * *", run_on_startup=False, use_monitor=True)
def secret_expiry_check(timer: func.TimerRequest) -> None:
    """Daily at 08:00 Querétaro: the rotation reminder (keyvault-secrets-expiring alert)."""
    with timer_run("secret_expiry_check"):
        secret_expiry.check_secret_expiry(now=datetime.now(UTC))
