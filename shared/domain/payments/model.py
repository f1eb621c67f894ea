"""Value types of the payments domain: provider facts, open items, allocations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from shared.domain.errors import Invalid
from shared.domain.payments.errors import PaymentsError

Channel = Literal["card", "oxxo", "spei", "cash", "bank", "other"]
Target = Literal["invoice", "installment", "credit"]
ReversalKind = Literal["refund", "reversal", "chargeback"]


class MalformedProviderEvent(PaymentsError, Invalid, ValueError):
    """A provider payload that is not the shape we expect (missing id, amount, ...); answered with HTTP 400."""

    default_code = "webhook_malformed"
    detail = "La notificación no tiene el formato esperado."


@dataclass(frozen=True)
class PaymentHints:
    """Everything in a payment that can tell whose it is, as the provider sent it (unvalidated)."""

    account_number: str | None = None
    reference: str | None = None
    clabe: str | None = None
    numeric_reference: str | None = None
    concept: str | None = None
    payer_name: str | None = None


@dataclass(frozen=True)
class PaymentFact:
    """Money received: one provider payment (a Conekta charge, an STP abono)."""

    provider: str
    provider_payment_id: str
    channel: Channel
    amount: Decimal
    paid_at: datetime
    hints: PaymentHints = field(default_factory=PaymentHints)
    currency: str = "MXN"


@dataclass(frozen=True)
class ReversalFact:
    """Money going back: a refund, a cash reversal or a chargeback of an earlier provider payment.
    `amount` None means the whole (remaining) payment."""

    provider: str
    provider_payment_id: str
    provider_reversal_id: str
    kind: ReversalKind
    amount: Decimal | None
    occurred_at: datetime


@dataclass(frozen=True)
class IgnoredFact:
    """An event we acknowledge and record but that moves no money (order.pending_payment, webhook_ping, ...)."""

    reason: str


ProviderFact = PaymentFact | ReversalFact | IgnoredFact


@dataclass(frozen=True)
class OpenInvoice:
    invoice_id: int
    period: date
    open_amount: Decimal


@dataclass(frozen=True)
class OpenInstallment:
    installment_id: int
    due_date: date
    seq: int
    open_amount: Decimal


@dataclass(frozen=True)
class Allocation:
    """A positive share of a payment. Installment shares also name the plan invoice they pay down."""

    target: Target
    amount: Decimal
    invoice_id: int | None = None
    installment_id: int | None = None


@dataclass(frozen=True)
class StandingAllocation:
    """An allocation row with what is left of it after earlier reversals (`amount` > 0)."""

    allocation_id: int
    payment_id: int
    target: Target
    amount: Decimal
    invoice_id: int | None = None
    installment_id: int | None = None


@dataclass(frozen=True)
class AllocationReversal:
    """Take back `amount` (> 0) of allocation `reversal_of`; stored as a negative row."""

    reversal_of: int
    payment_id: int
    target: Target
    amount: Decimal
    invoice_id: int | None = None
    installment_id: int | None = None


@dataclass(frozen=True)
class CreditMove:
    """Account credit of one payment moved onto open items: reverse part of a credit row, add new allocations."""

    take: AllocationReversal
    allocations: tuple[Allocation, ...]
