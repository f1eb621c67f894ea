"""Cancellation of an invoice's CFDI before SAT (motivos 01–04; 01 names the stamped substitute's UUID).

Bad input changes nothing: an unknown motivo or 01 without substitute is a 422, a missing invoice a 404, an
invoice without a stamped CFDI or one already cancelled (or in cancellation) a 409.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from functions.api.deps import Caller, IdPath
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES
from shared.application.access.principal import BILLING_RUN
from shared.application.cfdi import corrections

router = APIRouter(prefix="/api/v1/invoices", tags=["cfdi"], responses=PROBLEM_RESPONSES)


class CancelIn(BaseModel):
    motivo: Literal["01", "02", "03", "04"] = Field(description="Motivo de cancelación SAT")
    substitute_uuid: UUID | None = Field(default=None, description="UUID del CFDI sustituto (solo motivo 01)")


class CancelOut(BaseModel):
    id: int
    uuid: str | None
    status: str
    cancel_motivo: str | None = None
    cancel_status: str | None = None


@router.post(
    "/{invoice_id}/cfdi/cancellation",
    status_code=202,
    response_model=CancelOut,
    summary="Request the cancellation of the invoice's CFDI (SAT confirms asynchronously)",
)
async def cancel_invoice_cfdi(p: Caller, invoice_id: IdPath, body: CancelIn) -> dict[str, Any]:
    if not p.can(BILLING_RUN):
        raise ProblemError(403, "forbidden", "Su rol no puede cancelar CFDI.")
    result = await run_in_threadpool(
        corrections.cancel_invoice,
        tenant_id=p.tenant_id,
        invoice_id=invoice_id,
        motivo=body.motivo,
        substitute_uuid=str(body.substitute_uuid) if body.substitute_uuid else None,
    )
    return {k: (str(v) if k == "uuid" and v is not None else v) for k, v in result.items()}
