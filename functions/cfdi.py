"""Durable stamping of a billing run: run orchestrator (one planning activity for the whole run) → one
sub-orchestrator per sector with its chunks → chunk activities.

The billing cycle runs it as a sub-orchestration of `billing_close_orchestrator` right after issuing; the API
(`POST /billing-runs/{id}/stamping-rounds`) and `manage.py cfdi stamp` start a new round (a retry) with the durable
client (`start_stamp_orchestration`). Activities receive ids and counts only. A chunk
that meets a PAC outage raises after saving (its documents stay signed/failed_retryable); the sector retries it with
`call_activity_with_retry`, and when retries run out the run completes as 'incomplete': a new round
(`start_stamp_orchestration` again) sends exactly the same signed bytes and adds no duplicate UUIDs.
Optional input: "retry_ms" (first retry interval, default 5000), "attempts" (default 3), "publish" (XML + PDF to
Blob Storage after stamping, default false: production publishes lazily, on the first download, and caches the
blob; see docs/cfdi.md), "chunk_size" (default 1000).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.application.cfdi import payments as _payments
from shared.application.cfdi import publishing, stamping
from shared.application.cfdi.corrections import poll_pending_cancellations
from shared.application.cfdi.setup import tenant_ids
from shared.platform.context import carried

bp = df.Blueprint()
log = logging.getLogger(__name__)

RUN_ORCHESTRATOR = "cfdi_stamp_run_orchestrator"
SECTOR_ORCHESTRATOR = "cfdi_stamp_sector_orchestrator"


async def start_stamp_orchestration(
    client: df.DurableOrchestrationClient, tenant_id: str, run_id: int, **options: Any
) -> str:
    """Open a new stamping round and start its orchestration; returns the instance id."""
    start = stamping.start_stamping(tenant_id=tenant_id, run_id=run_id)
    return str(await client.start_new(RUN_ORCHESTRATOR, start["instance_id"], {**start["input"], **options}))


@bp.orchestration_trigger(context_name="context", orchestration=RUN_ORCHESTRATOR)
def cfdi_stamp_run_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job = context.get_input()
    plan = yield context.call_activity("cfdi_plan_run", job)
    context.set_custom_status(
        {
            "stage": "stamping",
            "sectors": len(plan),
            "chunks": sum(len(c) for c in plan.values()),
            "round": job.get("round"),
        }
    )
    results = []
    if plan:  # the SDK yields None for task_all of nothing: with nothing to stamp, go straight to finish
        results = yield context.task_all(
            [
                context.call_sub_orchestrator(
                    SECTOR_ORCHESTRATOR,
                    {**job, "sector_id": int(s), "chunks": chunks},
                    instance_id=f"{context.instance_id}:s{s}",
                )
                for s, chunks in plan.items()
            ]
        )
    failed = [r["sector_id"] for r in results if r.get("failed")]
    summary = yield context.call_activity("cfdi_finish_run", {**job, "failed_sectors": failed})
    context.set_custom_status({"stage": "done", **summary})
    return summary


@bp.orchestration_trigger(context_name="context", orchestration=SECTOR_ORCHESTRATOR)
def cfdi_stamp_sector_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job = context.get_input()
    chunks = job["chunks"]
    retry = df.RetryOptions(
        first_retry_interval_in_milliseconds=int(job.get("retry_ms", 5000)),
        max_number_of_attempts=int(job.get("attempts", 3)),
    )
    retry.backoff_coefficient = 2.0
    payloads = [
        {
            "tenant_id": job["tenant_id"],
            "run_id": job["run_id"],
            "sector_id": job["sector_id"],
            "correlation_id": job.get("correlation_id"),
            "first_id": c[0],
            "last_id": c[1],
        }
        for c in chunks
    ]
    result: dict[str, Any] = {"sector_id": job["sector_id"], "chunks": len(chunks), "failed": False}
    try:
        counts = yield context.task_all(
            [context.call_activity_with_retry("cfdi_stamp_chunk", retry, p) for p in payloads]
        )
        result["stamped"] = sum(c["stamped"] for c in counts)
    except Exception as exc:
        result["failed"] = True
        result["error"] = str(exc)[:500]
    if job.get("publish", False):
        yield context.task_all([context.call_activity("cfdi_publish_chunk", p) for p in payloads])
    return result


@bp.activity_trigger(input_name="job", activity="cfdi_plan_run")
@carried
def cfdi_plan_run(job: dict[str, Any]) -> dict[str, list[list[int]]]:
    """{sector_id (as text: JSON keys): chunks} of what is still to stamp."""
    plan = stamping.plan_run(
        tenant_id=job["tenant_id"],
        run_id=int(job["run_id"]),
        chunk_size=int(job.get("chunk_size", stamping.CHUNK_SIZE)),
    )
    return {str(sector): chunks for sector, chunks in plan.items()}


@bp.activity_trigger(input_name="job", activity="cfdi_stamp_chunk")
@carried
def cfdi_stamp_chunk(job: dict[str, Any]) -> dict[str, int]:
    return stamping.stamp_chunk(
        tenant_id=job["tenant_id"],
        run_id=int(job["run_id"]),
        sector_id=int(job["sector_id"]),
        first_id=int(job["first_id"]),
        last_id=int(job["last_id"]),
        now=dt.datetime.now(dt.UTC),
    )


@bp.activity_trigger(input_name="job", activity="cfdi_publish_chunk")
@carried
def cfdi_publish_chunk(job: dict[str, Any]) -> dict[str, int]:
    return publishing.publish_chunk(
        tenant_id=job["tenant_id"],
        run_id=int(job["run_id"]),
        first_id=int(job["first_id"]),
        last_id=int(job["last_id"]),
    )


@bp.activity_trigger(input_name="job", activity="cfdi_finish_run")
@carried
def cfdi_finish_run(job: dict[str, Any]) -> dict[str, Any]:
    return stamping.finish_run(
        tenant_id=job["tenant_id"],
        run_id=int(job["run_id"]),
        extra={"failed_sectors": job.get("failed_sectors", []), "round": job.get("round")},
    )


@bp.timer_trigger(arg_name="timer", schedule="0 */15 * * * *", run_on_startup=False, use_monitor=True)
def cfdi_cancellation_poll(timer: func.TimerRequest) -> None:
    """Every 15 minutes: ask SAT for the status of cancellations in progress, for every tenant."""
    tenants = tenant_ids()
    for tenant_id in tenants:
        try:
            done = poll_pending_cancellations(tenant_id=tenant_id)
        except Exception:
            log.exception("cancellation poll failed", extra={"tenant_id": str(tenant_id)})
            continue
        if done:
            log.info("cancellations confirmed", extra={"tenant_id": str(tenant_id), "cancelled": done})


@bp.timer_trigger(arg_name="timer", schedule="0 0 7 1 * *", run_on_startup=False, use_monitor=True)
def cfdi_global_invoice(timer: func.TimerRequest) -> None:
    """01:00 Mexico City on the 1st: the previous month's factura global for tenants on the on_payment model
    (SAT allows it within the 24 hours after the month closes)."""
    tenants = tenant_ids()
    now = dt.datetime.now(dt.UTC)
    issued = _payments.issue_due_global_invoices(today=now.date(), now=now, tenant_ids=tenants)
    log.info("global invoices", extra={"tenants": len(issued)})
