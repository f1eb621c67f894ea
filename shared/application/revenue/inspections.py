"""Inspection candidates and what follows them: the ranked list per sector (explainable signals, evidence, score;
tenant thresholds), inspection work orders created from it, and the inspection's outcome, which feeds a fraud case
through the fraud workflow (shared.application.operations.fraud) and prices the back-bill or the credit month by
month with each month's tariff (shared.domain.revenue.backbilling):

  fraud_confirmed → case confirmed with the back-billing amount, then closed: the ledger adjustment is posted by the
                    fraud workflow (`fraud-back-billing:<case>`)
  meter_fault     → case dismissed (not a fraud) and closed; a positive difference is a back-bill adjustment
                    (`inspection:<wo>:back-bill`), a negative one credits the invoices of the months over-billed
                    through billing.adjustments.credit_invoice, whose `adjustment.credited` event issues the Egreso
  no_finding      → case dismissed and closed, nothing billed
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from shared.application.access.principal import (
    ALL_DATA,
    BACK_BILLING,
    FRAUD_READ,
    FRAUD_WRITE,
    WORK_ORDERS_MANAGE,
    Principal,
)
from shared.application.billing import adjustments
from shared.application.operations import fraud, work_orders
from shared.application.outbox import DomainEvent, record
from shared.application.revenue.balance import NoMacroReads, water_balance
from shared.data import ledger
from shared.data import revenue as sql
from shared.data.db import use_case_transaction
from shared.domain.casework.work_orders import due_at
from shared.domain.errors import Conflict, Invalid, NotFound
from shared.domain.money import decimal_str
from shared.domain.revenue.backbilling import Assessment, MonthToAssess, assess
from shared.domain.revenue.candidates import AccountHistory, Candidate, rank_candidates, rising_sectors
from shared.domain.revenue.months import add_months, window
from shared.domain.revenue.settings import RevenueSettings, parse_settings
from shared.domain.tariffs.breakdown import Quote
from shared.domain.tariffs.operations import quote
from shared.domain.tariffs.queries import NoScheduleInForce, select_schedule
from shared.domain.tariffs.schema import TariffSchedule
from shared.domain.timezone import UTILITY_TZ

HISTORY_MONTHS = sql.HISTORY_SLOTS  # 12
BACK_BILLED = "revenue.back_billed"  # consumer: shared.application.cfdi.backbill


class NoReads(Invalid):
    default_code = "no_reads"

    def __init__(self, period: date) -> None:
        super().__init__(None, f"No hay lecturas de medidores en los 12 meses hasta {period.isoformat()[:7]}.")


class InspectionNotFound(NotFound):
    default_code = "inspection_not_found"

    def __init__(self) -> None:
        super().__init__(None, "No existe la orden de inspección o no tiene acceso a ella.")


@dataclass(frozen=True)
class CandidateList:
    period: date
    accounts_scanned: int
    candidates: tuple[Candidate, ...]

    def to_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        shown = self.candidates if limit is None else self.candidates[:limit]
        return {
            "period": self.period.isoformat()[:7],
            "accounts_scanned": self.accounts_scanned,
            "candidates_found": len(self.candidates),
            "candidates": [{"rank": i + 1, **c.to_dict()} for i, c in enumerate(shown)],
        }


def _local_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTILITY_TZ)


def _histories(
    conn: Any, *, period: date, sector: str | None, accounts: Sequence[int] | None = None
) -> list[AccountHistory]:
    months = window(last=period, months=HISTORY_MONTHS)
    bounds = [_local_start(add_months(months[0], -1)), *(_local_start(m) for m in months)]
    bounds.append(_local_start(add_months(period, 1)))
    rows = sql.account_histories(conn, bounds=bounds, sector=sector, accounts=accounts)
    return [
        AccountHistory(
            account_id=r.account_id,
            sector=r.sector,
            tariff_class=r.tariff_class,
            household_size=r.household_size,
            occupied=r.occupied,
            monthly_m3=tuple(r.m3),
            reversals=r.reversals,
            tamper_reports=r.tamper_reports,
        )
        for r in rows
    ]


def _rising(principal: Principal, *, period: date, settings: RevenueSettings) -> dict[str, Decimal]:
    try:
        report = water_balance(principal=principal, period=period)
    except NoMacroReads:
        return {}  # no macro reads: the sector signal is simply not available
    return rising_sectors(
        changes=[(r.sector, r.pct_change_points) for r in report.ranking], thresholds=settings.thresholds
    )


def inspection_candidates(*, principal: Principal, period: date, sector: str | None = None) -> CandidateList:
    """Every account with a signal, best first, from the 12 months of reads ending with `period`."""
    principal.require(FRAUD_READ)
    principal.require(ALL_DATA)
    with use_case_transaction(principal.tenant_id) as conn:
        settings = parse_settings(sql.tenant_config(conn))
        histories = _histories(conn, period=period, sector=sector)
    if not histories:
        raise NoReads(period)
    ranked = rank_candidates(
        histories=histories,
        thresholds=settings.thresholds,
        rising_sectors=_rising(principal, period=period, settings=settings),
    )
    return CandidateList(period=period, accounts_scanned=len(histories), candidates=tuple(ranked))


def _reason(candidate: Candidate) -> str:
    codes = ", ".join(s.code for s in candidate.signals)
    return f"Inspección por señales de pérdida comercial ({codes}); puntaje {decimal_str(candidate.score)}"


def create_inspection_orders(
    *,
    principal: Principal,
    period: date,
    account_ids: Sequence[int] | None = None,
    top: int | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Inspection work orders for the chosen candidates (by account, or the `top` N), each with its evidence as of
    now; one per account and period (a repeat returns the same orders). Accounts that are not candidates are
    refused by id."""
    principal.require(FRAUD_WRITE)
    principal.require(WORK_ORDERS_MANAGE)
    if (account_ids is None) == (top is None):
        raise Invalid("choose_candidates", "Indique las cuentas (account_ids) o cuántos de los primeros (top).")
    found = inspection_candidates(principal=principal, period=period)
    if account_ids is not None:
        by_id = {c.account_id: c for c in found.candidates}
        missing = [a for a in account_ids if a not in by_id]
        if missing:
            raise Invalid("not_candidates", f"Estas cuentas no son candidatas en {period.isoformat()[:7]}: {missing}")
        chosen = [by_id[a] for a in dict.fromkeys(account_ids)]
    else:
        chosen = list(found.candidates[: top or 0])
    items = [
        sql.NewInspection(c.account_id, c.score, json.dumps(c.to_dict(), ensure_ascii=False), _reason(c))
        for c in chosen
    ]
    with use_case_transaction(principal.tenant_id) as conn:
        ids = sql.create_inspections(
            conn,
            tenant_id=principal.tenant_id,
            period=period,
            items=items,
            at=now,
            due_at=due_at(kind="inspection", priority="normal", created_at=now),
        )
    return {"period": period.isoformat()[:7], "work_order_ids": ids}


