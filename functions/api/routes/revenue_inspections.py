"""Inspection candidates (ranked, with their signals and evidence), inspection work orders created from the list,
and the inspection's outcome (fraud confirmed / meter fault / no finding), which feeds a fraud case and prices the
back-bill or the credits month by month. Staff only; the outcome needs the back-billing permission."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from functions.api.deps import Caller, IdPath
from functions.api.schemas import PROBLEM_RESPONSES
from shared.application import revenue

router = APIRouter(prefix="/api/v1/revenue", tags=["revenue"], responses=PROBLEM_RESPONSES)
PeriodText = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="AAAA-MM")]
PeriodQuery = Annotated[str, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="AAAA-MM")]


@router.get("/inspection-candidates", summary="Ranked inspection candidates with their signals and evidence")
def candidates(
    *,
    p: Caller,
    period: PeriodQuery,
    sector: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> dict[str, Any]:
    found = revenue.inspection_candidates(principal=p, period=revenue.parse_period(period), sector=sector)
    return found.to_dict(limit=limit)


class InspectionsIn(BaseModel):
    period: PeriodText
    account_ids: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=5000)] | None = None
    top: Annotated[int, Field(ge=1, le=5000)] | None = None


@router.post("/inspections", status_code=201, summary="Create inspection work orders from the candidate list")
def create_inspections(*, p: Caller, body: InspectionsIn) -> dict[str, Any]:
    return revenue.create_inspection_orders(
        principal=p,
        period=revenue.parse_period(body.period),
        account_ids=body.account_ids,
        top=body.top,
        now=datetime.now(UTC),
    )


@router.get("/inspections", summary="Inspection work orders with their evidence and outcome")
def list_inspections(*, p: Caller, period: PeriodQuery | None = None) -> list[dict[str, Any]]:
    return revenue.list_inspections(principal=p, period=revenue.parse_period(period) if period else None)


class AssessedMonth(BaseModel):
    period: PeriodText
    assessed_m3: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=3)]


class OutcomeIn(BaseModel):
    outcome: Literal["fraud_confirmed", "meter_fault", "no_finding"]
    months: Annotated[list[AssessedMonth], Field(max_length=120)] = []
    notes: Annotated[str, Field(max_length=1000, pattern=r"^[^\x00]*$")] = ""


@router.post("/inspections/{work_order_id}/outcome", summary="Record an inspection's outcome")
def record_outcome(*, p: Caller, work_order_id: IdPath, body: OutcomeIn) -> dict[str, Any]:
    return revenue.record_inspection_outcome(
        principal=p,
        work_order_id=work_order_id,
        outcome=body.outcome,
        assessed=[(revenue.parse_period(m.period), m.assessed_m3) for m in body.months],
        notes=body.notes,
        now=datetime.now(UTC),
    )
