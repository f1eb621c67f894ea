"""The suspense queue: payments no reference matched, waiting for an operator to place them on an account."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from shared.application.payments import collections
from shared.application.payments.apply import allocate_payment, payment_lock_key
from shared.application.payments.credit import lock_account
from shared.data import db
from shared.data import payments as data
from shared.data.payments import UnmatchedPayment
from shared.domain.errors import Conflict, NotFound
from shared.domain.money import ZERO
from shared.domain.payments.errors import PaymentsError

_NOT_FOUND_ES = "El pago o la cuenta no existen."
LEDGER_CURRENCY = "MXN"


class PaymentNotFound(PaymentsError, NotFound, LookupError):
    """The payment to place does not exist in the tenant."""

    detail = _NOT_FOUND_ES


class PaymentNotInPesos(PaymentsError, Conflict, ValueError):
    """The account ledger is in MXN: a payment in another currency is never placed on it as if it were pesos (no
    exchange rate is applied silently); it stays in suspense for a refund or a manual conversion outside."""

    default_code = "payment_not_in_mxn"

    def __init__(self, message: str, *, currency: str) -> None:
        super().__init__(
            message,
            detail_es=(
                f"El pago está en {currency}; solo se aplican pagos en MXN a una cuenta. Permanece en la cola de "
                "pagos sin identificar para su devolución."
            ),
        )


class PaymentNotInSuspense(PaymentsError, Conflict, ValueError):
    """An operator tried to assign a payment that is not unmatched."""

    default_code = "not_in_suspense"
    detail = "El pago ya no está en la cola de pagos sin identificar."


def unmatched_payments(*, tenant_id: UUID | str, limit: int = 100) -> list[UnmatchedPayment]:
    """The work queue, oldest payment first."""
    with db.tenant_transaction(tenant_id) as conn:
        return data.unmatched_payments(conn, limit=limit)


def assign_suspense_payment(
    *, tenant_id: UUID | str, payment_id: int, account_id: int, operator: str, now: datetime
) -> None:
    """An operator places an unmatched payment on an account; what is left of it (after refunds) is allocated."""
    with db.tenant_transaction(tenant_id) as conn:
        payment = data.get_payment_by_id(conn, payment_id=payment_id)
        if payment is None:
            raise PaymentNotFound(f"payment {payment_id} not found")
        data.advisory_lock(conn, key=payment_lock_key(payment.provider, payment.provider_payment_id))
        payment = data.get_payment_by_id(conn, payment_id=payment_id, for_update=True)
        assert payment is not None
        if payment.status != "unmatched":
            raise PaymentNotInSuspense(f"payment {payment_id} is {payment.status}, not unmatched")
        if payment.currency != LEDGER_CURRENCY:
            raise PaymentNotInPesos(f"payment {payment_id} is in {payment.currency}", currency=payment.currency)
        net = Decimal(payment.amount) - data.reversed_total(conn, payment_id=payment_id)
        if net <= ZERO:  # refunded while in suspense: nothing left to place
            data.update_payment(conn, payment_id=payment_id, status="reversed", resolved_by=operator, resolved_at=now)
            return
        lock_account(conn, account_id=account_id, detail_es=_NOT_FOUND_ES)
        data.update_payment(
            conn,
            payment_id=payment_id,
            account_id=account_id,
            match_method="operator",
            resolved_by=operator,
            resolved_at=now,
        )
        allocate_payment(
            conn,
            tenant_id=tenant_id,
            payment_id=payment_id,
            account_id=account_id,
            amount=net,
            occurred_at=payment.paid_at,
            fault=None,
            now=now,
        )
        collections.reevaluate_account(conn, tenant_id=tenant_id, account_id=account_id, today=now.date(), now=now)
