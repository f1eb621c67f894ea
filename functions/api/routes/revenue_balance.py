"""Sector water balance: macro-meter reads and authorised unbilled volumes (whole batch or nothing, each bad row
reported), the balance per sector and month with its 12-month trend and ranking, as JSON, CSV and PNG. Staff only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from functions.api.deps import Caller
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES
from shared.application import revenue
from shared.application.revenue import MacroReadsRejected, UnbilledRejected, parse_period

router = APIRouter(prefix="/api/v1/revenue", tags=["revenue"], responses=PROBLEM_RESPONSES)
Period = Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$", description="AAAA-MM")]
MAX_ROWS = 20_000


class MacroReadRow(BaseModel):
    sector: str
    meter: str
    read_from: str
    read_to: str
    start_read: str
    end_read: str


class MacroReadsIn(BaseModel):
    batch: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[\x21-\x7e]+$")]
    rows: Annotated[list[MacroReadRow], Field(min_length=1, max_length=MAX_ROWS)]


class UnbilledRow(BaseModel):
    sector: str
    period: str
    category: str
    volume_m3: str


class UnbilledIn(BaseModel):
    rows: Annotated[list[UnbilledRow], Field(min_length=1, max_length=MAX_ROWS)]


def _rejected(error: MacroReadsRejected | UnbilledRejected) -> ProblemError:
    return ProblemError(422, error.code, error.detail_es, extra={"errors": [p.to_dict() for p in error.problems]})


@router.post("/macro-reads", summary="Import macro-meter (district meter) reads: the whole batch or nothing")
def import_macro_reads(*, p: Caller, body: MacroReadsIn) -> dict[str, int]:
    try:
        return revenue.import_macro_reads(
            principal=p, rows=[r.model_dump() for r in body.rows], batch=body.batch, now=datetime.now(UTC)
        )
    except MacroReadsRejected as error:
        raise _rejected(error) from error


@router.post("/unbilled-authorised", summary="Record authorised unbilled volumes per sector, month and category")
def record_unbilled(*, p: Caller, body: UnbilledIn) -> dict[str, int]:
    try:
        return revenue.record_unbilled(principal=p, rows=[r.model_dump() for r in body.rows], now=datetime.now(UTC))
    except UnbilledRejected as error:
        raise _rejected(error) from error


@router.get("/water-balance", summary="Water balance per sector and month (12-month trend) and the sector ranking")
def water_balance(*, p: Caller, period: Period, sector: Annotated[str | None, Query(max_length=40)] = None) -> Any:
    return revenue.water_balance(principal=p, period=parse_period(period), sector=sector).to_dict()


@router.get("/water-balance.csv", summary="The water balance as CSV", response_class=Response)
def water_balance_csv(*, p: Caller, period: Period) -> Response:
    report = revenue.water_balance(principal=p, period=parse_period(period))
    return Response(
        revenue.balance_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="balance-hidrico-{period}.csv"'},
    )


@router.get(
    "/water-balance/{sector}.png", summary="The 12-month water balance chart of a sector", response_class=Response
)
def water_balance_png(*, p: Caller, sector: str, period: Period) -> Response:
    report = revenue.water_balance(principal=p, period=parse_period(period), sector=sector)
    return Response(revenue.balance_png(report, sector=sector), media_type="image/png")
