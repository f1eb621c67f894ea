"""Billing run: monthly timer, the run orchestrator (one sub-orchestration per hydraulic sector), chunk activities.

Orchestrations pass ids and counts only; the database holds the plan, the drafts and the progress.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.application.billing import chunk, periods, runs

bp = df.Blueprint()
log = logging.getLogger(__name__)
CHUNK_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


@bp.orchestration_trigger(context_name="context")
def billing_run_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job: dict[str, Any] = context.get_input()
    try:
        plan = yield context.call_activity("billing_plan_run", job)
        attempt = str(context.new_uuid())[:8]  # replay-safe; a re-run never collides with a still-running sector
        context.set_custom_status({"phase": "billing", "accounts": plan["accounts"], "sectors": len(plan["sectors"])})
        sectors = [
            context.call_sub_orchestrator(
                "billing_sector_orchestrator",
                {**job, "sector_id": s["sector_id"], "chunks": s["chunks"]},
                instance_id=f"{context.instance_id}:{s['code']}:{attempt}",
            )
            for s in plan["sectors"]
        ]
        results = yield context.task_all(sectors)
        summary = yield context.call_activity("billing_finish_run", job)
        context.set_custom_status({"phase": "completed", "sectors": results})
        return summary
    except Exception as exc:
        yield context.call_activity("billing_fail_run", {**job, "error": str(exc)})
        raise


@bp.orchestration_trigger(context_name="context")
def billing_sector_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job: dict[str, Any] = context.get_input()
    tasks = [
        context.call_activity_with_retry(
            "billing_bill_chunk",
            CHUNK_RETRY,
            {"tenant_id": job["tenant_id"], "run_id": job["run_id"], "sector_id": job["sector_id"], "chunk_no": n},
        )
        for n in range(job["chunks"])
    ]
    results = yield context.task_all(tasks)
    return {
        "sector_id": job["sector_id"],
        "chunks": len(results),
        "accounts": sum(r.get("accounts", 0) for r in results),
        "invoices": sum(r.get("invoices", 0) for r in results),
    }


@bp.activity_trigger(input_name="job")
def billing_plan_run(job: dict[str, Any]) -> dict[str, Any]:
    return runs.plan_run(tenant_id=job["tenant_id"], run_id=job["run_id"])


@bp.activity_trigger(input_name="job")
def billing_bill_chunk(job: dict[str, Any]) -> dict[str, Any]:
    return chunk.bill_chunk(
        tenant_id=job["tenant_id"], run_id=job["run_id"], sector_id=job["sector_id"], chunk_no=job["chunk_no"]
    )


@bp.activity_trigger(input_name="job")
def billing_finish_run(job: dict[str, Any]) -> dict[str, Any]:
    return runs.finish_run(tenant_id=job["tenant_id"], run_id=job["run_id"])


@bp.activity_trigger(input_name="job")
def billing_fail_run(job: dict[str, Any]) -> None:
    runs.fail_run(tenant_id=job["tenant_id"], run_id=job["run_id"], error=job.get("error", ""))


async def start_orchestration(client: df.DurableOrchestrationClient, started: runs.StartedRun) -> bool:
    """Start the run's orchestration unless an instance with its id is already running or completed."""
    status = await client.get_status(started.instance_id)
    state = getattr(status, "runtime_status", None)
    if state is not None and state.name in ("Running", "Pending", "Completed", "ContinuedAsNew"):
        return False
    await client.start_new("billing_run_orchestrator", started.instance_id, started.orchestration_input())
    return True


@bp.timer_trigger(arg_name="timer", schedule="%BILLING_SCHEDULE%", run_on_startup=False, use_monitor=True)
@bp.durable_client_input(client_name="client")
async def billing_timer(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Daily: each tenant whose run day is today bills the previous month (a double fire starts nothing twice)."""
    today = periods.local_date(datetime.now(UTC))
    for slug in runs.tenant_slugs():
        period = runs.due_today(tenant_slug=slug, today=today)
        if period is None:
            continue
        try:
            started = runs.start_run(tenant_slug=slug, period=period, started_by="timer")
        except runs.NoTariffInForce as exc:
            log.error("billing run not started", extra={"tenant": slug, "period": str(period), "reason": str(exc)})
            continue
        launched = await start_orchestration(client, started)
        log.info(
            "billing timer",
            extra={"tenant": slug, "period": str(period), "launched": launched, "instance_id": started.instance_id},
        )
