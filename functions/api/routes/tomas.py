"""Tomas (service connections)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter

from functions.api.deps import Caller, IdPath, IdQuery, TextQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, LocalDateTime, Out, Page
from shared.application.customers import places

router = APIRouter(prefix="/api/v1/tomas", tags=["tomas"], responses=PROBLEM_RESPONSES)
TomaStatus = Literal["active", "restricted", "suspended", "cancelled"]


class TomaOut(Out):
    id: int
    toma_number: str
    address_id: int
    sector_id: int
    tariff_class: str
    status: TomaStatus
    latitude: Decimal | None
    longitude: Decimal | None
    service_water: bool
    service_drainage: bool
    created_at: LocalDateTime


@router.get("", response_model=Page[TomaOut], summary="List tomas")
def list_tomas(
    *,
    p: Caller,
    status: TomaStatus | None = None,
    sector_id: IdQuery = None,
    toma_number: TextQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = places.list_tomas(
        principal=p,
        status=status,
        sector_id=sector_id,
        toma_number=toma_number,
        after=after_id(cursor),
        limit=limit + 1,
    )
    return page(rows, limit)


@router.get("/{toma_id}", response_model=TomaOut, summary="A toma")
def get_toma(*, p: Caller, toma_id: IdPath) -> dict[str, Any]:
    return places.get_toma(principal=p, toma_id=toma_id)
