"""Operator work on payments: the suspense queue (unmatched money) and signing payment plans (convenios)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, Strict

from functions.api.deps import Caller, IdPath
from functions.api.problems import ProblemError
from functions.api.schemas import PROBLEM_RESPONSES, AsciiNumber, Id, IsoDate
from shared.application import payments
from shared.application.access.principal import ACCOUNTS_WRITE, ALL_DATA, Principal

router = APIRouter(prefix="/api/v1", tags=["payments"], responses=PROBLEM_RESPONSES)


class SuspenseOut(BaseModel):
    id: int
    provider: str
    channel: str
    amount: str
    paid_at: str
    reference: str | None
    suspense_reason: str | None


class AssignIn(BaseModel):
    account_id: Id


class PlanIn(BaseModel):
    down_payment: Annotated[Decimal, AsciiNumber, Field(ge=0, max_digits=14, decimal_places=2)]
    installments: Annotated[int, Strict(), Field(ge=1, le=36)]
    first_due: IsoDate = Field(description="Primera parcialidad (AAAA-MM-DD), a más tardar 90 días")


class PlanOut(BaseModel):
    plan_id: int


def _operator(p: Principal) -> None:
    if not (p.can(ALL_DATA) and p.can(ACCOUNTS_WRITE)):
        raise ProblemError(403, "forbidden", "Su rol no puede operar pagos.")


@router.get("/payments/suspense", response_model=list[SuspenseOut], summary="Unmatched payments (work queue)")
def suspense_queue(p: Caller) -> list[dict[str, Any]]:
    _operator(p)
    rows = payments.unmatched_payments(tenant_id=p.tenant_id)
    return [{**r._asdict(), "amount": str(r.amount), "paid_at": r.paid_at.isoformat()} for r in rows]


@router.post("/payments/{payment_id}/assign", status_code=204, summary="Place an unmatched payment on an account")
def assign_payment(p: Caller, payment_id: IdPath, body: AssignIn) -> None:
    _operator(p)
    payments.assign_suspense_payment(
        tenant_id=p.tenant_id,
        payment_id=payment_id,
        account_id=body.account_id,
        operator=p.subject,
        now=datetime.now(UTC),
    )


@router.post(
    "/accounts/{account_id}/payment-plans",
    status_code=201,
    response_model=PlanOut,
    summary="Sign a payment plan (convenio) for the account's open invoices",
)
def sign_payment_plan(p: Caller, account_id: IdPath, body: PlanIn) -> dict[str, int]:
    _operator(p)
    plan_id = payments.sign_plan(
        tenant_id=p.tenant_id,
        account_id=account_id,
        down_payment=body.down_payment,
        installments=body.installments,
        first_due=body.first_due,
        created_by=p.subject,
        now=datetime.now(UTC),
    )
    return {"plan_id": plan_id}
