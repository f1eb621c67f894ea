"""An account's open items (invoices, plan installments) and the standing credit that pays them; the account lock
every money movement on an account takes first."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple
from uuid import UUID

from shared.data import payments as data
from shared.data.sql import Conn
from shared.domain.errors import NotFound
from shared.domain.money import ZERO
from shared.domain.payments.errors import PaymentsError
from shared.domain.payments.model import OpenInstallment, OpenInvoice
from shared.domain.payments.operations import move_credit


class AccountNotFound(PaymentsError, NotFound, LookupError):
    """The account does not exist in the tenant."""

    default_code = "not_found"
    detail = "La cuenta no existe."


def lock_account(conn: Conn, *, account_id: int, detail_es: str | None = None) -> data.LockedAccount:
    """The account row, locked for the rest of the transaction; AccountNotFound when there is none."""
    account = data.lock_account(conn, account_id=account_id)
    if account is None:
        raise AccountNotFound(f"account {account_id} not found", detail_es=detail_es)
    return account


class OpenItems(NamedTuple):
    """What an account still owes: invoices outside a plan, the active plan's installments and its invoices."""

    invoices: list[OpenInvoice]
    installments: list[OpenInstallment]
    plan_invoices: list[OpenInvoice]


def open_items(conn: Conn, *, account_id: int) -> OpenItems:
    plan_id = data.active_plan_id(conn, account_id=account_id)
    invoices: list[OpenInvoice] = []
    plan_invoices: list[OpenInvoice] = []
    for r in data.open_invoices(conn, account_id=account_id):
        item = OpenInvoice(int(r.invoice_id), r.period, Decimal(r.open_amount))
        (plan_invoices if plan_id is not None and r.plan_id == plan_id else invoices).append(item)
    installments = []
    if plan_id is not None:
        installments = [
            OpenInstallment(int(i.id), i.due_date, int(i.seq), Decimal(i.amount) - Decimal(i.paid_amount))
            for i in data.plan_installments(conn, plan_id=plan_id)
            if i.paid_amount < i.amount
        ]
    return OpenItems(invoices, installments, plan_invoices)


def move_account_credit(conn: Conn, *, tenant_id: UUID | str, account_id: int) -> Decimal:
    """Use the account's standing credit to pay open items (no ledger movement: the balance already has it).
    The caller holds the account lock. Returns the amount moved."""
    credits = data.standing_credits(conn, account_id=account_id)
    if not credits:
        return ZERO
    invoices, installments, plan_invoices = open_items(conn, account_id=account_id)
    moved = ZERO
    for move in move_credit(credits=credits, invoices=invoices, installments=installments, plan_invoices=plan_invoices):
        data.insert_allocation(
            conn,
            tenant_id=tenant_id,
            payment_id=move.take.payment_id,
            target="credit",
            amount=-move.take.amount,
            reversal_of=move.take.reversal_of,
        )
        for a in move.allocations:
            data.insert_allocation(
                conn,
                tenant_id=tenant_id,
                payment_id=move.take.payment_id,
                target=a.target,
                amount=a.amount,
                invoice_id=a.invoice_id,
                installment_id=a.installment_id,
            )
            if a.installment_id is not None:
                data.add_installment_paid(conn, installment_id=a.installment_id, delta=a.amount)
        moved += move.take.amount
    return moved