def list_inspections(*, principal: Principal, period: date | None, limit: int = 200) -> list[dict[str, Any]]:
    principal.require(FRAUD_READ)
    with use_case_transaction(principal.tenant_id) as conn:
        rows = sql.list_inspection_orders(conn, period=period, limit=limit)
    return [_public(r) for r in rows]


def _public(r: sql.InspectionOrder) -> dict[str, Any]:
    return {
        "work_order_id": r.work_order_id,
        "account_id": r.account_id,
        "period": r.period.isoformat()[:7],
        "score": decimal_str(r.score),
        "evidence": r.evidence,
        "work_order_status": r.work_order_status,
        "outcome": r.outcome,
        "fraud_case_id": r.fraud_case_id,
        "assessment": r.assessment,
        "amount": None if r.amount is None else decimal_str(r.amount),
    }


def _pricer(schedules: Sequence[TariffSchedule], tariff_class: str) -> tuple[Any, Any]:
    def schedule_for(month: date) -> TariffSchedule:
        try:
            return select_schedule(schedules=schedules, tariff_class=tariff_class, on=month)
        except NoScheduleInForce as error:
            raise Invalid(
                "no_tariff_for_month", f"No hay tarifa '{tariff_class}' vigente en {month.isoformat()[:7]}."
            ) from error

    def price(month: MonthToAssess, m3: Decimal) -> Quote:
        return quote(schedule=schedule_for(month.period), m3=m3, on=month.period)

    return schedule_for, price


