"""Work orders: leak reports (customers too), meter exchanges, inspections, restriction, suspension and
reconnection; status workflow open → assigned → in_progress → done (or cancelled) with SLA timestamps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, IdQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, Id, LocalDateTime, LongText, Out, Page, ShortText
from shared.application.operations import work_orders

router = APIRouter(prefix="/api/v1/work-orders", tags=["work orders"], responses=PROBLEM_RESPONSES)
Kind = Literal[
    "leak_report", "meter_exchange", "inspection", "restriction", "suspension", "reconnection", "reading_check"
]
Status = Literal["open", "assigned", "in_progress", "done", "cancelled"]
Priority = Literal["low", "normal", "high", "urgent"]
OptionalId = Id | None


class WorkOrderOut(Out):
    id: int
    kind: Kind
    status: Status
    priority: Priority
    account_id: int | None
    toma_id: int | None
    reason: str
    assigned_to: str | None
    created_at: LocalDateTime
    due_at: LocalDateTime | None = Field(description="Vencimiento del SLA")
    started_at: LocalDateTime | None
    completed_at: LocalDateTime | None


class WorkOrderIn(BaseModel):
    kind: Kind
    priority: Priority = "normal"
    account_id: OptionalId = None
    toma_id: OptionalId = None
    reason: LongText


class TransitionIn(BaseModel):
    status: Status
    assigned_to: ShortText | None = None


@router.get("", response_model=Page[WorkOrderOut], summary="List work orders")
def list_work_orders(
    *,
    p: Caller,
    status: Status | None = None,
    kind: Kind | None = None,
    account_id: IdQuery = None,
    toma_id: IdQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = work_orders.list_work_orders(
        principal=p,
        status=status,
        kind=kind,
        account_id=account_id,
        toma_id=toma_id,
        after=after_id(cursor),
        limit=limit + 1,
    )
    return page(rows, limit)


@router.post("", response_model=WorkOrderOut, status_code=201, summary="Create a work order (e.g. report a leak)")
def create_work_order(
    *, p: Caller, body: WorkOrderIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    natural_key = f"api:{p.subject}:{idempotency_key}" if idempotency_key else f"api:{uuid.uuid4().hex}"

    def action() -> Any:
        row, _created = work_orders.create_work_order(
            principal=p, natural_key=natural_key, now=datetime.now(UTC), **body.model_dump()
        )
        return row

    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=WorkOrderOut,
        action=action,
    )


@router.get("/{work_order_id}", response_model=WorkOrderOut, summary="A work order")
def get_work_order(*, p: Caller, work_order_id: IdPath) -> dict[str, Any]:
    return work_orders.get_work_order(principal=p, work_order_id=work_order_id)


@router.post("/{work_order_id}/transitions", response_model=WorkOrderOut, summary="Move a work order")
def change_status(*, p: Caller, work_order_id: IdPath, body: TransitionIn) -> dict[str, Any]:
    return work_orders.change_status(
        principal=p,
        work_order_id=work_order_id,
        status=body.status,
        assigned_to=body.assigned_to,
        now=datetime.now(UTC),
    )
