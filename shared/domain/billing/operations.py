"""`bill_account`: one account, one period → an invoice draft whose every line carries its calculation trace.

Consumption for the period [start, end):
* an actual read in the period → consumption since the last actual read (register rollover by the meter's dials),
  trued up against what estimates already billed since then (an over-estimate becomes a credit line);
* no actual read → an estimate (same period last year, average of the last actual periods, or the sector and
  class average), marked with its method;
* reads held as exceptions, impossible consumption or no possible estimate → the draft is held for review.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain.billing.model import (
    AccountToBill,
    BillException,
    BillingPolicy,
    DraftLine,
    InvoiceDraft,
    PriorBill,
    Read,
)
from shared.domain.money import ZERO, decimal_str, round_cents, sum_amounts
from shared.domain.readings.model import ConsumptionPeriod, EstimationPolicy, PeerAverage, Period
from shared.domain.readings.operations import CannotEstimate, estimate, true_up
from shared.domain.readings.queries import NegativeConsumption, ReadOutOfRange, consumption_between
from shared.domain.tariffs.breakdown import LineKind, Quote
from shared.domain.tariffs.schema import WATER_CODE, TariffSchedule

Pricer = Callable[[Decimal], Quote]
"""Prices a consumption with the period's schedule (the application memoises it per chunk)."""


def _month(day: date) -> date:
    return day.replace(day=1)


def _actual_history(account: AccountToBill, before: date) -> list[ConsumptionPeriod]:
    """Consumption periods between consecutive actual reads before `before` (rollover-aware)."""
    history: list[ConsumptionPeriod] = []
    previous: Read | None = None
    for read in account.reads:
        if read.status != "valid" or read.read_on >= before:
            continue
        if previous is not None and read.read_on > previous.read_on:
            try:
                used = consumption_between(previous=previous.value, current=read.value, dials=account.dials)
                history.append(ConsumptionPeriod(start=previous.read_on, end=read.read_on, m3=used.m3))
            except (NegativeConsumption, ReadOutOfRange):
                pass  # an impossible pair is not history; it was held when it was billed
        previous = read
    return history


def _estimated_since(prior: tuple[PriorBill, ...], after_month: date, before: date) -> Decimal:
    return sum((b.m3 for b in prior if b.estimated and after_month < b.period < before), ZERO)


def _consumption(
    *, account: AccountToBill, period: Period, peers: PeerAverage | None, policy: EstimationPolicy
) -> tuple[Decimal, Decimal, bool, list[str], dict[str, Any]]:
    """(m³ to bill, m³ to credit, estimated?, exception codes, trace)."""
    codes: list[str] = []
    in_period = [r for r in account.reads if period.start <= r.read_on < period.end]
    for read in in_period:
        if read.status == "exception":
            codes.append(BillException.READ_EXCEPTION.value)
            codes.extend(read.exception_codes)
    actual_in_period = [r for r in in_period if r.status == "valid"]
    earlier = [r for r in account.reads if r.status == "valid" and r.read_on < period.start]
    base = earlier[-1] if earlier else Read(read_on=account.installed_on, value=account.initial_read, source="install")
    if actual_in_period:
        current = actual_in_period[-1]
        try:
            used = consumption_between(previous=base.value, current=current.value, dials=account.dials)
        except NegativeConsumption:
            codes.append(BillException.NEGATIVE_CONSUMPTION.value)
        except ReadOutOfRange:
            codes.append(BillException.READ_EXCEEDS_DIALS.value)
        else:
            estimated_billed = _estimated_since(account.prior_bills, _month(base.read_on), period.start)
            settled = true_up(actual_m3_since_last_actual=used.m3, estimated_m3_billed=estimated_billed)
            trace = {
                "method": "actual",
                "reads_used": {
                    "previous": {
                        "on": base.read_on.isoformat(),
                        "value": decimal_str(base.value),
                        "source": base.source,
                    },
                    "current": {
                        "on": current.read_on.isoformat(),
                        "value": decimal_str(current.value),
                        "source": current.source,
                    },
                },
                "rollover": used.rollover,
                "m3_since_previous_actual": decimal_str(used.m3),
                "estimated_m3_already_billed": decimal_str(estimated_billed),
            }
            return settled.bill_m3, settled.credit_m3, False, codes, trace
    history = _actual_history(account, period.start)
    try:
        found = estimate(period=period, history=history, peers=peers, policy=policy)
    except CannotEstimate as exc:
        codes.append(BillException.CANNOT_ESTIMATE.value)
        return ZERO, ZERO, True, codes, {"method": "none", "reason": str(exc)}
    trace = {
        "method": "estimated",
        "estimation_method": found.method.value,
        "estimation_inputs": found.inputs,
        "last_actual_read": {"on": base.read_on.isoformat(), "value": decimal_str(base.value)},
    }
    return found.m3, ZERO, True, codes, trace


