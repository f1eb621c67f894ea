"""Collections: dunning re-evaluation (on every payment and in the daily sweep), payment plans (sign, complete,
detect broken)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from shared.application.outbox import DomainEvent, record
from shared.application.payments.credit import move_account_credit
from shared.data import db
from shared.data import payments as data
from shared.data import payments_collections as cdata
from shared.domain.money import ZERO, decimal_str
from shared.domain.payments import dunning, plans

log = logging.getLogger(__name__)


def _cut_state(cut: dict[str, Any] | None) -> dunning.CutState:
    if cut is None or cut["reconnected"]:
        return "none"
    return "executed" if cut["status"] == "done" else "pending"


def reevaluate_account(conn: psycopg.Connection[Any], *, tenant_id: UUID | str, account_id: int, today: date,
                       now: datetime) -> dunning.DunningDecision:
    """Decide reminders, cuts and reconnections for one account and write them (work orders with natural keys,
    outbox events). The caller holds the account lock."""
    account = data.lock_account(conn, account_id)
    if account is None:
        raise LookupError(f"account {account_id} not found")
    policy = dunning.policy_from_config(data.tenant_config(conn).get("dunning"))
    plan = data.active_plan(conn, account_id)
    open_invoices = [dunning.OverdueInvoice(int(r["invoice_id"]), r["period"], r["due_date"],
                                            Decimal(r["open_amount"]))
                     for r in data.open_invoices(conn, account_id)
                     if r["due_date"] is not None and (plan is None or r["plan_id"] != plan["id"])]
    cut = cdata.latest_cut(conn, account_id)
    standing = dunning.AccountStanding(
        tariff_class=account["tariff_class"], vulnerable=bool(account["vulnerable"]),
        household_size=int(account["household_size"]), open_invoices=open_invoices,
        has_active_plan=plan is not None, cut_state=_cut_state(cut))
    decision = dunning.decide(standing=standing, policy=policy, today=today)
    tid = UUID(str(tenant_id))
    for reminder in decision.reminders:
        key = f"dunning.reminder:{account_id}:{reminder.invoice_id}:{reminder.level}"
        due = next(i.due_date for i in decision.overdue if i.invoice_id == reminder.invoice_id)
        # A deterministic business moment: re-evaluating again records nothing new (outbox key + moment).
        at = datetime.combine(due + timedelta(days=policy.reminder_days[reminder.level - 1]), time(), tzinfo=UTC)
        record(conn, DomainEvent(tid, "dunning.reminder", key, "account", str(account_id), at,
                                 {"account_id": account_id, "invoice_id": reminder.invoice_id,
                                  "period": reminder.period.isoformat(), "level": reminder.level}))
    if decision.cut is not None:
        first = decision.overdue[0]
        generation = cut["id"] if cut is not None else 0
        reason = decision.notice_es or (
            f"Suspensión por adeudo de {decision.unpaid_periods} periodos vencidos (cuenta no doméstica).")
        wo = cdata.insert_work_order(conn, tenant_id=tenant_id, kind=decision.cut, account_id=account_id,
                                     toma_id=int(account["toma_id"]), reason=reason, priority="high",
                                     natural_key=f"dunning:{decision.cut}:{account_id}:{first.invoice_id}:{generation}")
        if wo is not None:
            record(conn, DomainEvent(tid, f"dunning.{decision.cut}_ordered", f"dunning.cut:{wo}", "account",
                                     str(account_id), now,
                                     {"account_id": account_id, "work_order_id": wo, "notice_es": decision.notice_es,
                                      "unpaid_periods": decision.unpaid_periods}))
    if decision.protected:
        last = decision.overdue[-1]
        record(conn, DomainEvent(tid, "dunning.protected", f"dunning.protected:{account_id}:{last.invoice_id}",
                                 "account", str(account_id),
                                 datetime.combine(last.due_date, time(), tzinfo=UTC),
                                 {"account_id": account_id, "unpaid_periods": decision.unpaid_periods}))
    if cut is not None and decision.cancel_pending_cut:
        cdata.cancel_work_order(conn, int(cut["id"]))
        record(conn, DomainEvent(tid, "dunning.cut_cancelled", f"dunning.cut_cancelled:{cut['id']}", "account",
                                 str(account_id), now, {"account_id": account_id, "work_order_id": cut["id"]}))
    if cut is not None and decision.reconnect:
        wo = cdata.insert_work_order(
            conn, tenant_id=tenant_id, kind="reconnection", account_id=account_id, toma_id=int(account["toma_id"]),
            reason="Reconexión: adeudo vencido cubierto o convenio firmado.", priority="high",
            natural_key=f"dunning:reconnection:{cut['id']}")
        if wo is not None:
            record(conn, DomainEvent(tid, "dunning.reconnection_ordered", f"dunning.reconnection:{wo}", "account",
                                     str(account_id), now, {"account_id": account_id, "work_order_id": wo}))
    return decision


def complete_plan_if_paid(conn: psycopg.Connection[Any], *, account_id: int) -> bool:
    plan = data.active_plan(conn, account_id)
    if plan is None:
        return False
    states = [plans.InstallmentState(int(i["seq"]), i["due_date"], Decimal(i["amount"]), Decimal(i["paid_amount"]))
              for i in data.plan_installments(conn, plan["id"])]
    if plans.is_completed(installments=states):
        cdata.set_plan_status(conn, plan["id"], "completed")
        return True
    return False


class PlanNotEligible(ValueError):
    """The account cannot sign this plan; `problems` lists why (Spanish)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def sign_plan(*, tenant_id: UUID | str, account_id: int, down_payment: Decimal, installments: int,
              first_due: date, created_by: str, now: datetime | None = None) -> int:
    """Refinance the account's open, overdue-or-not invoices into a plan; returns the plan id. Signing a plan
    re-evaluates dunning (a pending cut is cancelled, an executed one gets a reconnection)."""
    now = now or datetime.now(UTC)
    with db.tenant_transaction(tenant_id) as conn:
        account = data.lock_account(conn, account_id)
        if account is None:
            raise LookupError(f"account {account_id} not found")
        policy = plans.policy_from_config(data.tenant_config(conn).get("payment_plans"))
        invoices = [r for r in data.open_invoices(conn, account_id) if r["plan_id"] is None]
        debt = sum((Decimal(r["open_amount"]) for r in invoices), start=ZERO)
        problems = plans.eligibility_problems(
            debt=debt, down_payment=down_payment, installments=installments, vulnerable=bool(account["vulnerable"]),
            has_active_plan=data.active_plan(conn, account_id) is not None,
            last_broken_on=cdata.last_broken_plan(conn, account_id), today=now.date(), policy=policy)
        if problems:
            raise PlanNotEligible(problems)
        schedule = plans.schedule(debt=debt, down_payment=down_payment, installments=installments,
                                  signed_on=now.date(), first_due=first_due)
        plan_id = cdata.insert_plan(conn, tenant_id=tenant_id, account_id=account_id, total=debt,
                                    down_payment=down_payment, installments_count=installments, signed_at=now,
                                    created_by=created_by)
        for item in schedule:
            cdata.insert_installment(conn, tenant_id=tenant_id, plan_id=plan_id, seq=item.seq, due_date=item.due_date,
                                     amount=item.amount)
        for r in invoices:
            cdata.insert_plan_invoice(conn, tenant_id=tenant_id, plan_id=plan_id, invoice_id=int(r["invoice_id"]),
                                      open_at_signing=Decimal(r["open_amount"]))
        record(conn, DomainEvent(UUID(str(tenant_id)), "payment_plan.signed", f"payment_plan.signed:{plan_id}",
                                 "payment_plan", str(plan_id), now,
                                 {"plan_id": plan_id, "account_id": account_id, "total": decimal_str(debt),
                                  "installments": [{"seq": i.seq, "due_date": i.due_date.isoformat(),
                                                    "amount": decimal_str(i.amount)} for i in schedule]}))
        # Standing credit pays the first installments; then collections sees a signed plan.

        move_account_credit(conn, tenant_id=tenant_id, account_id=account_id)
        complete_plan_if_paid(conn, account_id=account_id)
        reevaluate_account(conn, tenant_id=tenant_id, account_id=account_id, today=now.date(), now=now)
        return plan_id


