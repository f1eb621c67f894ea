"""Tariff calculation: `quote` prices a consumption with a schedule and returns the full, traceable breakdown.

Order of calculation (each line rounded half-up to centavos, totals are sums of rounded lines):
1. billed m³ = max(consumption, minimum_m3);
2. water lines: one per incremental block the consumption reaches (quantity × price), or one base-plus-excess line
   (base + (m³ − range start) × price, converted from UMA and rounded once, as published worked examples do);
   Lines worth 0.00 are left out (the block split and trace still show every block reached);
3. if the water charge is below `minimum_charge`, a `cargo_minimo` top-up line (taxed like water);
4. fixed charges;
5. surcharges: a percentage of the water charge (steps 2–3), or a price per billed m³;
6. IVA per line at the schedule's rate for that line's charge code, on the rounded line amount.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared.domain.money import ZERO, decimal_str, require_decimal, round_cents, sum_amounts
from shared.domain.tariffs.breakdown import BlockSplit, LineKind, Quote, QuoteLine
from shared.domain.tariffs.schema import (
    MINIMUM_CHARGE_CODE,
    WATER_CODE,
    AmountUnit,
    BasePlusExcessPricing,
    IncrementalBlocksPricing,
    SurchargeKind,
    TariffSchedule,
)

UNIT_PRICE_QUANTUM = Decimal("0.000001")
"""Unit prices converted from UMA are shown with 6 decimals (CFDI ValorUnitario allows 6)."""

ROUNDING_RULE = "ROUND_HALF_UP to 0.01 MXN per line; totals are sums of rounded lines"


class TariffNotInForce(ValueError):
    """The quote date is outside the schedule's [effective_from, effective_to)."""

    def __init__(self, *, name: str, on: date, effective_from: date, effective_to: date | None) -> None:
        validity = (
            f"[{effective_from.isoformat()}, {effective_to.isoformat()}) (end date exclusive)"
            if effective_to
            else f"from {effective_from.isoformat()} with no end date"
        )
        super().__init__(f"tariff '{name}' is not in force on {on.isoformat()}: it is valid {validity}")
        self.on = on


class UmaValueRequired(ValueError):
    """The schedule has amounts in UMA but neither it nor the caller gives the MXN value of one UMA."""


class InvalidConsumption(ValueError):
    """The consumption to quote is negative."""


def _m3_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _to_mxn(amount: Decimal, unit: AmountUnit, uma: Decimal | None) -> Decimal:
    if unit is AmountUnit.MXN:
        return amount
    if uma is None:  # guarded by quote(); kept for type narrowing
        raise UmaValueRequired("an amount is in UMA but no uma_value was given")
    return amount * uma


def _shown_price(price: Decimal) -> Decimal:
    """Unit price as printed: exact when it has ≤ 6 decimals, else rounded half-up to 6."""
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -6:
        return price
    return price.quantize(UNIT_PRICE_QUANTUM, rounding=ROUND_HALF_UP)


def _block_lines(
    pricing: IncrementalBlocksPricing, billed_m3: Decimal, uma: Decimal | None, rate: Decimal
) -> tuple[list[QuoteLine], list[BlockSplit]]:
    lines: list[QuoteLine] = []
    split: list[BlockSplit] = []
    for index, block in enumerate(pricing.blocks):
        upper = billed_m3 if block.to_m3 is None else min(billed_m3, block.to_m3)
        quantity = upper - block.from_m3
        if quantity <= 0:
            continue
        price = _to_mxn(block.price_per_m3, pricing.unit, uma)
        amount = round_cents(quantity * price)
        split.append(
            BlockSplit(
                block=index + 1,
                from_m3=block.from_m3,
                to_m3=block.to_m3,
                quantity=quantity,
                price_per_m3=_shown_price(price),
                amount=amount,
            )
        )
        if amount == 0:
            continue  # a free block (or a sliver worth < 0.005) stays in the split but makes no bill line
        span = (
            f"más de {_m3_text(block.from_m3)} m³"
            if block.to_m3 is None
            else f"de {_m3_text(block.from_m3)} a {_m3_text(block.to_m3)} m³"
        )
        lines.append(
            QuoteLine(
                code=WATER_CODE,
                kind=LineKind.WATER,
                description_es=f"Agua potable, bloque {index + 1} ({span})",
                quantity=quantity,
                unit_price=_shown_price(price),
                amount=amount,
                tax_rate=rate,
                tax_amount=round_cents(amount * rate),
                block=index + 1,
            )
        )
    return lines, split


