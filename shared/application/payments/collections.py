"""Collections: dunning re-evaluation (on every payment and in the daily sweep), payment plans (sign, complete,
detect broken)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from shared.application.outbox import DomainEvent, record
from shared.application.payments.credit import lock_account, move_account_credit
from shared.data import db
from shared.data import payments as data
from shared.data import payments_collections as cdata
from shared.data.sql import Conn
from shared.domain.errors import Invalid
from shared.domain.money import ZERO, decimal_str
from shared.domain.payments import dunning, plans
from shared.domain.payments.errors import PaymentsError

log = logging.getLogger(__name__)


def _cut_state(cut: cdata.LatestCut | None) -> dunning.CutState:
    if cut is None or cut.reconnected:
        return "none"
    return "executed" if cut.status == "done" else "pending"


def reevaluate_account(
    conn: Conn, *, tenant_id: UUID | str, account_id: int, today: date, now: datetime
) -> dunning.DunningDecision:
    """Decide reminders, cuts and reconnections for one account and write them (work orders with natural keys,
    outbox events). The caller holds the account lock."""
    account = lock_account(conn, account_id=account_id)
    policy = dunning.policy_from_config(data.tenant_config(conn).get("dunning"))
    plan_id = data.active_plan_id(conn, account_id=account_id)
    open_invoices = [
        dunning.OverdueInvoice(int(r.invoice_id), r.period, r.due_date, Decimal(r.open_amount))
        for r in data.open_invoices(conn, account_id=account_id)
        if r.due_date is not None and (plan_id is None or r.plan_id != plan_id)
    ]
    cut = cdata.latest_cut(conn, account_id=account_id)
    standing = dunning.AccountStanding(
        tariff_class=account.tariff_class,
        vulnerable=bool(account.vulnerable),
        household_size=int(account.household_size),
        open_invoices=open_invoices,
        has_active_plan=plan_id is not None,
        cut_state=_cut_state(cut),
    )
    decision = dunning.decide(standing=standing, policy=policy, today=today)
    tid = UUID(str(tenant_id))
    for reminder in decision.reminders:
        key = f"dunning.reminder:{account_id}:{reminder.invoice_id}:{reminder.level}"
        due = next(i.due_date for i in decision.overdue if i.invoice_id == reminder.invoice_id)
        # A deterministic business moment: re-evaluating again records nothing new (outbox key + moment).
        at = datetime.combine(due + timedelta(days=policy.reminder_days[reminder.level - 1]), time(), tzinfo=UTC)
        record(
            conn,
            DomainEvent(
                tid,
                "dunning.reminder",
                key,
                "account",
                str(account_id),
                at,
                {
                    "account_id": account_id,
                    "invoice_id": reminder.invoice_id,
                    "period": reminder.period.isoformat(),
                    "level": reminder.level,
                },
            ),
        )
    if decision.cut is not None:
        first = decision.overdue[0]
        generation = cut.id if cut is not None else 0
        reason = decision.notice_es or (
            f"Suspensión por adeudo de {decision.unpaid_periods} periodos vencidos (cuenta no doméstica)."
        )
        wo = cdata.insert_work_order(
            conn,
            tenant_id=tenant_id,
            kind=decision.cut,
            account_id=account_id,
            toma_id=int(account.toma_id),
            reason=reason,
            priority="high",
            natural_key=f"dunning:{decision.cut}:{account_id}:{first.invoice_id}:{generation}",
        )
        if wo is not None:
            record(
                conn,
                DomainEvent(
                    tid,
                    f"dunning.{decision.cut}_ordered",
                    f"dunning.cut:{wo}",
                    "account",
                    str(account_id),
                    now,
                    {
                        "account_id": account_id,
                        "work_order_id": wo,
                        "notice_es": decision.notice_es,
                        "unpaid_periods": decision.unpaid_periods,
                    },
                ),
            )
    if decision.protected:
        last = decision.overdue[-1]
        record(
            conn,
            DomainEvent(
                tid,
                "dunning.protected",
                f"dunning.protected:{account_id}:{last.invoice_id}",
                "account",
                str(account_id),
                datetime.combine(last.due_date, time(), tzinfo=UTC),
                {"account_id": account_id, "unpaid_periods": decision.unpaid_periods},
            ),
        )
    if cut is not None and decision.cancel_pending_cut:
        cdata.cancel_work_order(conn, work_order_id=int(cut.id))
        record(
            conn,
            DomainEvent(
                tid,
                "dunning.cut_cancelled",
                f"dunning.cut_cancelled:{cut.id}",
                "account",
                str(account_id),
                now,
                {"account_id": account_id, "work_order_id": cut.id},
            ),
        )
    if cut is not None and decision.reconnect:
        wo = cdata.insert_work_order(
            conn,
            tenant_id=tenant_id,
            kind="reconnection",
            account_id=account_id,
            toma_id=int(account.toma_id),
            reason="Reconexión: adeudo vencido cubierto o convenio firmado.",
            priority="high",
            natural_key=f"dunning:reconnection:{cut.id}",
        )
        if wo is not None:
            record(
                conn,
                DomainEvent(
                    tid,
                    "dunning.reconnection_ordered",
                    f"dunning.reconnection:{wo}",
                    "account",
                    str(account_id),
                    now,
                    {"account_id": account_id, "work_order_id": wo},
                ),
            )
    return decision


def _installment_states(conn: Conn, plan_id: int) -> list[plans.InstallmentState]:
    return [
        plans.InstallmentState(int(i.seq), i.due_date, Decimal(i.amount), Decimal(i.paid_amount))
        for i in data.plan_installments(conn, plan_id=plan_id)
    ]


def complete_plan_if_paid(conn: Conn, *, account_id: int) -> bool:
    plan_id = data.active_plan_id(conn, account_id=account_id)
    if plan_id is None:
        return False
    if plans.is_completed(installments=_installment_states(conn, plan_id)):
        cdata.set_plan_status(conn, plan_id=plan_id, status="completed")
        return True
    return False


class PlanNotEligible(PaymentsError, Invalid):
    """The account cannot sign this plan; `problems` lists why (Spanish, also the problem's detail)."""

    default_code = "plan_not_eligible"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems), detail_es="; ".join(problems))
        self.problems = problems