def _unpriced(month: MonthToAssess, m3: Decimal) -> Quote:
    raise AssertionError("no month to price")


def assess_months(
    conn: Any,
    *,
    order: sql.InspectionOrder,
    outcome: str,
    assessed: Sequence[tuple[date, Decimal]],
    settings: RevenueSettings,
) -> tuple[Assessment, dict[date, sql.BilledMonth]]:
    """Month by month: the assessed m³ against the billed m³ of the account's issued invoice (0 when none)."""
    if not assessed:
        empty = assess(
            outcome=outcome,
            months=[],
            price=_unpriced,
            surcharge_rate=settings.back_billing_surcharge,
            max_months=settings.back_billing_max_months,
        )
        return empty, {}
    first = min(p for p, _ in assessed)
    end = add_months(max(p for p, _ in assessed), 1)
    billed = {b.period: b for b in sql.billed_months(conn, account_id=order.account_id, start=first, end=end)}
    schedules = [TariffSchedule.model_validate(r.definition) for r in sql.schedules_between(conn, start=first, end=end)]
    schedule_for, price = _pricer(schedules, order.tariff_class)
    months = [
        MonthToAssess(
            period=p,
            billed_m3=billed[p].consumption_m3 if p in billed else Decimal(0),
            assessed_m3=m3,
            tariff_name=schedule_for(p).name,
        )
        for p, m3 in assessed
    ]
    result = assess(
        outcome=outcome,
        months=months,
        price=price,
        surcharge_rate=settings.back_billing_surcharge,
        max_months=settings.back_billing_max_months,
    )
    return result, billed


def _close_case(
    principal: Principal, *, case_id: int, status: str, outcome: str, amount: Decimal | None, now: datetime
) -> None:
    fraud.change_status(
        principal=principal, case_id=case_id, status="investigating", outcome=None, back_billing_amount=None, now=now
    )
    fraud.change_status(
        principal=principal, case_id=case_id, status=status, outcome=outcome, back_billing_amount=amount, now=now
    )
    fraud.change_status(
        principal=principal, case_id=case_id, status="closed", outcome=outcome, back_billing_amount=None, now=now
    )


_OUTCOME_ES = {
    "fraud_confirmed": "Fraude confirmado en inspección",
    "meter_fault": "Falla de medidor encontrada en inspección",
    "no_finding": "Inspección sin hallazgos",
}


def record_inspection_outcome(
    *,
    principal: Principal,
    work_order_id: int,
    outcome: str,
    assessed: Sequence[tuple[date, Decimal]],
    notes: str,
    now: datetime,
) -> dict[str, Any]:
    """Record what the inspection found (the work order must be in progress or done): the fraud case, the
    month-by-month assessment, and the back-bill or the credits. Recording the same outcome again changes nothing
    (and completes credits a crash left undone); a different outcome is a conflict."""
    principal.require(FRAUD_WRITE)
    principal.require(WORK_ORDERS_MANAGE)
    if outcome != "no_finding":
        principal.require(BACK_BILLING)
    with use_case_transaction(principal.tenant_id) as conn:
        order = sql.inspection_order(conn, work_order_id=work_order_id, lock=True)
        if order is None:
            raise InspectionNotFound()
        if order.outcome is not None and order.outcome != outcome:
            raise Conflict("outcome_recorded", f"La inspección ya tiene resultado '{order.outcome}'.")
        if order.outcome is None and order.work_order_status not in ("in_progress", "done"):
            raise Conflict(
                "inspection_not_started",
                f"La orden está en estado '{order.work_order_status}'; registre el resultado al realizarla.",
            )
        settings = parse_settings(sql.tenant_config(conn))
        result, billed = assess_months(conn, order=order, outcome=outcome, assessed=assessed, settings=settings)
        if order.outcome is None:
            _first_recording(principal, conn=conn, order=order, result=result, notes=notes, now=now)
    credits = _credit_months(principal, order=order, result=result, billed=billed, now=now)
    with use_case_transaction(principal.tenant_id) as conn:
        final = sql.inspection_order(conn, work_order_id=work_order_id)
    assert final is not None
    return {**_public(final), "credits": credits}