def _excess_line(
    pricing: BasePlusExcessPricing, billed_m3: Decimal, uma: Decimal | None, rate: Decimal
) -> tuple[QuoteLine, dict[str, Any]]:
    index, chosen = next((i, r) for i, r in enumerate(pricing.ranges) if r.to_m3 is None or billed_m3 <= r.to_m3)
    excess_m3 = max(billed_m3 - chosen.from_m3, ZERO)
    charge_in_unit = chosen.base_amount + excess_m3 * chosen.price_per_m3_excess
    amount = round_cents(_to_mxn(charge_in_unit, pricing.unit, uma))
    upper = "en adelante" if chosen.to_m3 is None else f"a {_m3_text(chosen.to_m3)} m³"
    line = QuoteLine(
        code=WATER_CODE,
        kind=LineKind.WATER,
        description_es=(
            f"Agua potable {_m3_text(billed_m3)} m³ (rango de {_m3_text(chosen.from_m3)} {upper}: "
            "cuota base más excedente)"
        ),
        quantity=Decimal(1),
        unit_price=amount,
        amount=amount,
        tax_rate=rate,
        tax_amount=round_cents(amount * rate),
        block=index + 1,
    )
    trace = {
        "range": {
            "index": index + 1,
            "from_m3": decimal_str(chosen.from_m3),
            "to_m3": None if chosen.to_m3 is None else decimal_str(chosen.to_m3),
            "base_amount": decimal_str(chosen.base_amount),
            "excess_m3": decimal_str(excess_m3),
            "price_per_m3_excess": decimal_str(chosen.price_per_m3_excess),
            "charge_in_unit": decimal_str(charge_in_unit),
        }
    }
    return line, trace


def _resolve_uma(schedule: TariffSchedule, uma_value: Decimal | None) -> Decimal | None:
    """The MXN value of one UMA: the caller's, else the schedule's; required when any amount is in UMA."""
    uma = require_decimal(uma_value, name="uma_value") if uma_value is not None else schedule.uma_value
    if uma is not None and uma <= 0:
        raise UmaValueRequired(f"uma_value must be positive, got {uma}")
    if schedule.uses_uma() and uma is None:
        raise UmaValueRequired(
            f"tariff '{schedule.name}' has amounts in UMA: give uma_value (MXN per UMA) in the schedule or the quote"
        )
    return uma


def _line(
    code: str,
    kind: LineKind,
    description: str,
    amount: Decimal,
    rate: Decimal,
    *,
    quantity: Decimal = Decimal(1),
    unit_price: Decimal | None = None,
) -> QuoteLine:
    return QuoteLine(
        code=code,
        kind=kind,
        description_es=description,
        quantity=quantity,
        unit_price=amount if unit_price is None else unit_price,
        amount=amount,
        tax_rate=rate,
        tax_amount=round_cents(amount * rate),
    )


def _fixed_lines(schedule: TariffSchedule, uma: Decimal | None) -> list[QuoteLine]:
    lines = []
    for fixed in schedule.fixed_charges:
        amount = round_cents(_to_mxn(fixed.amount, fixed.unit, uma))
        if amount > 0:
            lines.append(
                _line(fixed.code, LineKind.FIXED, fixed.description_es, amount, schedule.taxes.iva_rates[fixed.code])
            )
    return lines


def _surcharge_lines(schedule: TariffSchedule, water_amount: Decimal, billed_m3: Decimal) -> list[QuoteLine]:
    lines = []
    for surcharge in schedule.surcharges:
        rate = schedule.taxes.iva_rates[surcharge.code]
        if surcharge.kind is SurchargeKind.PERCENT_OF_WATER:
            amount = round_cents(water_amount * surcharge.value / 100)
            line = _line(surcharge.code, LineKind.SURCHARGE, surcharge.description_es, amount, rate)
        else:
            amount = round_cents(billed_m3 * surcharge.value)
            line = _line(
                surcharge.code,
                LineKind.SURCHARGE,
                surcharge.description_es,
                amount,
                rate,
                quantity=billed_m3,
                unit_price=surcharge.value,
            )
        if amount > 0:
            lines.append(line)
    return lines