class InvalidPlan(PaymentsError, Invalid, ValueError):
    """The plan rules refused the schedule (or the tenant's plan policy could not be read); the detail is the
    rule's message."""

    default_code = "invalid_plan"


def sign_plan(
    *,
    tenant_id: UUID | str,
    account_id: int,
    down_payment: Decimal,
    installments: int,
    first_due: date,
    created_by: str,
    now: datetime,
) -> int:
    """Refinance the account's open, overdue-or-not invoices into a plan; returns the plan id. Signing a plan
    re-evaluates dunning (a pending cut is cancelled, an executed one gets a reconnection)."""
    try:
        return _sign_plan(
            tenant_id=tenant_id,
            account_id=account_id,
            down_payment=down_payment,
            installments=installments,
            first_due=first_due,
            created_by=created_by,
            now=now,
        )
    except InvalidPlan:
        raise
    except ValueError as exc:  # a plan rule (schedule, policy) refused it
        raise InvalidPlan(str(exc), detail_es=str(exc)) from exc


def _sign_plan(
    *,
    tenant_id: UUID | str,
    account_id: int,
    down_payment: Decimal,
    installments: int,
    first_due: date,
    created_by: str,
    now: datetime,
) -> int:
    with db.tenant_transaction(tenant_id) as conn:
        account = lock_account(conn, account_id=account_id)
        policy = plans.policy_from_config(data.tenant_config(conn).get("payment_plans"))
        invoices = [r for r in data.open_invoices(conn, account_id=account_id) if r.plan_id is None]
        debt = sum((Decimal(r.open_amount) for r in invoices), start=ZERO)
        problems = plans.eligibility_problems(
            debt=debt,
            down_payment=down_payment,
            installments=installments,
            vulnerable=bool(account.vulnerable),
            has_active_plan=data.active_plan_id(conn, account_id=account_id) is not None,
            last_broken_on=cdata.last_broken_plan(conn, account_id=account_id),
            today=now.date(),
            policy=policy,
        )
        problems += plans.first_due_problems(first_due=first_due, signed_on=now.date(), policy=policy)
        if problems:
            raise PlanNotEligible(problems)
        schedule = plans.schedule(
            debt=debt, down_payment=down_payment, installments=installments, signed_on=now.date(), first_due=first_due
        )
        plan_id = cdata.insert_plan(
            conn,
            tenant_id=tenant_id,
            account_id=account_id,
            total=debt,
            down_payment=down_payment,
            installments_count=installments,
            signed_at=now,
            created_by=created_by,
        )
        for item in schedule:
            cdata.insert_installment(
                conn, tenant_id=tenant_id, plan_id=plan_id, seq=item.seq, due_date=item.due_date, amount=item.amount
            )
        for r in invoices:
            cdata.insert_plan_invoice(
                conn,
                tenant_id=tenant_id,
                plan_id=plan_id,
                invoice_id=int(r.invoice_id),
                open_at_signing=Decimal(r.open_amount),
            )
        record(
            conn,
            DomainEvent(
                UUID(str(tenant_id)),
                "payment_plan.signed",
                f"payment_plan.signed:{plan_id}",
                "payment_plan",
                str(plan_id),
                now,
                {
                    "plan_id": plan_id,
                    "account_id": account_id,
                    "total": decimal_str(debt),
                    "installments": [
                        {"seq": i.seq, "due_date": i.due_date.isoformat(), "amount": decimal_str(i.amount)}
                        for i in schedule
                    ],
                },
            ),
        )
        # Standing credit pays the first installments; then collections sees a signed plan.

        move_account_credit(conn, tenant_id=tenant_id, account_id=account_id)
        complete_plan_if_paid(conn, account_id=account_id)
        reevaluate_account(conn, tenant_id=tenant_id, account_id=account_id, today=now.date(), now=now)
        return plan_id