def detect_broken_plans(*, tenant_id: UUID | str, today: date, now: datetime | None = None) -> list[int]:
    """Timer: plans with an installment still short after the grace days become 'broken' (reported as events);
    their invoices fall back into ordinary dunning."""
    now = now or datetime.now(UTC)
    broken: list[int] = []
    with db.tenant_transaction(tenant_id) as conn:
        policy = plans.policy_from_config(data.tenant_config(conn).get("payment_plans"))
        for row in cdata.active_plans_with_due_installments(conn, before=today - timedelta(days=policy.grace_days)):
            states = [plans.InstallmentState(int(i["seq"]), i["due_date"], Decimal(i["amount"]),
                                             Decimal(i["paid_amount"]))
                      for i in data.plan_installments(conn, row["id"])]
            if not plans.is_broken(installments=states, today=today, grace_days=policy.grace_days):
                continue
            data.lock_account(conn, int(row["account_id"]))
            cdata.set_plan_status(conn, row["id"], "broken", at=now)
            owed = sum((s.amount - s.paid_amount for s in states), start=ZERO)
            record(conn, DomainEvent(UUID(str(tenant_id)), "payment_plan.broken", f"payment_plan.broken:{row['id']}",
                                     "payment_plan", str(row["id"]), now,
                                     {"plan_id": row["id"], "account_id": row["account_id"],
                                      "owed": decimal_str(owed)}))
            reevaluate_account(conn, tenant_id=tenant_id, account_id=int(row["account_id"]), today=today, now=now)
            broken.append(int(row["id"]))
    if broken:
        log.warning("payment plans broken", extra={"tenant_id": str(tenant_id), "plans": broken})
    return broken


def dunning_sweep(*, tenant_id: UUID | str, today: date, limit: int = 5000, now: datetime | None = None) -> int:
    """Daily: re-evaluate accounts with overdue invoices (reminders and cuts come due with time, not payments)."""
    now = now or datetime.now(UTC)
    with db.tenant_transaction(tenant_id) as conn:
        accounts = cdata.accounts_with_overdue(conn, today=today, limit=limit)
    for account_id in accounts:
        with db.tenant_transaction(tenant_id) as conn:
            reevaluate_account(conn, tenant_id=tenant_id, account_id=account_id, today=today, now=now)
    return len(accounts)
