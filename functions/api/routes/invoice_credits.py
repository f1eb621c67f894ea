"""Billing corrections: a credit an operator grants on an issued invoice (its Egreso follows through the outbox)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field

from functions.api.deps import Caller, IdPath
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES
from shared.application.access.principal import BACK_BILLING
from shared.application.billing import adjustments

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"], responses=PROBLEM_RESPONSES)


class CreditIn(BaseModel):
    amount: Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2, description="Crédito en MXN")]
    reason: Annotated[str, Field(min_length=3, max_length=300, pattern=r"^[^\x00]*$")]


class CreditOut(BaseModel):
    adjustment_id: int


@router.post(
    "/{invoice_id}/credits",
    status_code=201,
    response_model=CreditOut,
    summary="Grant a credit on an issued invoice (an Egreso is issued for it)",
)
def credit_invoice(
    p: Caller,
    invoice_id: IdPath,
    body: CreditIn,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="Required: the same key never credits twice",
        ),
    ],
) -> dict[str, int]:
    if not p.can(BACK_BILLING):
        raise ProblemError(403, "forbidden", "Su rol no puede otorgar créditos sobre facturas.")
    adjustment_id = adjustments.credit_invoice(
        tenant_id=p.tenant_id,
        invoice_id=invoice_id,
        amount=body.amount,
        reason=body.reason,
        by=p.subject,
        now=datetime.now(UTC),
        key=f"credit:{invoice_id}:{idempotency_key}",
    )  # InvoiceNotCreditable: 422
    return {"adjustment_id": adjustment_id}
