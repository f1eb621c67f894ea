"""A stamping round as production runs it: `start_stamping` then `cfdi_stamp_run_orchestrator` on the local runner's
Durable engine (activities in this process, so the services installed for the tenant are the ones used)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from uuid import UUID

import azure.durable_functions as df

from devtools.local_runner.durable.activities import InProcessActivityRunner
from devtools.local_runner.durable.engine import DurableEngine
from devtools.local_runner.durable.store import RuntimeStatus
from devtools.local_runner.index import FunctionIndex
from devtools.local_runner.invoke import FunctionInvoker
from functions import cfdi as cfdi_functions
from shared.application.cfdi import stamping
from shared.application.cfdi.services import CfdiServices, use_services

_app = df.DFApp()
_app.register_functions(cfdi_functions.bp)


def stamp_round(
    *,
    tenant_id: UUID | str,
    run_id: int,
    services: CfdiServices | None = None,
    chunk_size: int = stamping.CHUNK_SIZE,
    publish: bool = False,
    now: dt.datetime | None = None,
    attempts: int = 1,
) -> dict[str, Any]:
    """Run one round; returns the orchestration's summary. With `now` (a clock other than the real one, which the
    activities read), the round's chunks run here through the same use cases, at that moment."""
    if services is not None:
        use_services(str(tenant_id), services)
    if now is not None:
        return _at(tenant_id=tenant_id, run_id=run_id, services=services, chunk_size=chunk_size, now=now)
    opened = stamping.start_stamping(tenant_id=tenant_id, run_id=run_id)
    invoker = FunctionInvoker(threads=4, name="cfdi-round")
    index = FunctionIndex.of(_app)
    engine = DurableEngine(index, InProcessActivityRunner(index, invoker))
    try:
        options = {"chunk_size": chunk_size, "publish": publish, "retry_ms": 10, "attempts": attempts}
        engine.start_new(
            cfdi_functions.RUN_ORCHESTRATOR, json.dumps({**opened["input"], **options}), opened["instance_id"]
        )
        record = engine.wait_for(opened["instance_id"], 120)
    finally:
        engine.close()
        invoker.close()
    assert record.status is RuntimeStatus.COMPLETED, record.output
    return dict(record.output)


def _at(
    *, tenant_id: UUID | str, run_id: int, services: CfdiServices | None, chunk_size: int, now: dt.datetime
) -> dict[str, Any]:
    stamping.start_stamping(tenant_id=tenant_id, run_id=run_id)
    for sector_id, chunks in stamping.plan_run(tenant_id=tenant_id, run_id=run_id, chunk_size=chunk_size).items():
        for first_id, last_id, _n in chunks:
            try:
                stamping.stamp_chunk(
                    tenant_id=tenant_id,
                    run_id=run_id,
                    sector_id=sector_id,
                    first_id=first_id,
                    last_id=last_id,
                    services=services,
                    now=now,
                )
            except stamping.PacUnavailable:
                continue
    return stamping.finish_run(tenant_id=tenant_id, run_id=run_id)
