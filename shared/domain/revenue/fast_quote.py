"""The total of `shared.domain.tariffs.operations.quote` without building its lines and trace: the same arithmetic
(per-line half-up rounding of amounts and taxes, minimum m³ and minimum charge, fixed charges, surcharges, UMA from
the schedule), for replaying millions of bills in the tariff what-if. Proven equal to `quote(...).total` by a
property test over every repository tariff file and random consumptions (tests/revenue/test_fast_quote.py); the
validity dates are the caller's business (the what-if prices a draft as if in force)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shared.domain.errors import Invalid
from shared.domain.money import ZERO, round_cents
from shared.domain.tariffs.schema import (
    WATER_CODE,
    AmountUnit,
    BasePlusExcessPricing,
    IncrementalBlocksPricing,
    SurchargeKind,
    TariffSchedule,
)


class UmaRequired(Invalid):
    """The schedule has amounts in UMA and no `uma_value`."""

    default_code = "uma_value_required"

    def __init__(self, name: str) -> None:
        super().__init__(None, f"La tarifa '{name}' tiene importes en UMA y no indica uma_value.")


@dataclass(frozen=True)
class CompiledTariff:
    water_rate: Decimal
    minimum_m3: Decimal
    minimum_charge: Decimal | None
    blocks: tuple[tuple[Decimal, Decimal | None, Decimal], ...]  # (from, to, MXN per m³)
    ranges: tuple[tuple[Decimal, Decimal | None, Decimal, Decimal], ...]  # (from, to, base, excess price), in unit
    unit_factor: Decimal
    fixed: Decimal
    """The fixed charges with their taxes, already rounded per line."""
    surcharges: tuple[tuple[bool, Decimal, Decimal], ...]  # (percent of water?, value, IVA rate)


def compile_tariff(schedule: TariffSchedule) -> CompiledTariff:
    uma = schedule.uma_value
    if schedule.uses_uma() and uma is None:
        raise UmaRequired(schedule.name)

    def mxn(amount: Decimal, unit: AmountUnit) -> Decimal:
        return amount if unit is AmountUnit.MXN else amount * (uma or ZERO)

    rates = schedule.taxes.iva_rates
    fixed = ZERO
    for charge in schedule.fixed_charges:
        amount = round_cents(mxn(charge.amount, charge.unit))
        if amount > 0:
            fixed += amount + round_cents(amount * rates[charge.code])
    pricing = schedule.pricing
    blocks: tuple[tuple[Decimal, Decimal | None, Decimal], ...] = ()
    ranges: tuple[tuple[Decimal, Decimal | None, Decimal, Decimal], ...] = ()
    factor = Decimal(1) if pricing.unit is AmountUnit.MXN else (uma or ZERO)
    if isinstance(pricing, IncrementalBlocksPricing):
        blocks = tuple((b.from_m3, b.to_m3, mxn(b.price_per_m3, pricing.unit)) for b in pricing.blocks)
    elif isinstance(pricing, BasePlusExcessPricing):
        ranges = tuple((r.from_m3, r.to_m3, r.base_amount, r.price_per_m3_excess) for r in pricing.ranges)
    return CompiledTariff(
        water_rate=rates[WATER_CODE],
        minimum_m3=schedule.minimum_m3 or ZERO,
        minimum_charge=schedule.minimum_charge,
        blocks=blocks,
        ranges=ranges,
        unit_factor=factor,
        fixed=fixed,
        surcharges=tuple(
            (s.kind is SurchargeKind.PERCENT_OF_WATER, s.value, rates[s.code]) for s in schedule.surcharges
        ),
    )


def quote_total(tariff: CompiledTariff, m3: Decimal) -> Decimal:
    """`quote(schedule=..., m3=m3, on=...).total` for a schedule in force (m3 ≥ 0)."""
    billed = max(m3, tariff.minimum_m3)
    rate = tariff.water_rate
    total = ZERO
    water = ZERO
    if tariff.blocks:
        for low, high, price in tariff.blocks:
            quantity = (billed if high is None else min(billed, high)) - low
            if quantity <= 0:
                continue
            amount = round_cents(quantity * price)
            water += amount
            total += amount + round_cents(amount * rate)
    else:
        low, _, base, excess = next(r for r in tariff.ranges if r[1] is None or billed <= r[1])
        amount = round_cents((base + max(billed - low, ZERO) * excess) * tariff.unit_factor)
        if amount > 0:
            water += amount
            total += amount + round_cents(amount * rate)
    if tariff.minimum_charge is not None:
        top_up = round_cents(tariff.minimum_charge) - water
        if top_up > 0:
            water += top_up
            total += top_up + round_cents(top_up * rate)
    total += tariff.fixed
    for percent, value, surcharge_rate in tariff.surcharges:
        amount = round_cents(water * value / 100) if percent else round_cents(billed * value)
        if amount > 0:
            total += amount + round_cents(amount * surcharge_rate)
    return total