def _water_unit_price(price: Pricer, m3: Decimal) -> Decimal:
    """Average water price per m³ of a bill of `m3` (values an over-estimate credit at what it was billed)."""
    if m3 <= 0:
        return ZERO
    quoted = price(m3)
    return (quoted.water_amount / quoted.billed_m3).quantize(Decimal("0.000001"))


def bill_account(
    *,
    account: AccountToBill,
    period: Period,
    schedule: TariffSchedule,
    price: Pricer,
    peers: PeerAverage | None,
    estimation_policy: EstimationPolicy,
    billing_policy: BillingPolicy,
) -> InvoiceDraft:
    bill_m3, credit_m3, estimated, codes, consumption_trace = _consumption(
        account=account, period=period, peers=peers, policy=estimation_policy
    )
    quoted = price(bill_m3)
    tariff_ref = {
        "name": schedule.name,
        "version": schedule.version,
        "class": schedule.tariff_class.value,
        "method": quoted.method,
    }
    splits = {s.block: s.to_dict() for s in quoted.block_split}
    lines: list[DraftLine] = []
    for q in quoted.lines:
        trace: dict[str, Any] = {"tariff": tariff_ref}
        if q.kind in (LineKind.WATER, LineKind.MINIMUM):
            trace["consumption"] = consumption_trace
            trace["billed_m3"] = decimal_str(quoted.billed_m3)
            if q.block is not None:
                trace["block"] = splits.get(q.block)
        lines.append(
            DraftLine(
                code=q.code,
                description=q.description_es,
                quantity=q.quantity,
                unit_price=q.unit_price,
                amount=q.amount,
                tax_rate=q.tax_rate,
                tax_amount=q.tax_amount,
                trace=trace,
            )
        )
    if credit_m3 > 0:
        estimated_bills = [b.m3 for b in account.prior_bills if b.estimated and b.m3 > 0]
        average = round_cents(sum(estimated_bills, ZERO) / len(estimated_bills)) if estimated_bills else credit_m3
        unit = _water_unit_price(price, average)
        amount = -round_cents(credit_m3 * unit)
        rate = schedule.taxes.iva_rates.get(WATER_CODE, ZERO)
        lines.append(
            DraftLine(
                code="credito_estimacion",
                description="Crédito por consumo estimado facturado de más",
                quantity=credit_m3,
                unit_price=-unit,
                amount=amount,
                tax_rate=rate,
                tax_amount=round_cents(amount * rate),
                trace={
                    "tariff": tariff_ref,
                    "consumption": consumption_trace,
                    "credit_m3": decimal_str(credit_m3),
                    "valued_at": "average water price of the estimated bills being corrected",
                },
            )
        )
    if billing_policy.late_fee_rate > 0 and account.previous_balance > 0:
        fee = round_cents(account.previous_balance * billing_policy.late_fee_rate)
        if fee > 0:
            lines.append(
                DraftLine(
                    code="recargo",
                    description="Recargo por adeudo anterior",
                    quantity=Decimal(1),
                    unit_price=fee,
                    amount=fee,
                    tax_rate=ZERO,
                    tax_amount=ZERO,
                    trace={
                        "previous_balance": decimal_str(account.previous_balance),
                        "late_fee_rate": decimal_str(billing_policy.late_fee_rate),
                    },
                )
            )
    subtotal = sum_amounts([line.amount for line in lines])
    tax_total = sum_amounts([line.tax_amount for line in lines])
    return InvoiceDraft(
        account_id=account.account_id,
        consumption_m3=bill_m3,
        estimated=estimated,
        exception_codes=tuple(dict.fromkeys(codes)),
        lines=tuple(lines),
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        previous_balance=account.previous_balance,
    )
