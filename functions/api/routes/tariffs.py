"""Tariff schedules: operators create new versions (validated by the domain schema), everyone can list them and
quote or simulate a consumption."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, TextQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, AsciiNumber, LocalDateTime, Out, Page
from shared.application.customers import tariffs
from shared.domain.tariffs.schema import TariffSchedule

router = APIRouter(prefix="/api/v1/tariffs", tags=["tariffs"], responses=PROBLEM_RESPONSES)
TariffClass = Literal[
    "domestico", "domestico_popular", "domestico_residencial", "comercial", "industrial", "publico", "social"
]
QuoteDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 1, 1))]
M3 = Annotated[Decimal, AsciiNumber, Field(ge=0, le=Decimal("1000000"), max_digits=12, decimal_places=3)]
Uma = Annotated[Decimal, AsciiNumber, Field(gt=0, le=Decimal("100000"), max_digits=10, decimal_places=4)]


class ScheduleOut(Out):
    id: int
    name: str
    tariff_class: str
    version: int
    effective_from: date
    effective_to: date | None
    definition: dict[str, Any]
    created_by: str | None
    created_at: LocalDateTime


class QuoteIn(BaseModel):
    m3: M3
    on: QuoteDate | None = Field(None, description="Fecha local; omitida = inicio de vigencia de la tarifa")
    uma_value: Uma | None = None


class SimulateIn(BaseModel):
    tariff_class: TariffClass
    m3: M3
    on: QuoteDate
    uma_value: Uma | None = None


class QuoteOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    tariff_name: str
    tariff_class: str
    on: date
    m3: str
    billed_m3: str
    method: str
    lines: list[dict[str, Any]]
    subtotal: str
    tax_total: str
    total: str


@router.get("", response_model=Page[ScheduleOut], summary="List tariff schedules")
def list_schedules(
    *,
    p: Caller,
    tariff_class: TariffClass | None = None,
    on: Annotated[date | None, Query(description="In force on this local date")] = None,
    name: TextQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = tariffs.list_schedules(
        principal=p, tariff_class=tariff_class, on=on, name=name, after=after_id(cursor), limit=limit + 1
    )
    return page(rows, limit)


@router.post(
    "",
    response_model=ScheduleOut,
    status_code=201,
    summary="Create a tariff schedule version (the previous open-ended one of the class ends at its start)",
)
def create_schedule(
    *, p: Caller, body: TariffSchedule, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=ScheduleOut,
        action=lambda: tariffs.create_schedule(principal=p, definition=body.model_dump(mode="json")),
    )


@router.post("/simulate", response_model=QuoteOut, summary="Price a consumption with the schedule in force")
def simulate(*, p: Caller, body: SimulateIn) -> dict[str, Any]:
    return tariffs.simulate(
        principal=p, tariff_class=body.tariff_class, m3=body.m3, on=body.on, uma_value=body.uma_value
    )


@router.get("/{schedule_id}", response_model=ScheduleOut, summary="A tariff schedule")
def get_schedule(*, p: Caller, schedule_id: IdPath) -> dict[str, Any]:
    return tariffs.get_schedule(principal=p, schedule_id=schedule_id)


@router.post("/{schedule_id}/quote", response_model=QuoteOut, summary="Price a consumption with this schedule")
def quote(*, p: Caller, schedule_id: IdPath, body: QuoteIn) -> dict[str, Any]:
    return tariffs.quote_schedule(
        principal=p, schedule_id=schedule_id, m3=body.m3, on=body.on, uma_value=body.uma_value
    )
