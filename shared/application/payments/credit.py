"""An account's open items (invoices, plan installments) and the standing credit that pays them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from shared.data import payments as data
from shared.domain.money import ZERO
from shared.domain.payments.model import OpenInstallment, OpenInvoice, StandingAllocation
from shared.domain.payments.operations import move_credit


def open_items(conn: psycopg.Connection[Any], account_id: int
                ) -> tuple[list[OpenInvoice], list[OpenInstallment], list[OpenInvoice]]:
    plan = data.active_plan(conn, account_id)
    plan_id = plan["id"] if plan else None
    invoices: list[OpenInvoice] = []
    plan_invoices: list[OpenInvoice] = []
    for r in data.open_invoices(conn, account_id):
        item = OpenInvoice(int(r["invoice_id"]), r["period"], Decimal(r["open_amount"]))
        (plan_invoices if plan_id is not None and r["plan_id"] == plan_id else invoices).append(item)
    installments = []
    if plan_id is not None:
        installments = [OpenInstallment(int(i["id"]), i["due_date"], int(i["seq"]),
                                        Decimal(i["amount"]) - Decimal(i["paid_amount"]))
                        for i in data.plan_installments(conn, plan_id) if i["paid_amount"] < i["amount"]]
    return invoices, installments, plan_invoices


def move_account_credit(conn: psycopg.Connection[Any], *, tenant_id: UUID | str, account_id: int) -> Decimal:
    """Use the account's standing credit to pay open items (no ledger movement: the balance already has it).
    The caller holds the account lock. Returns the amount moved."""
    credits = [StandingAllocation(int(r["allocation_id"]), int(r["payment_id"]), "credit", Decimal(r["amount"]))
               for r in data.standing_credits(conn, account_id)]
    if not credits:
        return ZERO
    invoices, installments, plan_invoices = open_items(conn, account_id)
    moved = ZERO
    for move in move_credit(credits=credits, invoices=invoices, installments=installments,
                            plan_invoices=plan_invoices):
        data.insert_allocation(conn, tenant_id=tenant_id, payment_id=move.take.payment_id, target="credit",
                               amount=-move.take.amount, reversal_of=move.take.reversal_of)
        for a in move.allocations:
            data.insert_allocation(conn, tenant_id=tenant_id, payment_id=move.take.payment_id, target=a.target,
                                   amount=a.amount, invoice_id=a.invoice_id, installment_id=a.installment_id)
            if a.installment_id is not None:
                data.add_installment_paid(conn, a.installment_id, a.amount)
        moved += move.take.amount
    return moved
