"""Fraud cases: opened from anomalies, reports or inspections; open → investigating → confirmed | dismissed →
closed; closing a confirmed case with back-billing posts an adjustment to the account ledger. Staff only."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, IdQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, AsciiNumber, Id, LocalDateTime, LongText, Out, Page
from shared.application.operations import fraud

router = APIRouter(prefix="/api/v1/fraud-cases", tags=["fraud cases"], responses=PROBLEM_RESPONSES)
Source = Literal["anomaly", "report", "inspection"]
Status = Literal["open", "investigating", "confirmed", "dismissed", "closed"]
OptionalId = Id | None


class FraudCaseOut(Out):
    id: int
    account_id: int | None
    toma_id: int | None
    source: Source
    status: Status
    description: str
    outcome: str | None
    back_billing_amount: Decimal | None
    opened_at: LocalDateTime
    closed_at: LocalDateTime | None


class FraudCaseIn(BaseModel):
    source: Source
    account_id: OptionalId = None
    toma_id: OptionalId = None
    description: LongText


class FraudTransitionIn(BaseModel):
    status: Status
    outcome: LongText | None = None
    back_billing_amount: Annotated[Decimal, AsciiNumber, Field(ge=0, max_digits=12, decimal_places=2)] | None = None


@router.get("", response_model=Page[FraudCaseOut], summary="List fraud cases")
def list_cases(
    *,
    p: Caller,
    status: Status | None = None,
    source: Source | None = None,
    account_id: IdQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = fraud.list_cases(
        principal=p, status=status, source=source, account_id=account_id, after=after_id(cursor), limit=limit + 1
    )
    return page(rows, limit)


@router.post("", response_model=FraudCaseOut, status_code=201, summary="Open a fraud case")
def open_case(
    *, p: Caller, body: FraudCaseIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=FraudCaseOut,
        action=lambda: fraud.open_case(principal=p, **body.model_dump()),
    )


@router.get("/{case_id}", response_model=FraudCaseOut, summary="A fraud case")
def get_case(*, p: Caller, case_id: IdPath) -> dict[str, Any]:
    return fraud.get_case(principal=p, case_id=case_id)


@router.post("/{case_id}/transitions", response_model=FraudCaseOut, summary="Move a fraud case")
def change_status(*, p: Caller, case_id: IdPath, body: FraudTransitionIn) -> dict[str, Any]:
    return fraud.change_status(
        principal=p,
        case_id=case_id,
        status=body.status,
        outcome=body.outcome,
        back_billing_amount=body.back_billing_amount,
        now=datetime.now(UTC),
    )
