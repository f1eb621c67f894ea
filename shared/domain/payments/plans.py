"""Payment plans (convenios): eligibility, installment schedule, broken-plan detection."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from shared.domain.money import CENT, ZERO, require_decimal, round_cents


@dataclass(frozen=True)
class PlanPolicy:
    min_debt: Decimal = Decimal("300.00")
    min_down_payment_ratio: Decimal = Decimal("0.20")
    max_installments: int = 12
    vulnerable_min_down_payment_ratio: Decimal = Decimal("0.10")
    vulnerable_max_installments: int = 24
    broken_cooldown_days: int = 180
    grace_days: int = 10
    max_first_due_days: int = 90


@dataclass(frozen=True)
class ScheduledInstallment:
    seq: int
    due_date: date
    amount: Decimal


def policy_from_config(config: dict[str, object] | None) -> PlanPolicy:
    """Tenant overrides from tenants.config["payment_plans"] (unknown keys are refused)."""
    values = dict(config or {})
    base = PlanPolicy()
    kwargs: dict[str, object] = {}
    for key, value in values.items():
        if not hasattr(base, key):
            raise ValueError(f"unknown payment plan policy key {key!r}")
        current = getattr(base, key)
        kwargs[key] = Decimal(str(value)) if isinstance(current, Decimal) else int(str(value))
    return PlanPolicy(**kwargs)  # type: ignore[arg-type]


def eligibility_problems(
    *,
    debt: Decimal,
    down_payment: Decimal,
    installments: int,
    vulnerable: bool,
    has_active_plan: bool,
    last_broken_on: date | None,
    today: date,
    policy: PlanPolicy,
) -> list[str]:
    """Reasons (Spanish, for the operator) why the plan cannot be signed; empty when it can."""
    debt = require_decimal(debt, name="debt")
    down_payment = require_decimal(down_payment, name="down_payment")
    problems: list[str] = []
    if has_active_plan:
        problems.append("La cuenta ya tiene un convenio activo.")
    if debt < policy.min_debt:
        problems.append(f"El adeudo ({debt}) es menor al mínimo para convenio ({policy.min_debt}).")
    ratio = policy.vulnerable_min_down_payment_ratio if vulnerable else policy.min_down_payment_ratio
    max_n = policy.vulnerable_max_installments if vulnerable else policy.max_installments
    if down_payment < round_cents(debt * ratio):
        problems.append(f"El anticipo mínimo es {round_cents(debt * ratio)} ({ratio * 100:.0f}% del adeudo).")
    if down_payment >= debt:
        problems.append("El anticipo cubre todo el adeudo: no se requiere convenio.")
    if not 1 <= installments <= max_n:
        problems.append(f"El número de parcialidades debe estar entre 1 y {max_n}.")
    if last_broken_on is not None and today - last_broken_on < timedelta(days=policy.broken_cooldown_days):
        problems.append(f"Hubo un convenio incumplido hace menos de {policy.broken_cooldown_days} días.")
    return problems


def first_due_problems(*, first_due: date, signed_on: date, policy: PlanPolicy) -> list[str]:
    """The first installment falls after the signing day and within `max_first_due_days` of it (a plan due in
    1900 or 2999 is a typing error, never a schedule)."""
    latest = signed_on + timedelta(days=policy.max_first_due_days)
    if first_due <= signed_on:
        return [f"La primera parcialidad debe vencer después de la firma ({signed_on.isoformat()})."]
    if first_due > latest:
        return [
            f"La primera parcialidad debe vencer a más tardar {policy.max_first_due_days} días después de la firma "
            f"({latest.isoformat()})."
        ]
    return []


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(
    *, debt: Decimal, down_payment: Decimal, installments: int, signed_on: date, first_due: date
) -> list[ScheduledInstallment]:
    """Down payment as seq 0 due on signing (when > 0), then `installments` monthly parts from `first_due`.
    Parts are equal, rounded down to centavos; the last absorbs the remainder (so it is never smaller than the others
    and never negative) and the schedule adds up to `debt` exactly."""
    debt = require_decimal(debt, name="debt")
    down_payment = require_decimal(down_payment, name="down_payment")
    if installments < 1 or down_payment < ZERO or down_payment >= debt:
        raise ValueError("a plan needs 1+ installments and a down payment in [0, debt)")
    rest = debt - down_payment
    part = (rest / installments).quantize(CENT, rounding=ROUND_DOWN)
    out: list[ScheduledInstallment] = []
    if down_payment > ZERO:
        out.append(ScheduledInstallment(seq=0, due_date=signed_on, amount=down_payment))
    for k in range(installments):
        amount = part if k < installments - 1 else rest - part * (installments - 1)
        out.append(ScheduledInstallment(seq=k + 1, due_date=_add_months(first_due, k), amount=amount))
    if any(i.amount <= ZERO for i in out):
        raise ValueError("installments too small for this debt")
    return out


@dataclass(frozen=True)
class InstallmentState:
    seq: int
    due_date: date
    amount: Decimal
    paid_amount: Decimal


def is_broken(*, installments: Sequence[InstallmentState], today: date, grace_days: int) -> bool:
    """A plan is broken when an installment is still short `grace_days` after its due date."""
    return any(i.paid_amount < i.amount and i.due_date + timedelta(days=grace_days) < today for i in installments)


def is_completed(*, installments: Sequence[InstallmentState]) -> bool:
    return bool(installments) and all(i.paid_amount >= i.amount for i in installments)
