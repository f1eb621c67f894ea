"""Addresses (domicilios) of tomas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, TextQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, Out, Page, ShortText, Text
from shared.application.customers import places

router = APIRouter(prefix="/api/v1/addresses", tags=["addresses"], responses=PROBLEM_RESPONSES)
PostalCode = Annotated[str, Field(pattern=r"^[0-9]{5}$")]


class AddressOut(Out):
    id: int
    street: str
    ext_number: str | None
    int_number: str | None
    colonia: str | None
    municipality: str
    state: str
    postal_code: str


class AddressIn(BaseModel):
    street: Text
    ext_number: ShortText | None = None
    int_number: ShortText | None = None
    colonia: Text | None = None
    municipality: ShortText = "Querétaro"
    state: ShortText = "Querétaro"
    postal_code: PostalCode


@router.get("", response_model=Page[AddressOut], summary="List addresses")
def list_addresses(
    *, p: Caller, postal_code: TextQuery = None, colonia: TextQuery = None, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    rows = places.list_addresses(
        principal=p, postal_code=postal_code, colonia=colonia, after=after_id(cursor), limit=limit + 1
    )
    return page(rows, limit)


@router.post("", response_model=AddressOut, status_code=201, summary="Register an address")
def create_address(
    *, p: Caller, body: AddressIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=AddressOut,
        action=lambda: places.create_address(principal=p, data=body.model_dump()),
    )


@router.get("/{address_id}", response_model=AddressOut, summary="An address")
def get_address(*, p: Caller, address_id: IdPath) -> dict[str, Any]:
    return places.get_address(principal=p, address_id=address_id)
