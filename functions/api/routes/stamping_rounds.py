"""Stamping rounds of a billing run: start one (the first after issue, or a retry after a PAC outage) and follow it.

A round is a new instance of `cfdi_stamp_run_orchestrator`; documents are keyed by invoice, so a round sends only
what is still pending (the same signed bytes, never a second UUID). An unissued run is a 409, a missing one a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api.deps import Caller, IdPath
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES
from functions.cfdi import RUN_ORCHESTRATOR
from functions.durable_client import get_durable_client, orchestration_status
from shared.application.access.principal import BILLING_RUN, Principal
from shared.application.cfdi import stamping

router = APIRouter(prefix="/api/v1/billing-runs", tags=["cfdi"], responses=PROBLEM_RESPONSES)


class RoundOut(BaseModel):
    run_id: int
    round: int
    instance_id: str


class RoundStatusOut(BaseModel):
    run_id: int
    round: int
    instance_id: str | None
    status: str = Field(description="running | completed | incomplete (a new round finishes what is pending)")
    started_at: str | None
    completed_at: str | None
    documents: dict[str, Any] = Field(description="the run's issued invoices by the state of their CFDI, live")
    last_round: dict[str, Any]
    orchestration: dict[str, Any] | None = None


def _staff(p: Principal) -> None:
    if not p.can(BILLING_RUN):
        raise ProblemError(403, "forbidden", "Su rol no puede timbrar corridas de facturación.")


@router.post(
    "/{run_id}/stamping-rounds",
    status_code=202,
    response_model=RoundOut,
    summary="Start a stamping round of an issued run (first or retry)",
)
async def start_round(p: Caller, run_id: IdPath) -> JSONResponse:
    _staff(p)
    opened = await run_in_threadpool(stamping.start_stamping, tenant_id=p.tenant_id, run_id=run_id)
    await get_durable_client().start_new(RUN_ORCHESTRATOR, opened["instance_id"], opened["input"])
    out = RoundOut(run_id=run_id, round=opened["input"]["round"], instance_id=opened["instance_id"])
    return JSONResponse(
        out.model_dump(), status_code=202, headers={"Location": f"/api/v1/billing-runs/{run_id}/stamping-rounds/latest"}
    )


@router.get("/{run_id}/stamping-rounds/latest", response_model=RoundStatusOut, summary="Follow the latest round")
async def latest_round(p: Caller, run_id: IdPath) -> dict[str, Any]:
    _staff(p)
    status = await run_in_threadpool(stamping.round_status, tenant_id=p.tenant_id, run_id=run_id)
    if status["instance_id"]:
        status["orchestration"] = await orchestration_status(status["instance_id"])
    return status