def detect_broken_plans(*, tenant_id: UUID | str, today: date, now: datetime) -> list[int]:
    """Timer: plans with an installment still short after the grace days become 'broken' (reported as events);
    their invoices fall back into ordinary dunning."""
    broken: list[int] = []
    with db.tenant_transaction(tenant_id) as conn:
        policy = plans.policy_from_config(data.tenant_config(conn).get("payment_plans"))
        for row in cdata.active_plans_with_due_installments(conn, before=today - timedelta(days=policy.grace_days)):
            states = _installment_states(conn, row.id)
            if not plans.is_broken(installments=states, today=today, grace_days=policy.grace_days):
                continue
            data.lock_account(conn, account_id=int(row.account_id))
            cdata.set_plan_status(conn, plan_id=row.id, status="broken", at=now)
            owed = sum((s.amount - s.paid_amount for s in states), start=ZERO)
            record(
                conn,
                DomainEvent(
                    UUID(str(tenant_id)),
                    "payment_plan.broken",
                    f"payment_plan.broken:{row.id}",
                    "payment_plan",
                    str(row.id),
                    now,
                    {"plan_id": row.id, "account_id": row.account_id, "owed": decimal_str(owed)},
                ),
            )
            reevaluate_account(conn, tenant_id=tenant_id, account_id=int(row.account_id), today=today, now=now)
            broken.append(int(row.id))
    if broken:
        log.warning("payment plans broken", extra={"tenant_id": str(tenant_id), "plans": broken})
    return broken


def dunning_sweep(*, tenant_id: UUID | str, today: date, now: datetime, limit: int = 5000) -> int:
    """Daily: re-evaluate accounts with overdue invoices (reminders and cuts come due with time, not payments)."""
    with db.tenant_transaction(tenant_id) as conn:
        accounts = cdata.accounts_with_overdue(conn, today=today, limit=limit)
    for account_id in accounts:
        with db.tenant_transaction(tenant_id) as conn:
            reevaluate_account(conn, tenant_id=tenant_id, account_id=account_id, today=today, now=now)
    return len(accounts)
