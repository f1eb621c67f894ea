"""Billing runs: start (through the durable orchestration), follow progress (database counts and the
orchestration's custom status), review exceptions, approve (wakes the orchestration, which issues and stamps) or
hold."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api.deps import Caller, IdPath
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES
from functions.billing import start_orchestration, wake_after_approval
from functions.durable_client import get_durable_client, orchestration_status
from shared.application.access.principal import BILLING_RUN, Principal
from shared.application.billing import periods, runs

router = APIRouter(prefix="/api/v1", tags=["billing runs"], responses=PROBLEM_RESPONSES)


class StartRunIn(BaseModel):
    period: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Periodo AAAA-MM")]
    sector: Annotated[str | None, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")] = None
    back_billing: Annotated[
        bool, Field(strict=True, description="Required to bill a period that ended more than the tenant's window ago")
    ] = False


class StartRunOut(BaseModel):
    run_id: int
    instance_id: str
    period: str
    scope: str
    launched: bool = Field(description="false when the run's orchestration was already running or done")


class SectorProgress(BaseModel):
    sector: str
    accounts: int
    accounts_done: int
    chunks: int
    chunks_done: int


class RunProgressOut(BaseModel):
    run_id: int
    period: str
    scope: str
    status: str
    instance_id: str
    accounts_total: int
    accounts_done: int
    error: str | None
    sectors: list[SectorProgress]
    invoices: int
    estimated: int
    held: int
    issued: int
    total_billed: str
    started_at: str | None
    completed_at: str | None
    review_reason: str | None = None
    review: dict[str, Any] = Field(default_factory=dict)
    back_billing: bool = False
    approved_by: str | None = None
    approved_at: str | None = None
    issued_at: str | None = None
    orchestration: dict[str, Any] | None = Field(
        default=None, description="runtime status and custom status (phase and counts) of the run's orchestration"
    )


class HeldInvoiceOut(BaseModel):
    id: int
    account_id: int
    account_number: str
    exception_codes: list[str]
    held_reason: str | None
    consumption_m3: str
    estimated: bool
    total: str


class ApproveOut(BaseModel):
    run_id: int
    status: str
    instance_id: str = Field(description="the orchestration that issues and stamps the run")
    approved_by: str


class HoldIn(BaseModel):
    reason: Annotated[str, Field(min_length=3, max_length=300, pattern=r"^[^\x00]*\S[^\x00]*$")]


class ReviewIn(BaseModel):
    action: Literal["release", "hold"]


def _staff(p: Principal) -> None:
    if not p.can(BILLING_RUN):
        raise ProblemError(403, "forbidden", "Su rol no puede operar corridas de facturación.")


@router.post("/billing-runs", status_code=202, response_model=StartRunOut, summary="Start a billing run")
async def start_billing_run(p: Caller, body: StartRunIn) -> JSONResponse:
    _staff(p)
    started = await run_in_threadpool(
        runs.start_run,
        tenant_slug=p.tenant_slug,
        period=periods.parse_period(body.period),
        sector=body.sector,
        started_by=p.subject,
        back_billing=body.back_billing,
        now=datetime.now(UTC),
    )
    launched = await start_orchestration(get_durable_client(), started)
    out = StartRunOut(
        run_id=started.run_id,
        instance_id=started.instance_id,
        period=body.period,
        scope=started.scope,
        launched=launched,
    )
    return JSONResponse(
        out.model_dump(), status_code=202, headers={"Location": f"/api/v1/billing-runs/{started.run_id}"}
    )


@router.get("/billing-runs", response_model=list[RunProgressOut], summary="Recent billing runs")
def list_billing_runs(p: Caller) -> list[dict[str, Any]]:
    _staff(p)
    return runs.recent_runs(tenant_id=p.tenant_id)


@router.get("/billing-runs/{run_id}", response_model=RunProgressOut, summary="Progress of a billing run")
async def get_billing_run(p: Caller, run_id: IdPath) -> dict[str, Any]:
    _staff(p)
    progress = await run_in_threadpool(runs.progress, tenant_id=p.tenant_id, run_id=run_id)
    progress["orchestration"] = await orchestration_status(progress["instance_id"])
    return progress


@router.get(
    "/billing-runs/{run_id}/exceptions", response_model=list[HeldInvoiceOut], summary="Invoices held for review"
)
def billing_run_exceptions(p: Caller, run_id: IdPath) -> list[dict[str, Any]]:
    _staff(p)
    return runs.exceptions(tenant_id=p.tenant_id, run_id=run_id)


@router.post(
    "/billing-runs/{run_id}/approve",
    status_code=202,
    response_model=ApproveOut,
    summary="Approve a run waiting for approval: its orchestration issues and stamps it",
)
async def approve_billing_run(p: Caller, run_id: IdPath) -> JSONResponse:
    _staff(p)
    approved = await run_in_threadpool(
        runs.approve_run, tenant_id=p.tenant_id, run_id=run_id, reviewer=p.subject, now=datetime.now(UTC)
    )
    job = {"tenant_id": str(p.tenant_id), "run_id": run_id}
    instance_id = await wake_after_approval(get_durable_client(), approved, job)
    out = ApproveOut(run_id=run_id, status="approved", instance_id=instance_id, approved_by=p.subject)
    return JSONResponse(out.model_dump(), status_code=202, headers={"Location": f"/api/v1/billing-runs/{run_id}"})


@router.post("/billing-runs/{run_id}/hold", response_model=RunProgressOut, summary="Hold a run that is not approved")
def hold_billing_run(p: Caller, run_id: IdPath, body: HoldIn) -> dict[str, Any]:
    _staff(p)
    return runs.hold_run(
        tenant_id=p.tenant_id, run_id=run_id, reviewer=p.subject, reason=body.reason.strip(), now=datetime.now(UTC)
    )


@router.post("/invoices/{invoice_id}/review", status_code=204, summary="Release a held invoice or hold a draft")
def review_invoice(p: Caller, invoice_id: IdPath, body: ReviewIn) -> None:
    _staff(p)
    runs.review_invoice(
        tenant_id=p.tenant_id, invoice_id=invoice_id, action=body.action, reviewer=p.subject, now=datetime.now(UTC)
    )
