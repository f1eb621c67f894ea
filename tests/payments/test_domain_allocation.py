"""Allocation, reversal and credit rules (pure), checked with hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.payments.model import OpenInstallment, OpenInvoice, StandingAllocation
from shared.domain.payments.operations import (
    InvalidAmount,
    ReversalExceedsAllocations,
    allocate,
    move_credit,
    reverse_allocations,
)

cents = st.integers(min_value=1, max_value=2_000_000).map(lambda c: Decimal(c).scaleb(-2))
open_cents = st.integers(min_value=0, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
invoices_st = st.lists(open_cents, max_size=8).map(
    lambda xs: [OpenInvoice(i + 1, date(2025, 1, 1) + timedelta(days=31 * ((i * 5) % 8)), x) for i, x in enumerate(xs)]
)
installments_st = st.lists(open_cents, max_size=6).map(
    lambda xs: [OpenInstallment(100 + i, date(2026, 1, 1) + timedelta(days=30 * i), i, x) for i, x in enumerate(xs)]
)


@settings(max_examples=300, deadline=None)
@given(amount=cents, invoices=invoices_st, installments=installments_st)
def test_allocations_add_up_and_respect_open_amounts(amount, invoices, installments):
    plan_invoices = [OpenInvoice(50, date(2024, 1, 1), sum((i.open_amount for i in installments), Decimal(0)))]
    out = allocate(amount=amount, invoices=invoices, installments=installments, plan_invoices=plan_invoices)
    assert sum(a.amount for a in out) == amount
    assert all(a.amount > 0 for a in out)
    for inv in invoices:
        assert sum(a.amount for a in out if a.invoice_id == inv.invoice_id) <= inv.open_amount
    for inst in installments:
        assert sum(a.amount for a in out if a.installment_id == inst.installment_id) <= inst.open_amount
    # credit only when every open item is fully paid
    credit = sum(a.amount for a in out if a.target == "credit")
    total_open = sum(i.open_amount for i in invoices) + sum(i.open_amount for i in installments)
    assert credit == max(Decimal(0), amount - total_open)


@settings(max_examples=200, deadline=None)
@given(amount=cents, invoices=invoices_st)
def test_oldest_invoice_is_paid_first(amount, invoices):
    out = allocate(amount=amount, invoices=invoices)
    paid = {a.invoice_id: a.amount for a in out if a.target == "invoice"}
    ordered = sorted(invoices, key=lambda i: (i.period, i.invoice_id))
    seen_partial = False
    for inv in ordered:
        got = paid.get(inv.invoice_id, Decimal(0))
        if seen_partial:
            assert got == 0 or inv.open_amount == 0
        if got < inv.open_amount:
            seen_partial = True


@settings(max_examples=200, deadline=None)
@given(amount=cents, invoices=invoices_st, installments=installments_st, fraction=st.fractions(0, 1))
def test_reversal_never_exceeds_and_takes_credit_first(amount, invoices, installments, fraction):
    out = allocate(amount=amount, invoices=invoices, installments=installments)
    standing = [
        StandingAllocation(i + 1, 7, a.target, a.amount, a.invoice_id, a.installment_id) for i, a in enumerate(out)
    ]
    take = (amount * Decimal(fraction.numerator) / Decimal(fraction.denominator)).quantize(Decimal("0.01"))
    if take == 0:
        return
    back = reverse_allocations(amount=take, standing=standing)
    assert sum(b.amount for b in back) == take
    by_id = {s.allocation_id: s for s in standing}
    assert all(0 < b.amount <= by_id[b.reversal_of].amount for b in back)
    credit = sum(s.amount for s in standing if s.target == "credit")
    assert sum(b.amount for b in back if b.target == "credit") == min(credit, take)
    with pytest.raises(ReversalExceedsAllocations):
        reverse_allocations(amount=amount + Decimal("0.01"), standing=standing)


@settings(max_examples=200, deadline=None)
@given(credits=st.lists(cents, min_size=1, max_size=4), invoices=invoices_st)
def test_credit_moves_never_exceed_credit_or_open_amounts(credits, invoices):
    standing = [StandingAllocation(i + 1, i + 1, "credit", c) for i, c in enumerate(credits)]
    moves = move_credit(credits=standing, invoices=invoices)
    for m in moves:
        assert m.take.amount == sum(a.amount for a in m.allocations)
        assert m.take.amount <= standing[m.take.reversal_of - 1].amount
    for inv in invoices:
        assert sum(a.amount for m in moves for a in m.allocations if a.invoice_id == inv.invoice_id) <= inv.open_amount
    assert sum(m.take.amount for m in moves) == min(sum(credits), sum(i.open_amount for i in invoices))


def test_amounts_must_be_positive_centavos():
    with pytest.raises(InvalidAmount):
        allocate(amount=Decimal("1.005"), invoices=[])
    with pytest.raises(InvalidAmount):
        allocate(amount=Decimal("0"), invoices=[])
    with pytest.raises(TypeError):
        allocate(amount=1.5, invoices=[])  # type: ignore[arg-type]


def test_installment_shares_pay_down_plan_invoices_oldest_first():
    plan_invoices = [
        OpenInvoice(2, date(2025, 2, 1), Decimal("100.00")),
        OpenInvoice(1, date(2025, 1, 1), Decimal("100.00")),
    ]
    installments = [OpenInstallment(9, date(2026, 1, 1), 1, Decimal("150.00"))]
    out = allocate(amount=Decimal("150.00"), invoices=[], installments=installments, plan_invoices=plan_invoices)
    assert [(a.target, a.invoice_id, a.amount) for a in out] == [
        ("installment", 1, Decimal("100.00")),
        ("installment", 2, Decimal("50.00")),
    ]
