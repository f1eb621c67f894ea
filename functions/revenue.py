"""The tariff what-if as durable code: `revenue_whatif_orchestrator` plans account-range chunks, fans out one
`revenue_whatif_chunk` activity per chunk (with retry; a chunk already done is skipped), then finishes the report.
Activities pass ids and counts only; invoices are only read. Started by POST /api/v1/revenue/tariff-what-if."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df

from shared.application.revenue import whatif

bp = df.Blueprint()
CHUNK_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2000, max_number_of_attempts=3)


@bp.orchestration_trigger(context_name="context", orchestration=whatif.ORCHESTRATOR)
def revenue_whatif_orchestrator(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job: dict[str, Any] = context.get_input()
    ids = {"tenant_id": job["tenant_id"], "run_id": job["run_id"]}
    try:
        plan = yield context.call_activity("revenue_whatif_plan", job)
        context.set_custom_status({"phase": "replaying", "chunks": plan["chunks"]})
        tasks = [
            context.call_activity_with_retry("revenue_whatif_chunk", CHUNK_RETRY, {**ids, "chunk_no": n})
            for n in range(plan["chunks"])
        ]
        done = (yield context.task_all(tasks)) if tasks else []
        summary = yield context.call_activity("revenue_whatif_finish", ids)
    except Exception as exc:
        yield context.call_activity("revenue_whatif_fail", {**ids, "error": str(exc)})
        raise
    context.set_custom_status({"phase": "done", "chunks": len(done), **summary})
    return summary


@bp.activity_trigger(input_name="job")
def revenue_whatif_plan(job: dict[str, Any]) -> dict[str, int]:
    return whatif.plan_whatif(
        tenant_id=job["tenant_id"], run_id=int(job["run_id"]), chunk_size=int(job.get("chunk_size") or 5000)
    )


@bp.activity_trigger(input_name="job")
def revenue_whatif_chunk(job: dict[str, Any]) -> dict[str, Any]:
    return whatif.replay_chunk(tenant_id=job["tenant_id"], run_id=int(job["run_id"]), chunk_no=int(job["chunk_no"]))


@bp.activity_trigger(input_name="job")
def revenue_whatif_finish(job: dict[str, Any]) -> dict[str, Any]:
    return whatif.finish_whatif(tenant_id=job["tenant_id"], run_id=int(job["run_id"]), now=datetime.now(UTC))


@bp.activity_trigger(input_name="job")
def revenue_whatif_fail(job: dict[str, Any]) -> None:
    whatif.fail_whatif(tenant_id=job["tenant_id"], run_id=int(job["run_id"]), error=str(job.get("error", "")))


async def start_orchestration(client: df.DurableOrchestrationClient, started: whatif.StartedWhatIf) -> bool:
    """Start the run's orchestration unless it completed or an instance with its id is running."""
    if started.status == "completed":
        return False
    status = await client.get_status(started.instance_id)
    state = getattr(getattr(status, "runtime_status", None), "name", None)
    if state in ("Running", "Pending", "ContinuedAsNew"):
        return False
    await client.start_new(whatif.ORCHESTRATOR, started.instance_id, started.orchestration_input())
    return True
