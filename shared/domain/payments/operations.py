"""Allocation rules: spread a payment over open items, reverse allocations, move account credit onto new debt.

Order (issue 5): oldest open invoices first (those not covered by a payment plan), then the plan's installments
(earliest due first; each installment share pays down the plan's invoices oldest first), then account credit.
Reversals take back the most recent shares first: credit, then installments, then invoices (newest first).
All amounts are Decimals in centavos; nothing here rounds, so inputs must already be in centavos.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.domain.errors import Conflict, Invalid
from shared.domain.money import CENT, ZERO, require_decimal
from shared.domain.payments.errors import PaymentsError
from shared.domain.payments.model import (
    Allocation,
    AllocationReversal,
    CreditMove,
    OpenInstallment,
    OpenInvoice,
    StandingAllocation,
)


class InvalidAmount(PaymentsError, Invalid, ValueError):
    """An amount that is not a positive (or non-negative) Decimal in centavos."""

    default_code = "invalid_amount"
    detail = "El importe no es válido."


class ReversalExceedsAllocations(PaymentsError, Conflict, ValueError):
    """A reversal asks for more than what is still allocated of the payment."""

    default_code = "reversal_exceeds_allocations"
    detail = "La devolución excede lo aplicado del pago."


def _cents(value: Decimal, *, name: str, positive: bool) -> Decimal:
    value = require_decimal(value, name=name)
    if value != value.quantize(CENT):
        raise InvalidAmount(f"{name} must be in centavos, got {value}")
    if value < 0 or (positive and value == 0):
        raise InvalidAmount(f"{name} must be {'positive' if positive else 'non-negative'}, got {value}")
    return value


@dataclass
class _Open:
    item_id: int
    left: Decimal


class _Spreader:
    """Mutable working copy of open items while one or more amounts are spread over them."""

    def __init__(
        self,
        invoices: Sequence[OpenInvoice],
        installments: Sequence[OpenInstallment],
        plan_invoices: Sequence[OpenInvoice],
    ) -> None:
        self.invoices = [
            _Open(i.invoice_id, _cents(i.open_amount, name="invoice open amount", positive=False))
            for i in sorted(invoices, key=lambda i: (i.period, i.invoice_id))
        ]
        self.installments = [
            _Open(i.installment_id, _cents(i.open_amount, name="installment open amount", positive=False))
            for i in sorted(installments, key=lambda i: (i.due_date, i.seq, i.installment_id))
        ]
        self.plan_invoices = [
            _Open(i.invoice_id, _cents(i.open_amount, name="plan invoice open amount", positive=False))
            for i in sorted(plan_invoices, key=lambda i: (i.period, i.invoice_id))
        ]

    def spread(self, amount: Decimal) -> tuple[list[Allocation], Decimal]:
        out: list[Allocation] = []
        remaining = amount
        for item in self.invoices:
            if remaining == ZERO:
                break
            take = min(remaining, item.left)
            if take > ZERO:
                out.append(Allocation(target="invoice", amount=take, invoice_id=item.item_id))
                item.left -= take
                remaining -= take
        for inst in self.installments:
            if remaining == ZERO:
                break
            take = min(remaining, inst.left)
            if take <= ZERO:
                continue
            inst.left -= take
            remaining -= take
            out.extend(self._installment_shares(inst.item_id, take))
        return out, remaining

    def _installment_shares(self, installment_id: int, amount: Decimal) -> list[Allocation]:
        shares: list[Allocation] = []
        left = amount
        for inv in self.plan_invoices:
            if left == ZERO:
                break
            take = min(left, inv.left)
            if take > ZERO:
                shares.append(
                    Allocation(target="installment", amount=take, invoice_id=inv.item_id, installment_id=installment_id)
                )
                inv.left -= take
                left -= take
        if left > ZERO:  # plan larger than its invoices' open amounts (e.g. an adjustment credited them)
            shares.append(Allocation(target="installment", amount=left, installment_id=installment_id))
        return shares


def allocate(
    *,
    amount: Decimal,
    invoices: Sequence[OpenInvoice],
    installments: Sequence[OpenInstallment] = (),
    plan_invoices: Sequence[OpenInvoice] = (),
) -> list[Allocation]:
    """Split a payment into allocations; they always add up to `amount` exactly (the rest is account credit)."""
    amount = _cents(amount, name="amount", positive=True)
    allocations, remaining = _Spreader(invoices, installments, plan_invoices).spread(amount)
    if remaining > ZERO:
        allocations.append(Allocation(target="credit", amount=remaining))
    return allocations


_REVERSE_PRIORITY = {"credit": 0, "installment": 1, "invoice": 2}


def reverse_allocations(*, amount: Decimal, standing: Sequence[StandingAllocation]) -> list[AllocationReversal]:
    """Which standing allocations a reversal of `amount` takes back: credit first, then installments, then
    invoices, newest allocation first. Raises if `amount` exceeds what is still allocated."""
    amount = _cents(amount, name="reversal amount", positive=True)
    available = sum((s.amount for s in standing), start=ZERO)
    if amount > available:
        raise ReversalExceedsAllocations(f"reversal of {amount} exceeds standing allocations of {available}")
    out: list[AllocationReversal] = []
    left = amount
    for s in sorted(standing, key=lambda s: (_REVERSE_PRIORITY[s.target], -s.allocation_id)):
        if left == ZERO:
            break
        take = min(left, _cents(s.amount, name="standing amount", positive=False))
        if take > ZERO:
            out.append(
                AllocationReversal(
                    reversal_of=s.allocation_id,
                    payment_id=s.payment_id,
                    target=s.target,
                    amount=take,
                    invoice_id=s.invoice_id,
                    installment_id=s.installment_id,
                )
            )
            left -= take
    return out


def move_credit(
    *,
    credits: Sequence[StandingAllocation],
    invoices: Sequence[OpenInvoice],
    installments: Sequence[OpenInstallment] = (),
    plan_invoices: Sequence[OpenInvoice] = (),
) -> list[CreditMove]:
    """Use standing account credit (oldest first) to pay open items, in the same order as `allocate`."""
    spreader = _Spreader(invoices, installments, plan_invoices)
    moves: list[CreditMove] = []
    for credit in sorted(credits, key=lambda c: c.allocation_id):
        if credit.target != "credit":
            raise InvalidAmount(f"allocation {credit.allocation_id} is not account credit")
        allocations, remaining = spreader.spread(_cents(credit.amount, name="credit", positive=False))
        used = credit.amount - remaining
        if used > ZERO:
            moves.append(
                CreditMove(
                    take=AllocationReversal(
                        reversal_of=credit.allocation_id, payment_id=credit.payment_id, target="credit", amount=used
                    ),
                    allocations=tuple(allocations),
                )
            )
        if remaining > ZERO:
            break
    return moves
