"""Meters, with the toma they are installed at now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from functions.api.deps import Caller, IdPath, IdQuery, TextQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, LocalDateTime, Out, Page
from shared.application.customers import places

router = APIRouter(prefix="/api/v1/meters", tags=["meters"], responses=PROBLEM_RESPONSES)


class MeterOut(Out):
    id: int
    serial: str
    brand: str | None
    dials: int
    current_toma_id: int | None
    installed_at: LocalDateTime | None


@router.get("", response_model=Page[MeterOut], summary="List meters")
def list_meters(
    *, p: Caller, serial: TextQuery = None, toma_id: IdQuery = None, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    rows = places.list_meters(principal=p, serial=serial, toma_id=toma_id, after=after_id(cursor), limit=limit + 1)
    return page(rows, limit)


@router.get("/{meter_id}", response_model=MeterOut, summary="A meter")
def get_meter(*, p: Caller, meter_id: IdPath) -> dict[str, Any]:
    return places.get_meter(principal=p, meter_id=meter_id)
