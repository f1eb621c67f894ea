"""Apply stored webhook events to the ledger, exactly once, under at-least-once and concurrent delivery.

One queue message names one inbox row. Processing runs in one tenant transaction:

1. lock the inbox row (`FOR UPDATE`); if it is no longer pending, another delivery already did the work;
2. per provider payment, take an advisory lock on (provider, payment id) so a payment and its refund — or the
   `order.paid` and `charge.paid` of one charge — never interleave;
3. insert the payment (unique per provider payment id), match it to an account, lock the account row and
   allocate (oldest invoices, plan installments, credit), post the ledger movement, record the outbox events;
4. apply refunds/chargebacks that arrived before the payment (stored pending);
5. re-evaluate dunning for the account; mark the inbox row processed; commit.

Any exception rolls the whole unit back (a worker killed mid-apply leaves nothing behind); the attempt count and the
error are then written in a separate transaction and the exception propagates so the queue redelivers and, after
maxDequeueCount, poisons the message. `fault` lets tests raise at named checkpoints inside the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from shared.application.outbox import DomainEvent, record
from shared.application.payments import collections
from shared.application.payments.credit import lock_account, move_account_credit, open_items
from shared.application.payments.facts import parse
from shared.data import db, ledger
from shared.data import payments as data
from shared.data.sql import Conn
from shared.domain.errors import NotFound
from shared.domain.money import ZERO, decimal_str
from shared.domain.payments.errors import PaymentsError
from shared.domain.payments.matching import AmountCandidate, lookup_keys, pick_by_amount
from shared.domain.payments.model import IgnoredFact, PaymentFact, ReversalFact
from shared.domain.payments.operations import allocate, reverse_allocations
from shared.platform.metrics import payments_processed_total

log = logging.getLogger(__name__)
Fault = Callable[[str], None]


class InboxRowMissing(PaymentsError, NotFound, LookupError):
    """A queue message names an inbox row that does not exist in that tenant."""

    detail = "La notificación de pago no existe."


@dataclass
class ApplyResult:
    inbox_id: int
    outcome: str  # processed | ignored | already_done
    payments: list[int] = field(default_factory=list)
    reversals: list[int] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)


def _checkpoint(fault: Fault | None, name: str) -> None:
    if fault is not None:
        fault(name)


def process_inbox(*, tenant_id: UUID | str, inbox_id: int, now: datetime, fault: Fault | None = None) -> ApplyResult:
    """Apply one inbox row. Safe to call any number of times, concurrently."""
    try:
        with db.tenant_transaction(tenant_id) as conn:
            result = _process(conn, tenant_id, inbox_id, fault, now)
    except Exception as exc:
        _record_failure(tenant_id, inbox_id, exc)
        raise
    for channel in result.channels:
        payments_processed_total.add(1, {"channel": channel})
    return result


def _record_failure(tenant_id: UUID | str, inbox_id: int, exc: Exception) -> None:
    try:
        with db.tenant_transaction(tenant_id) as conn:
            data.record_inbox_attempt_failure(conn, inbox_id=inbox_id, error=f"{type(exc).__name__}: {exc}")
    except Exception:
        log.exception("could not record the failure of inbox row %s", inbox_id)


def _process(conn: Conn, tenant_id: UUID | str, inbox_id: int, fault: Fault | None, now: datetime) -> ApplyResult:
    row = data.lock_inbox(conn, inbox_id=inbox_id)
    if row is None:
        raise InboxRowMissing(f"inbox row {inbox_id} not found for tenant {tenant_id}")
    if row.status != "pending":
        return ApplyResult(inbox_id, "already_done")
    _checkpoint(fault, "locked")
    facts = parse(row.provider, row.payload)
    result = ApplyResult(inbox_id, "processed")
    touched: set[int] = set()
    for fact in facts:
        if isinstance(fact, PaymentFact):
            applied = _apply_payment_fact(
                conn, tenant_id=tenant_id, inbox_id=inbox_id, fact=fact, fault=fault, now=now, touched=touched
            )
            if applied is not None:
                result.payments.append(applied)
                result.channels.append(fact.channel)
        elif isinstance(fact, ReversalFact):
            result.reversals.extend(
                _apply_reversal_fact(
                    conn, tenant_id=tenant_id, inbox_id=inbox_id, fact=fact, fault=fault, now=now, touched=touched
                )
            )
        elif isinstance(fact, IgnoredFact):
            continue
    _checkpoint(fault, "before_dunning")
    for account_id in sorted(touched):
        collections.reevaluate_account(conn, tenant_id=tenant_id, account_id=account_id, today=now.date(), now=now)
    if all(isinstance(f, IgnoredFact) for f in facts):
        result.outcome = "ignored"
    data.finish_inbox(conn, inbox_id=inbox_id, status="ignored" if result.outcome == "ignored" else "processed")
    _checkpoint(fault, "before_commit")
    return result


def payment_lock_key(provider: str, provider_payment_id: str) -> str:
    """The advisory lock every change to one provider payment (and its reversals) is serialised on."""
    return f"payment:{provider}:{provider_payment_id}"


class AccountMatch(NamedTuple):
    """Whose a payment is: the account and how it was found, or None and why the payment goes to suspense."""

    account_id: int | None
    method: str | None
    suspense_reason: str | None


def match_account(conn: Conn, *, fact: PaymentFact) -> AccountMatch:
    """References with valid check digits first, then a unique open amount near a due date."""
    if fact.currency != "MXN":
        return AccountMatch(None, None, f"currency {fact.currency}")
    keys, problems = lookup_keys(hints=fact.hints)
    for key in keys:
        account_id = data.find_account(conn, column=key.column, value=key.value)
        if account_id is not None:
            return AccountMatch(account_id, key.method, None)
    candidates = [
        AmountCandidate(int(r.account_id), Decimal(r.open_amount), r.last_due_date)
        for r in data.amount_candidates(conn, amount=fact.amount)
        if r.last_due_date is not None
    ]
    picked = pick_by_amount(amount=fact.amount, paid_on=fact.paid_at.date(), candidates=candidates)
    if picked is not None:
        return AccountMatch(picked, "amount_date", None)
    reason = ", ".join(problems) if problems else ("no reference matched" if keys else "no reference")
    return AccountMatch(None, None, reason + ("; amount ambiguous" if candidates else ""))


def _apply_payment_fact(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    inbox_id: int,
    fact: PaymentFact,
    fault: Fault | None,
    now: datetime,
    touched: set[int],
) -> int | None:
    data.advisory_lock(conn, key=payment_lock_key(fact.provider, fact.provider_payment_id))
    if data.get_payment(conn, provider=fact.provider, provider_payment_id=fact.provider_payment_id) is not None:
        return None  # the other event of the same charge (order.paid / charge.paid) stored it
    account_id, method, reason = match_account(conn, fact=fact)
    reference = fact.hints.reference or fact.hints.clabe or fact.hints.numeric_reference
    payment_id = data.insert_payment(
        conn,
        tenant_id=tenant_id,
        provider=fact.provider,
        provider_payment_id=fact.provider_payment_id,
        channel=fact.channel,
        amount=fact.amount,
        currency=fact.currency,
        paid_at=fact.paid_at,
        reference=reference,
        account_id=account_id,
        status="received" if account_id else "unmatched",
        source_event_id=inbox_id,
        match_method=method,
        suspense_reason=reason,
    )
    if payment_id is None:  # cannot happen under the advisory lock; fail loudly rather than double-apply
        raise RuntimeError(f"payment {fact.provider}/{fact.provider_payment_id} appeared under its lock")
    _checkpoint(fault, "payment_inserted")
    base = {
        "payment_id": payment_id,
        "provider": fact.provider,
        "provider_payment_id": fact.provider_payment_id,
        "channel": fact.channel,
        "amount": decimal_str(fact.amount),
        "paid_at": fact.paid_at.isoformat(),
        "account_id": account_id,
    }
    record(
        conn,
        DomainEvent(
            UUID(str(tenant_id)),
            "payment.received",
            f"payment.received:{payment_id}",
            "payment",
            str(payment_id),
            now,
            base,
        ),
    )
    if account_id is not None:
        allocate_payment(
            conn,
            tenant_id=tenant_id,
            payment_id=payment_id,
            account_id=account_id,
            amount=fact.amount,
            occurred_at=fact.paid_at,
            fault=fault,
            now=now,
        )
        touched.add(account_id)
    else:
        record(
            conn,
            DomainEvent(
                UUID(str(tenant_id)),
                "payment.unmatched",
                f"payment.unmatched:{payment_id}",
                "payment",
                str(payment_id),
                now,
                {**base, "reason": reason},
            ),
        )
    payment = data.get_payment_by_id(conn, payment_id=payment_id, for_update=True)
    assert payment is not None
    apply_pending_reversals(conn, tenant_id=tenant_id, payment=payment, fault=fault, now=now)
    return payment_id


def allocate_payment(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    payment_id: int,
    account_id: int,
    amount: Decimal,
    occurred_at: datetime,
    fault: Fault | None,
    now: datetime,
) -> None:
    """Spread `amount` of a payment over the account's open items and post the ledger movement."""
    lock_account(conn, account_id=account_id)
    move_account_credit(conn, tenant_id=tenant_id, account_id=account_id)
    invoices, installments, plan_invoices = open_items(conn, account_id=account_id)
    allocations = allocate(amount=amount, invoices=invoices, installments=installments, plan_invoices=plan_invoices)
    for a in allocations:
        data.insert_allocation(
            conn,
            tenant_id=tenant_id,
            payment_id=payment_id,
            target=a.target,
            amount=a.amount,
            invoice_id=a.invoice_id,
            installment_id=a.installment_id,
        )
        if a.installment_id is not None:
            data.add_installment_paid(conn, installment_id=a.installment_id, delta=a.amount)
        _checkpoint(fault, "allocation_inserted")
    if not ledger.post_movement(
        conn,
        tenant_id=tenant_id,
        account_id=account_id,
        kind="payment",
        amount=-amount,
        source_type="payment",
        source_id=payment_id,
        occurred_at=occurred_at,
    ):
        raise RuntimeError(f"payment {payment_id} already has a ledger movement")
    data.update_payment(conn, payment_id=payment_id, status="applied", account_id=account_id)
    collections.complete_plan_if_paid(conn, account_id=account_id)
    record(
        conn,
        DomainEvent(
            UUID(str(tenant_id)),
            "payment.applied",
            f"payment.applied:{payment_id}",
            "payment",
            str(payment_id),
            now,
            {
                "payment_id": payment_id,
                "account_id": account_id,
                "amount": decimal_str(amount),
                "allocations": [
                    {
                        "target": a.target,
                        "invoice_id": a.invoice_id,
                        "installment_id": a.installment_id,
                        "amount": decimal_str(a.amount),
                    }
                    for a in allocations
                ],
            },
        ),
    )
    _checkpoint(fault, "applied")


