"""Fraud cases: opened from anomalies, reports or inspections; investigation workflow; outcome; back-billing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.application.access.errors import Conflict, Invalid, not_found
from shared.application.access.principal import BACK_BILLING, FRAUD_READ, FRAUD_WRITE, Principal
from shared.data.db import use_case_transaction
from shared.data.records import accounts as accounts_q
from shared.data.records import casework as q
from shared.data.records import places as places_q
from shared.data.sql import Row
from shared.domain.casework.fraud import (
    BackBillingNotAllowed,
    InvalidFraudTransition,
    OutcomeRequired,
    transition,
)


def list_cases(
    *,
    principal: Principal,
    status: str | None,
    source: str | None,
    account_id: int | None,
    after: int | None,
    limit: int,
) -> list[Row]:
    principal.require(FRAUD_READ)
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_fraud_cases(conn, status=status, source=source, account_id=account_id, after=after, limit=limit)


def get_case(*, principal: Principal, case_id: int) -> Row:
    principal.require(FRAUD_READ)
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_fraud_case(conn, case_id=case_id)
    if row is None:
        raise not_found("el caso")
    return row


def open_case(
    *, principal: Principal, source: str, account_id: int | None, toma_id: int | None, description: str
) -> Row:
    principal.require(FRAUD_WRITE)
    if account_id is None and toma_id is None:
        raise Invalid("target_required", "Indique la cuenta o la toma del caso.")
    with use_case_transaction(principal.tenant_id) as conn:
        if account_id is not None:
            account = accounts_q.get_account(conn, account_id=account_id, person_scope=None)
            if account is None:
                raise not_found("la cuenta")
            toma_id = toma_id or account["toma_id"]
        if toma_id is not None and places_q.get_toma(conn, toma_id=toma_id, person_scope=None) is None:
            raise not_found("la toma")
        return q.insert_fraud_case(
            conn,
            tenant_id=principal.tenant_id,
            data={"source": source, "account_id": account_id, "toma_id": toma_id, "description": description},
        )


def _changes(
    *, row: Row, status: str, outcome: str | None, back_billing_amount: Decimal | None, now: datetime
) -> dict[str, Any]:
    try:
        changes = transition(
            current=row["status"], target=status, outcome=outcome, back_billing_amount=back_billing_amount, now=now
        )
    except InvalidFraudTransition as error:
        raise Conflict(
            "invalid_transition", f"El caso está en estado '{error.current}' y no puede pasar a '{error.target}'."
        ) from error
    except OutcomeRequired as error:
        raise Invalid("outcome_required", "Describa el resultado de la investigación (outcome).") from error
    except BackBillingNotAllowed as error:
        raise Invalid(
            "back_billing_not_allowed", "La refacturación solo aplica al confirmar un caso y no puede ser negativa."
        ) from error
    if changes.get("back_billing_amount") and row["account_id"] is None:
        raise Invalid("back_billing_needs_account", "La refacturación requiere que el caso tenga cuenta.")
    return changes


def change_status(
    *,
    principal: Principal,
    case_id: int,
    status: str,
    outcome: str | None,
    back_billing_amount: Decimal | None,
    now: datetime,
) -> Row:
    """Move the case; closing a confirmed case with back-billing posts an adjustment to the account's ledger."""
    principal.require(FRAUD_WRITE)
    if back_billing_amount is not None:
        principal.require(BACK_BILLING)
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.get_fraud_case(conn, case_id=case_id, lock=True)
        if row is None:
            raise not_found("el caso")
        changes = _changes(row=row, status=status, outcome=outcome, back_billing_amount=back_billing_amount, now=now)
        updated = q.update_fraud_case(conn, case_id=case_id, changes=changes)
        if status == "closed" and row["status"] == "confirmed" and row["back_billing_amount"]:
            q.post_back_billing(
                conn,
                tenant_id=principal.tenant_id,
                case_id=case_id,
                account_id=row["account_id"],
                amount=Decimal(row["back_billing_amount"]),
                by=principal.subject,
                at=now,
            )
        return updated
