"""Dunning (cobranza) decisions by tenant policy, re-evaluated on every payment and by the daily sweep.

Querétaro's water law (art. 74): a domestic toma with two unpaid periods is *restricted* to about 50 litres per
person per day, never cut; the notice goes on the bill. Non-domestic tomas are suspended. Accounts of people
declared vulnerable are never restricted nor suspended (they only get reminders). Paying the overdue debt or
signing a convenio reconnects (or cancels a cut that was not executed yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from shared.domain.money import ZERO

LITRES_PER_PERSON_PER_DAY = 50
CutKind = Literal["restriction", "suspension"]
CutState = Literal["none", "pending", "executed"]


@dataclass(frozen=True)
class DunningPolicy:
    reminder_days: tuple[int, ...] = (1, 15)
    domestic_classes: frozenset[str] = frozenset({"domestico", "social"})
    restrict_after_unpaid_periods: int = 2
    suspend_after_unpaid_periods: int = 2
    min_overdue_amount: Decimal = Decimal("1.00")


def policy_from_config(config: dict[str, object] | None) -> DunningPolicy:
    """Tenant overrides from tenants.config["dunning"]."""
    values = dict(config or {})
    base = DunningPolicy()
    return DunningPolicy(
        reminder_days=tuple(int(str(d)) for d in values.get("reminder_days", base.reminder_days)),  # type: ignore[attr-defined]
        domestic_classes=frozenset(str(c) for c in values.get("domestic_classes", base.domestic_classes)),  # type: ignore[attr-defined]
        restrict_after_unpaid_periods=int(
            str(values.get("restrict_after_unpaid_periods", base.restrict_after_unpaid_periods))
        ),
        suspend_after_unpaid_periods=int(
            str(values.get("suspend_after_unpaid_periods", base.suspend_after_unpaid_periods))
        ),
        min_overdue_amount=Decimal(str(values.get("min_overdue_amount", base.min_overdue_amount))),
    )


@dataclass(frozen=True)
class OverdueInvoice:
    invoice_id: int
    period: date
    due_date: date
    open_amount: Decimal


@dataclass(frozen=True)
class AccountStanding:
    tariff_class: str
    vulnerable: bool
    household_size: int
    open_invoices: Sequence[OverdueInvoice]  # open, not covered by a plan
    has_active_plan: bool
    cut_state: CutState  # restriction/suspension work order: none, pending (not executed) or executed


@dataclass(frozen=True)
class Reminder:
    invoice_id: int
    period: date
    level: int  # 1-based: which of policy.reminder_days has passed


@dataclass(frozen=True)
class DunningDecision:
    reminders: tuple[Reminder, ...] = ()
    cut: CutKind | None = None
    protected: bool = False  # a cut was due but the account is protected
    reconnect: bool = False  # an executed cut must be undone
    cancel_pending_cut: bool = False  # a cut not executed yet is no longer due
    unpaid_periods: int = 0
    notice_es: str | None = None
    overdue: tuple[OverdueInvoice, ...] = field(default_factory=tuple)


def restriction_notice(*, household_size: int, unpaid_periods: int) -> str:
    litres = LITRES_PER_PERSON_PER_DAY * max(household_size, 1)
    return (
        f"AVISO DE RESTRICCIÓN: esta cuenta tiene {unpaid_periods} periodos vencidos sin pagar. Conforme al "
        f"artículo 74 de la ley de agua del Estado de Querétaro, el suministro se limitará a aproximadamente "
        f"{LITRES_PER_PERSON_PER_DAY} litros por persona al día ({litres} litros diarios para "
        f"{max(household_size, 1)} personas); el servicio no se suspende. Pague el adeudo o firme un convenio "
        f"para restablecer el suministro normal."
    )


def decide(*, standing: AccountStanding, policy: DunningPolicy, today: date) -> DunningDecision:
    overdue = tuple(
        sorted(
            (i for i in standing.open_invoices if i.due_date < today and i.open_amount >= policy.min_overdue_amount),
            key=lambda i: (i.period, i.invoice_id),
        )
    )
    overdue_total = sum((i.open_amount for i in overdue), start=ZERO)
    if not overdue or overdue_total <= ZERO:
        return DunningDecision(
            reconnect=standing.cut_state == "executed", cancel_pending_cut=standing.cut_state == "pending"
        )
    reminders = tuple(
        Reminder(invoice_id=i.invoice_id, period=i.period, level=level)
        for i in overdue
        for level, days in enumerate(policy.reminder_days, start=1)
        if (today - i.due_date).days >= days
    )
    periods = len({i.period for i in overdue})
    domestic = standing.tariff_class in policy.domestic_classes
    threshold = policy.restrict_after_unpaid_periods if domestic else policy.suspend_after_unpaid_periods
    if standing.has_active_plan or periods < threshold:
        # Debt under a signed convenio (or below the cut threshold): remind, never cut; undo earlier cuts
        # only when a plan was signed.
        return DunningDecision(
            reminders=reminders,
            unpaid_periods=periods,
            overdue=overdue,
            reconnect=standing.has_active_plan and standing.cut_state == "executed",
            cancel_pending_cut=standing.has_active_plan and standing.cut_state == "pending",
        )
    if standing.vulnerable:
        return DunningDecision(reminders=reminders, protected=True, unpaid_periods=periods, overdue=overdue)
    kind: CutKind = "restriction" if domestic else "suspension"
    notice = restriction_notice(household_size=standing.household_size, unpaid_periods=periods) if domestic else None
    return DunningDecision(
        reminders=reminders,
        cut=kind if standing.cut_state == "none" else None,
        unpaid_periods=periods,
        notice_es=notice,
        overdue=overdue,
    )
