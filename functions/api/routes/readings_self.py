"""Self-read submission: a customer (portal, WhatsApp assistant) reports the meter's reading. Stored as source
'self', idempotent on (meter, read_at, source, submitter); the VEE validates it with the next billing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath
from functions.api.routes.accounts import ReadingOut
from functions.api.schemas import PROBLEM_RESPONSES, AsciiNumber
from shared.application.customers import accounts

router = APIRouter(prefix="/api/v1/accounts", tags=["readings"], responses=PROBLEM_RESPONSES)


class SelfReadIn(BaseModel):
    value: Annotated[Decimal, AsciiNumber, Field(ge=0, max_digits=12, decimal_places=3, description="Lectura en m³")]
    read_at: AwareDatetime | None = Field(None, description="Momento de la lectura (con zona horaria); omitido = ahora")
    photo_blob: Annotated[str, Field(max_length=300, pattern=r"^[A-Za-z0-9/_.\-]+$")] | None = None


class SelfReadOut(ReadingOut):
    duplicate: bool = Field(description="true si esta lectura ya se había recibido")


@router.post("/{account_id}/readings", response_model=SelfReadOut, status_code=201, summary="Submit a self-read")
def submit_self_read(
    *, p: Caller, account_id: IdPath, body: SelfReadIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    def action() -> dict[str, Any]:
        row, created = accounts.submit_self_read(
            principal=p,
            account_id=account_id,
            value=body.value,
            read_at=body.read_at,
            photo_blob=body.photo_blob,
            now=datetime.now(UTC),
        )
        return {**row, "duplicate": not created}

    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=SelfReadOut,
        action=action,
    )