def apply_account_credit(*, tenant_id: UUID | str, account_id: int) -> Decimal:
    """Billing calls this after issuing an invoice: standing credit pays it."""
    with db.tenant_transaction(tenant_id) as conn:
        lock_account(conn, account_id=account_id)
        moved = move_account_credit(conn, tenant_id=tenant_id, account_id=account_id)
        collections.complete_plan_if_paid(conn, account_id=account_id)
        return moved


def _apply_reversal_fact(
    conn: Conn,
    *,
    tenant_id: UUID | str,
    inbox_id: int,
    fact: ReversalFact,
    fault: Fault | None,
    now: datetime,
    touched: set[int],
) -> list[int]:
    data.advisory_lock(conn, key=payment_lock_key(fact.provider, fact.provider_payment_id))
    reversal_id = data.insert_reversal(
        conn,
        tenant_id=tenant_id,
        provider=fact.provider,
        provider_payment_id=fact.provider_payment_id,
        provider_reversal_id=fact.provider_reversal_id,
        kind=fact.kind,
        requested_amount=fact.amount,
        source_event_id=inbox_id,
        occurred_at=fact.occurred_at,
    )
    if reversal_id is None:
        return []  # the same refund/chargeback through another event
    _checkpoint(fault, "reversal_inserted")
    payment = data.get_payment(
        conn, provider=fact.provider, provider_payment_id=fact.provider_payment_id, for_update=True
    )
    if payment is None:
        record(
            conn,
            DomainEvent(
                UUID(str(tenant_id)),
                "payment.reversal_pending",
                f"payment.reversal_pending:{reversal_id}",
                "payment_reversal",
                str(reversal_id),
                now,
                {"provider": fact.provider, "provider_payment_id": fact.provider_payment_id, "kind": fact.kind},
            ),
        )
        return []
    applied = apply_pending_reversals(conn, tenant_id=tenant_id, payment=payment, fault=fault, now=now)
    if payment.account_id is not None:
        touched.add(int(payment.account_id))
    return applied


