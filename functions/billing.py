"""The monthly cycle as durable code: daily timer → `billing_run_orchestrator` (bill per sector, review policy,
wait for approval unless the policy auto-issues) → `billing_close_orchestrator` (issue, then stamp as the
`cfdi_stamp_run_orchestrator` sub-orchestration). Chunk activities bill; the database holds the plan, the drafts,
the run's state and the progress, so every step re-run is a no-op.

Orchestrations pass ids and counts only. Activities take the clock (`now`) here, in the interface.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.application.billing import chunk, periods, runs
from shared.application.cfdi import stamping
from shared.platform.context import carried

bp = df.Blueprint()
log = logging.getLogger(__name__)
CHUNK_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)
RUN_ORCHESTRATOR = "billing_run_orchestrator"
CLOSE_ORCHESTRATOR = "billing_close_orchestrator"
STAMP_ORCHESTRATOR = "cfdi_stamp_run_orchestrator"
APPROVAL_EVENT = "billing_run_approved"


def _ids(job: dict[str, Any]) -> dict[str, Any]:
    return {"tenant_id": job["tenant_id"], "run_id": job["run_id"], "correlation_id": job.get("correlation_id")}


@bp.orchestration_trigger(context_name="context", orchestration=RUN_ORCHESTRATOR)
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
        billed = (yield context.task_all(sectors)) if sectors else []  # the SDK yields None for task_all([])
        summary = yield context.call_activity("billing_finish_run", job)
    except Exception as exc:
        yield context.call_activity("billing_fail_run", {**job, "error": str(exc)})
        raise
    context.set_custom_status({"phase": "review", "accounts": plan["accounts"], "sectors": billed, **summary})
    review = yield context.call_activity("billing_review_run", job)
    counts = {"billing": summary, "review": review["review"]}
    if review["status"] == "awaiting_approval":
        context.set_custom_status({"phase": "awaiting_approval", "reason": review["review_reason"], **counts})
        hours = int(job.get("approval_timeout_hours") or review["approval_timeout_hours"])
        timer = context.create_timer(context.current_utc_datetime + timedelta(hours=hours))
        approval = context.wait_for_external_event(APPROVAL_EVENT)
        winner = yield context.task_any([approval, timer])
        if winner == approval:
            timer.cancel()
        else:
            after = yield context.call_activity("billing_approval_timed_out", {**_ids(job), "hours": hours})
            if after["status"] not in ("approved", "issued"):
                context.set_custom_status(
                    {"phase": "awaiting_approval", "timed_out": True, "reason": review["review_reason"], **counts}
                )
                return {"run_id": job["run_id"], "status": "awaiting_approval", "timed_out": True, **counts}
    context.set_custom_status({"phase": "closing", **counts})
    closed = yield context.call_sub_orchestrator(
        CLOSE_ORCHESTRATOR, job, instance_id=f"{context.instance_id}:close:{str(context.new_uuid())[:8]}"
    )
    context.set_custom_status({"phase": "done", **counts, **closed})
    return {"run_id": job["run_id"], "status": "issued", **counts, **closed}


@bp.orchestration_trigger(context_name="context", orchestration=CLOSE_ORCHESTRATOR)
def billing_close_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """An approved run: issue its drafts (gapless folios, ledger, invoice.issued events that drive the notices),
    then stamp (and publish, when asked) as a sub-orchestration. Started by the run orchestrator, or by an approval
    that arrives after the run orchestrator stopped waiting."""
    job: dict[str, Any] = context.get_input()
    context.set_custom_status({"phase": "issuing"})
    issued = yield context.call_activity("billing_issue_run", job)
    context.set_custom_status({"phase": "stamping", "issue": issued})
    round_ = yield context.call_activity("billing_open_stamp_round", job)
    stamped: dict[str, Any] = {"status": "skipped"}
    if round_ is not None:
        options = {k: job[k] for k in ("publish", "chunk_size", "retry_ms", "attempts") if k in job}
        stamped = yield context.call_sub_orchestrator(
            STAMP_ORCHESTRATOR,
            {"correlation_id": job.get("correlation_id"), **round_["input"], **options},
            instance_id=round_["instance_id"],
        )
    context.set_custom_status({"phase": "done", "issue": issued, "cfdi": stamped})
    return {"issue": issued, "cfdi": stamped}


@bp.orchestration_trigger(context_name="context")
def billing_sector_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job: dict[str, Any] = context.get_input()
    tasks = [
        context.call_activity_with_retry(
            "billing_bill_chunk",
            CHUNK_RETRY,
            {**_ids(job), "sector_id": job["sector_id"], "chunk_no": n},
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


def _now() -> datetime:
    return datetime.now(UTC)


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_plan_run(job: dict[str, Any]) -> dict[str, Any]:
    return runs.plan_run(tenant_id=job["tenant_id"], run_id=job["run_id"], now=_now())


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_bill_chunk(job: dict[str, Any]) -> dict[str, Any]:
    return chunk.bill_chunk(
        tenant_id=job["tenant_id"], run_id=job["run_id"], sector_id=job["sector_id"], chunk_no=job["chunk_no"]
    )


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_finish_run(job: dict[str, Any]) -> dict[str, Any]:
    return runs.finish_run(tenant_id=job["tenant_id"], run_id=job["run_id"], now=_now())


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_fail_run(job: dict[str, Any]) -> None:
    runs.fail_run(tenant_id=job["tenant_id"], run_id=job["run_id"], error=job.get("error", ""), now=_now())


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_review_run(job: dict[str, Any]) -> dict[str, Any]:
    return runs.review_run(tenant_id=job["tenant_id"], run_id=job["run_id"], now=_now())


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_approval_timed_out(job: dict[str, Any]) -> dict[str, Any]:
    return runs.approval_timed_out(tenant_id=job["tenant_id"], run_id=job["run_id"], now=_now(), hours=job["hours"])


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_issue_run(job: dict[str, Any]) -> dict[str, Any]:
    return runs.issue_run(tenant_id=job["tenant_id"], run_id=job["run_id"], now=_now(), reviewer="orchestrator")


@bp.activity_trigger(input_name="job")
@carried  # binds the correlation id (and tenant) the input carries
def billing_open_stamp_round(job: dict[str, Any]) -> dict[str, Any] | None:
    """A new stamping round for the issued run (None when the tenant stamps on payment, not at billing)."""
    if not stamping.stamps_at_billing(tenant_id=job["tenant_id"]):
        return None
    return stamping.start_stamping(tenant_id=job["tenant_id"], run_id=int(job["run_id"]))


# ------------------------------------------------------------------------------------------ durable client side
def _state(status: Any) -> str | None:
    state = getattr(status, "runtime_status", None)
    return None if state is None else str(state.name)


async def start_orchestration(client: df.DurableOrchestrationClient, started: runs.StartedRun) -> bool:
    """Start the run's orchestration unless an instance with its id is running, or completed for a run that needs
    nothing more (an awaiting run is restarted only through an approval)."""
    state = _state(await client.get_status(started.instance_id))
    if state in ("Running", "Pending", "ContinuedAsNew"):
        return False
    if state == "Completed" and started.status != "failed":
        return False
    await client.start_new(RUN_ORCHESTRATOR, started.instance_id, started.orchestration_input())
    return True


async def wake_after_approval(
    client: df.DurableOrchestrationClient, approved: dict[str, Any], job: dict[str, Any]
) -> str:
    """After `runs.approve_run` won: wake the run orchestration waiting for it, or (when it stopped waiting)
    start the closing orchestration. Returns the instance id that will issue the run."""
    instance_id = str(approved["instance_id"])
    if _state(await client.get_status(instance_id)) in ("Running", "Pending"):
        await client.raise_event(instance_id, APPROVAL_EVENT, {"by": approved["approved_by"]})
        return instance_id
    close_id = f"{instance_id}:close:{datetime.now(UTC):%Y%m%dT%H%M%S%f}"
    await client.start_new(CLOSE_ORCHESTRATOR, close_id, job)
    return close_id


@bp.timer_trigger(arg_name="timer", schedule="%BILLING_SCHEDULE%", run_on_startup=False, use_monitor=True)
@bp.durable_client_input(client_name="client")
async def billing_timer(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Daily: each tenant whose run day is today bills the previous month (a double fire starts nothing twice)."""
    now = datetime.now(UTC)
    today = periods.local_date(now)
    for slug in runs.tenant_slugs():
        period = runs.due_today(tenant_slug=slug, today=today)
        if period is None:
            continue
        try:
            started = runs.start_run(tenant_slug=slug, period=period, started_by="timer", now=now)
        except (runs.NoTariffInForce, periods.PeriodNotEnded) as exc:
            log.error("billing run not started", extra={"tenant": slug, "period": str(period), "reason": str(exc)})
            continue
        launched = await start_orchestration(client, started)
        log.info(
            "billing timer",
            extra={"tenant": slug, "period": str(period), "launched": launched, "instance_id": started.instance_id},
        )
