"""Tariff what-if: replay a span's invoices through a draft tariff on the durable fan-out (nothing real is
touched), then the report as JSON, CSV and PNG charts. Needs the tariffs permission (billing_admin)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions import revenue as durable
from functions.api.deps import Caller, IdPath
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES
from functions.durable_client import current_client, orchestration_status
from shared.application import revenue
from shared.application.revenue import whatif

router = APIRouter(prefix="/api/v1/revenue/tariff-what-if", tags=["revenue"], responses=PROBLEM_RESPONSES)


class WhatIfIn(BaseModel):
    period: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Último mes simulado, AAAA-MM")]
    months: Annotated[int, Field(ge=1, le=whatif.MAX_MONTHS)] = 1
    draft: Annotated[
        dict[str, Any] | list[dict[str, Any]],
        Field(description="Una tarifa, una lista de tarifas o {'schedules': [...]}, validadas como las reales"),
    ]


@router.post(
    "",
    status_code=202,
    summary="Start a tariff what-if over a period's (or a year's) invoices",
    responses={
        503: {
            "description": "Sin orquestador durable en esta instancia (reintente; Retry-After)",
            "content": {"application/problem+json": {}},
        }
    },
)
async def start(*, p: Caller, body: WhatIfIn) -> JSONResponse:
    args: dict[str, Any] = {
        "principal": p,
        "draft_text": json.dumps(body.draft),
        "period": revenue.parse_period(body.period),
        "months": body.months,
    }
    client = current_client.get()
    if client is None:
        # Refusals of the request itself first (403/422), then 503: no run is recorded that nothing would launch.
        await run_in_threadpool(lambda: whatif.check_whatif(**args))
        raise ProblemError(
            503,
            "durable_unavailable",
            "El orquestador de simulaciones no está disponible en esta instancia; intente de nuevo más tarde.",
            headers={"Retry-After": "30"},
        )
    started = await run_in_threadpool(lambda: whatif.start_whatif(**args, now=datetime.now(UTC)))
    launched = await durable.start_orchestration(client, started)
    return JSONResponse(
        {"run_id": started.run_id, "instance_id": started.instance_id, "status": started.status, "launched": launched},
        status_code=202,
        headers={"Location": f"/api/v1/revenue/tariff-what-if/{started.run_id}"},
    )


@router.get("/{run_id}", summary="A tariff what-if: progress and report")
async def get(*, p: Caller, run_id: IdPath) -> dict[str, Any]:
    found = await run_in_threadpool(whatif.get_whatif, principal=p, run_id=run_id)
    return {**found, "orchestration": await orchestration_status(found["instance_id"])}


@router.get("/{run_id}/report.csv", summary="The what-if report as CSV", response_class=Response)
def report_csv(*, p: Caller, run_id: IdPath) -> Response:
    found = whatif.get_whatif(principal=p, run_id=run_id)
    return Response(whatif.whatif_csv(found), media_type="text/csv; charset=utf-8")


Chart = Literal["by-class", "by-sector", "bill-changes", "affordability"]


@router.get("/{run_id}/{chart}.png", summary="A chart of the what-if report", response_class=Response)
def report_png(*, p: Caller, run_id: IdPath, chart: Chart) -> Response:
    found = whatif.get_whatif(principal=p, run_id=run_id)
    return Response(whatif.whatif_png(found, chart=chart), media_type="image/png")
