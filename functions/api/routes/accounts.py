"""Accounts (contracts): list, detail, open, balance, statement, payment references (OXXO and CLABE), payments,
payment plans and readings. A customer reaches only the accounts of their own person (others: 404)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, Strict

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey, IdPath, IdQuery, TextQuery
from functions.api.pagination import Cursor, Limit, after_id, page
from functions.api.schemas import PROBLEM_RESPONSES, Id, LocalDateTime, Out, Page
from shared.application.customers import accounts

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"], responses=PROBLEM_RESPONSES)
AccountStatus = Literal["active", "suspended", "closed"]
TariffClass = Literal[
    "domestico", "domestico_popular", "domestico_residencial", "comercial", "industrial", "publico", "social"
]


class AccountOut(Out):
    id: int
    account_number: str
    person_id: int
    toma_id: int
    tariff_class: str
    status: AccountStatus
    household_size: int
    opened_on: date
    closed_on: date | None
    payment_reference: str
    clabe: str
    created_at: LocalDateTime


class AccountIn(BaseModel):
    person_id: Id
    toma_id: Id
    tariff_class: TariffClass
    household_size: Annotated[int, Strict(), Field(ge=1, le=50)] = 4
    opened_on: Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 1, 1))]


class BalanceOut(Out):
    account_id: int
    account_number: str
    status: AccountStatus
    balance: Decimal = Field(description="Saldo: positivo = adeudo, negativo = saldo a favor (MXN)")
    currency: Literal["MXN"] = "MXN"
    last_movement_at: LocalDateTime | None
    last_invoice_id: int | None
    last_invoice_period: date | None
    last_invoice_total: Decimal | None
    last_invoice_due_date: date | None
    last_payment_amount: Decimal | None
    last_payment_at: LocalDateTime | None


class MovementOut(Out):
    id: int
    kind: Literal["charge", "payment", "payment_reversal", "adjustment"]
    amount: Decimal
    source_type: str
    source_id: int
    occurred_at: LocalDateTime
    balance_after: Decimal


class StatementOut(Out):
    account_id: int
    account_number: str
    start: date = Field(description="Fecha local inicial (incluida)")
    end: date = Field(description="Fecha local final (excluida)")
    opening_balance: Decimal
    closing_balance: Decimal
    movements: list[MovementOut]


class PaymentReferencesOut(Out):
    account_id: int
    account_number: str
    oxxo_reference: str = Field(description="Referencia para pago en OXXO / depósito referenciado")
    clabe: str = Field(description="CLABE para transferencias SPEI a esta cuenta")
    beneficiary: str


class PaymentOut(Out):
    id: int
    provider: str
    channel: str
    amount: Decimal
    currency: str
    paid_at: LocalDateTime
    reference: str | None
    status: str


class InstallmentOut(BaseModel):
    seq: int
    due_date: date
    amount: Decimal
    paid_amount: Decimal


class PaymentPlanOut(Out):
    id: int
    account_id: int
    status: str
    total_amount: Decimal
    down_payment: Decimal
    installments_count: int
    signed_at: LocalDateTime
    broken_at: LocalDateTime | None
    installments: list[InstallmentOut]


class ReadingOut(Out):
    id: int
    meter_id: int
    account_id: int
    read_at: LocalDateTime
    value: Decimal
    source: str
    status: str
    exception_codes: list[str]
    received_at: LocalDateTime


@router.get("", response_model=Page[AccountOut], summary="List accounts")
def list_accounts(
    *,
    p: Caller,
    person_id: IdQuery = None,
    toma_id: IdQuery = None,
    status: AccountStatus | None = None,
    account_number: TextQuery = None,
    payment_reference: TextQuery = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    rows = accounts.list_accounts(
        principal=p,
        person_id=person_id,
        toma_id=toma_id,
        status=status,
        account_number=account_number,
        payment_reference=payment_reference,
        after=after_id(cursor),
        limit=limit + 1,
    )
    return page(rows, limit)


@router.post("", response_model=AccountOut, status_code=201, summary="Open an account (contract)")
def open_account(
    *, p: Caller, body: AccountIn, request: Request, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=AccountOut,
        action=lambda: accounts.open_account(principal=p, **body.model_dump()),
    )


@router.get("/{account_id}", response_model=AccountOut, summary="An account")
def get_account(*, p: Caller, account_id: IdPath) -> dict[str, Any]:
    return accounts.get_account(principal=p, account_id=account_id)


@router.get("/{account_id}/balance", response_model=BalanceOut, summary="Balance of the account")
def get_balance(*, p: Caller, account_id: IdPath) -> dict[str, Any]:
    return accounts.balance(principal=p, account_id=account_id)


@router.get("/{account_id}/statement", response_model=StatementOut, summary="Statement for local dates [from, to)")
def get_statement(
    *,
    p: Caller,
    account_id: IdPath,
    start: Annotated[date, Query(alias="from", ge=date(2000, 1, 1), le=date(2100, 1, 1))],
    end: Annotated[date, Query(alias="to", ge=date(2000, 1, 1), le=date(2100, 1, 1))],
) -> dict[str, Any]:
    return accounts.statement(principal=p, account_id=account_id, start=start, end=end)


@router.get(
    "/{account_id}/payment-references",
    response_model=PaymentReferencesOut,
    summary="OXXO reference and CLABE of the account",
)
def get_payment_references(*, p: Caller, account_id: IdPath) -> dict[str, Any]:
    return accounts.payment_references(principal=p, account_id=account_id)


@router.get("/{account_id}/payments", response_model=Page[PaymentOut], summary="Payments of the account")
def list_payments(*, p: Caller, account_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    rows = accounts.list_payments(principal=p, account_id=account_id, after=after_id(cursor), limit=limit + 1)
    return page(rows, limit)


@router.get("/{account_id}/payment-plans", response_model=list[PaymentPlanOut], summary="Payment plans")
def list_payment_plans(*, p: Caller, account_id: IdPath) -> list[dict[str, Any]]:
    return list(accounts.list_payment_plans(principal=p, account_id=account_id))


@router.get("/{account_id}/readings", response_model=Page[ReadingOut], summary="Meter readings of the account")
def list_readings(*, p: Caller, account_id: IdPath, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    rows = accounts.list_readings(principal=p, account_id=account_id, after=after_id(cursor), limit=limit + 1)
    return page(rows, limit)