def quote(*, schedule: TariffSchedule, m3: Decimal, on: date, uma_value: Decimal | None = None) -> Quote:
    """Price `m3` (Decimal ≥ 0, fractional allowed) with `schedule` on date `on`.

    Raises `TariffNotInForce` if `on` is outside the schedule's validity, `UmaValueRequired` if an amount is in UMA
    and no UMA value is known (`uma_value` here overrides the schedule's), `InvalidConsumption` if `m3` < 0.
    """
    m3 = require_decimal(m3, name="m3")
    if m3 < 0:
        raise InvalidConsumption(f"consumption must be ≥ 0 m3, got {m3}")
    if not schedule.in_force(on):
        raise TariffNotInForce(
            name=schedule.name, on=on, effective_from=schedule.effective_from, effective_to=schedule.effective_to
        )
    uma = _resolve_uma(schedule, uma_value)

    rates = schedule.taxes.iva_rates
    water_rate = rates[WATER_CODE]
    billed_m3 = max(m3, schedule.minimum_m3 or ZERO)
    pricing = schedule.pricing
    trace_pricing: dict[str, Any]
    split: list[BlockSplit] = []
    if isinstance(pricing, IncrementalBlocksPricing):
        lines, split = _block_lines(pricing, billed_m3, uma, water_rate)
        trace_pricing = {"block_split": [b.to_dict() for b in split]}
    else:
        excess_line, trace_pricing = _excess_line(pricing, billed_m3, uma, water_rate)
        lines = [excess_line] if excess_line.amount > 0 else []

    water_amount = sum_amounts([line.amount for line in lines])
    minimum_trace: dict[str, str] | None = None
    if schedule.minimum_charge is not None:
        top_up = round_cents(schedule.minimum_charge) - water_amount
        minimum_trace = {
            "minimum_charge": decimal_str(schedule.minimum_charge),
            "top_up": decimal_str(max(top_up, ZERO)),
        }
        if top_up > 0:
            description = "Ajuste al cargo mínimo por agua"
            lines.append(_line(MINIMUM_CHARGE_CODE, LineKind.MINIMUM, description, top_up, water_rate))
            water_amount += top_up
    lines.extend(_fixed_lines(schedule, uma))
    lines.extend(_surcharge_lines(schedule, water_amount, billed_m3))

    subtotal = sum_amounts([line.amount for line in lines])
    tax_total = sum_amounts([line.tax_amount for line in lines])
    trace: dict[str, Any] = {
        "tariff": {
            "name": schedule.name,
            "version": schedule.version or schedule.effective_from.isoformat(),
            "tariff_class": schedule.tariff_class.value,
            "effective_from": schedule.effective_from.isoformat(),
            "effective_to": schedule.effective_to.isoformat() if schedule.effective_to else None,
            "source": schedule.source,
        },
        "on": on.isoformat(),
        "method": pricing.method,
        "unit": pricing.unit.value,
        "uma_value": None if uma is None else decimal_str(uma),
        "m3": decimal_str(m3),
        "billed_m3": decimal_str(billed_m3),
        "minimum_m3": None if schedule.minimum_m3 is None else decimal_str(schedule.minimum_m3),
        **trace_pricing,
        "minimum_charge": minimum_trace,
        "surcharges": [
            {"code": s.code, "kind": s.kind.value, "value": decimal_str(s.value)} for s in schedule.surcharges
        ],
        "iva_rates": {code: decimal_str(rate) for code, rate in sorted(rates.items())},
        "rounding": ROUNDING_RULE,
    }
    return Quote(
        tariff_name=schedule.name,
        tariff_class=schedule.tariff_class.value,
        on=on,
        m3=m3,
        billed_m3=billed_m3,
        method=pricing.method,
        lines=tuple(lines),
        block_split=tuple(split),
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
        trace=trace,
    )