def _first_recording(
    principal: Principal, *, conn: Any, order: sql.InspectionOrder, result: Assessment, notes: str, now: datetime
) -> None:
    text = f"{_OUTCOME_ES[result.outcome]}. {notes}".strip()
    case = fraud.open_case(
        principal=principal,
        source="inspection",
        account_id=order.account_id,
        toma_id=order.toma_id,
        description=f"Orden de inspección {order.work_order_id}: {text}"[:2000],
    )
    case_id = int(case["id"])
    if result.outcome == "fraud_confirmed":
        amount = result.total if result.total > 0 else None
        _close_case(principal, case_id=case_id, status="confirmed", outcome=text, amount=amount, now=now)
    else:
        _close_case(principal, case_id=case_id, status="dismissed", outcome=text, amount=None, now=now)
        if result.outcome == "meter_fault" and result.total > 0:
            ledger.post_adjustment(
                conn,
                tenant_id=principal.tenant_id,
                account_id=order.account_id,
                amount=result.total,
                reason=f"Refacturación por falla de medidor, inspección {order.work_order_id}",
                key=f"inspection:{order.work_order_id}:back-bill",
                by=principal.subject,
                at=now,
            )
    if result.total > 0 and result.outcome in ("fraud_confirmed", "meter_fault"):
        key = (
            f"fraud-back-billing:{case_id}"
            if result.outcome == "fraud_confirmed"
            else (f"inspection:{order.work_order_id}:back-bill")
        )
        _record_back_billed(principal, conn=conn, order=order, result=result, key=key, case_id=case_id, now=now)
    if order.work_order_status == "in_progress":
        work_orders.change_status(
            principal=principal, work_order_id=order.work_order_id, status="done", assigned_to=None, now=now
        )
    sql.record_outcome(
        conn,
        work_order_id=order.work_order_id,
        outcome=result.outcome,
        fraud_case_id=case_id,
        assessment=json.dumps(result.to_dict(), ensure_ascii=False),
        amount=result.total,
        at=now,
        by=principal.subject,
    )


def _record_back_billed(
    principal: Principal,
    *,
    conn: Any,
    order: sql.InspectionOrder,
    result: Assessment,
    key: str,
    case_id: int,
    now: datetime,
) -> None:
    """`revenue.back_billed` for the back-bill adjustment just posted (same transaction): its consumer issues the
    Ingreso CFDI (shared.application.cfdi.backbill), keyed by the adjustment."""
    adjustment_id = ledger.adjustment_by_key(conn, key=key)
    if adjustment_id is None:
        raise AssertionError(f"back-bill adjustment {key} was not posted")
    periods = sorted(m.period for m in result.months)
    months = periods[0].isoformat()[:7] if len(periods) == 1 else f"{periods[0]:%Y-%m} a {periods[-1]:%Y-%m}"
    record(
        conn,
        DomainEvent(
            UUID(str(principal.tenant_id)),
            BACK_BILLED,
            f"{BACK_BILLED}:{adjustment_id}",
            "adjustment",
            str(adjustment_id),
            now,
            {
                "adjustment_id": adjustment_id,
                "account_id": order.account_id,
                "work_order_id": order.work_order_id,
                "fraud_case_id": case_id,
                "outcome": result.outcome,
                "amount": decimal_str(result.total),
                "consumption": decimal_str(result.difference),
                "surcharge": decimal_str(result.surcharge),
                "months": months,
            },
        ),
    )


def _credit_months(
    principal: Principal,
    *,
    order: sql.InspectionOrder,
    result: Assessment,
    billed: dict[date, sql.BilledMonth],
    now: datetime,
) -> list[int]:
    """A meter fault that over-billed: one credit per over-billed month's invoice (its Egreso follows through the
    outbox); keyed by work order and invoice, so a repeat posts nothing twice."""
    if result.outcome != "meter_fault" or result.total >= 0:
        return []
    ids = []
    for month in result.months:
        invoice = billed.get(month.period)
        if month.difference >= 0 or invoice is None:
            continue
        ids.append(
            adjustments.credit_invoice(
                tenant_id=principal.tenant_id,
                invoice_id=invoice.invoice_id,
                amount=-month.difference,
                reason=f"Bonificación por falla de medidor, inspección {order.work_order_id}",
                by=principal.subject,
                now=now,
                key=f"inspection:{order.work_order_id}:credit:{invoice.invoice_id}",
            )
        )
    return ids