def apply_pending_reversals(
    conn: Conn, *, tenant_id: UUID | str, payment: data.StoredPayment, fault: Fault | None, now: datetime
) -> list[int]:
    """Apply every pending reversal of a stored payment (caller holds the payment's advisory lock)."""
    pending = data.pending_reversals(conn, provider=payment.provider, provider_payment_id=payment.provider_payment_id)
    if not pending:
        return []
    account_id = payment.account_id if payment.status != "unmatched" else None
    if account_id is not None:
        lock_account(conn, account_id=int(account_id))
    applied: list[int] = []
    amount = Decimal(payment.amount)
    for rev in pending:
        remaining = amount - data.reversed_total(conn, payment_id=payment.id)
        requested = Decimal(rev.requested_amount) if rev.requested_amount is not None else remaining
        take = min(requested, remaining)
        if take > ZERO and account_id is not None:
            standing = data.standing_allocations(conn, payment_id=payment.id)
            for back in reverse_allocations(amount=take, standing=standing):
                data.insert_allocation(
                    conn,
                    tenant_id=tenant_id,
                    payment_id=payment.id,
                    target=back.target,
                    amount=-back.amount,
                    invoice_id=back.invoice_id,
                    installment_id=back.installment_id,
                    reversal_of=back.reversal_of,
                    reversal_id=rev.id,
                )
                if back.installment_id is not None:
                    data.add_installment_paid(conn, installment_id=back.installment_id, delta=-back.amount)
            _checkpoint(fault, "reversal_allocations")
            ledger.post_movement(
                conn,
                tenant_id=tenant_id,
                account_id=int(account_id),
                kind="payment_reversal",
                amount=take,
                source_type="payment_reversal",
                source_id=rev.id,
                occurred_at=rev.occurred_at,
            )
        data.mark_reversal_applied(conn, reversal_id=rev.id, payment_id=payment.id, applied_amount=max(take, ZERO))
        if remaining - take <= ZERO:
            data.update_payment(conn, payment_id=payment.id, status="reversed")
        record(
            conn,
            DomainEvent(
                UUID(str(tenant_id)),
                "payment.reversed",
                f"payment.reversed:{rev.id}",
                "payment",
                str(payment.id),
                now,
                {
                    "payment_id": payment.id,
                    "reversal_id": rev.id,
                    "kind": rev.kind,
                    "amount": decimal_str(max(take, ZERO)),
                    "account_id": account_id,
                },
            ),
        )
        applied.append(int(rev.id))
    return applied
