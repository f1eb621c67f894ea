"""Property tests of `quote` over generated incremental-block schedules (the block maths of reference anchors §1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.tariffs.breakdown import LineKind
from shared.domain.tariffs.operations import quote
from shared.domain.tariffs.schema import TariffSchedule
from tests.domain.helpers import load_tariff

ON = date(2026, 6, 1)
CENT = D("0.01")

prices = st.decimals(min_value=0, max_value=60, places=2)
widths = st.decimals(min_value=D("0.5"), max_value=40, places=1)
consumptions = st.decimals(min_value=0, max_value=400, places=3)


@st.composite
def schedules(draw: st.DrawFn, *, with_minimums: bool = True) -> TariffSchedule:
    edges = [D(0)]
    for width in draw(st.lists(widths, min_size=0, max_size=5)):
        edges.append(edges[-1] + width)
    block_prices = draw(st.lists(prices, min_size=len(edges), max_size=len(edges)))
    blocks = [
        {"from_m3": edges[i], "to_m3": edges[i + 1] if i + 1 < len(edges) else None, "price_per_m3": block_prices[i]}
        for i in range(len(edges))
    ]
    rate = st.sampled_from([D(0), D("0.16")])
    data: dict[str, Any] = {
        "name": "generada",
        "tariff_class": "comercial",
        "effective_from": date(2026, 1, 1),
        "pricing": {"method": "incremental_blocks", "blocks": blocks},
        "fixed_charges": [{"code": "cargo_fijo", "description_es": "Cargo fijo", "amount": draw(prices)}],
        "surcharges": [
            {
                "code": "alcantarillado",
                "description_es": "Alcantarillado",
                "kind": "percent_of_water",
                "value": draw(st.decimals(min_value=0, max_value=50, places=2)),
            },
            {
                "code": "saneamiento",
                "description_es": "Saneamiento",
                "kind": "per_m3",
                "value": draw(st.decimals(min_value=0, max_value=5, places=2)),
            },
        ],
        "taxes": {"iva_rates": {c: draw(rate) for c in ("agua", "cargo_fijo", "alcantarillado", "saneamiento")}},
    }
    if with_minimums:
        data["minimum_charge"] = draw(st.none() | prices)
        data["minimum_m3"] = draw(st.none() | st.decimals(min_value=0, max_value=30, places=1))
    return TariffSchedule.model_validate(data)


def water(schedule: TariffSchedule, m3: D) -> D:
    return sum((line.amount for line in quote(schedule=schedule, m3=m3, on=ON).lines_of(LineKind.WATER)), D(0))


@settings(max_examples=150, deadline=None)
@given(schedules(), consumptions, consumptions)
def test_charge_is_non_decreasing_in_consumption(schedule: TariffSchedule, a: D, b: D) -> None:
    low, high = sorted((a, b))
    q_low, q_high = quote(schedule=schedule, m3=low, on=ON), quote(schedule=schedule, m3=high, on=ON)
    assert q_low.total <= q_high.total
    assert q_low.subtotal <= q_high.subtotal
    assert q_low.water_amount <= q_high.water_amount


@settings(max_examples=150, deadline=None)
@given(schedules(), consumptions)
def test_lines_are_rounded_non_negative_and_add_up(schedule: TariffSchedule, m3: D) -> None:
    result = quote(schedule=schedule, m3=m3, on=ON)
    for line in result.lines:
        assert line.amount > 0 and line.tax_amount >= 0
        assert line.amount == line.amount.quantize(CENT) and line.tax_amount == line.tax_amount.quantize(CENT)
        assert abs(line.quantity * line.unit_price - line.amount) <= D("0.005")
    assert result.subtotal == sum((line.amount for line in result.lines), D(0))
    assert result.tax_total == sum((line.tax_amount for line in result.lines), D(0))
    assert result.total == result.subtotal + result.tax_total
    assert sum((t.base for t in result.tax_summary), D(0)) == result.subtotal


@settings(max_examples=150, deadline=None)
@given(schedules(), consumptions)
def test_block_quantities_sum_to_the_billed_consumption(schedule: TariffSchedule, m3: D) -> None:
    result = quote(schedule=schedule, m3=m3, on=ON)
    assert result.billed_m3 == max(m3, schedule.minimum_m3 or D(0))
    assert sum((b.quantity for b in result.block_split), D(0)) == result.billed_m3
    assert all(b.quantity > 0 for b in result.block_split)


@settings(max_examples=150, deadline=None)
@given(schedules(with_minimums=False), st.data())
def test_continuous_at_block_boundaries(schedule: TariffSchedule, data: st.DataObject) -> None:
    inner = [b.from_m3 for b in schedule.pricing.blocks[1:]]  # type: ignore[union-attr]
    if not inner:
        return
    boundary = data.draw(st.sampled_from(inner))
    epsilon = D("0.000001")
    at, below = quote(schedule=schedule, m3=boundary, on=ON), quote(schedule=schedule, m3=boundary - epsilon, on=ON)
    jump = water(schedule, boundary) - water(schedule, boundary - epsilon)
    assert D(0) <= jump <= CENT  # only rounding of the block that ends at the boundary can differ
    assert D(0) <= at.total - below.total <= CENT * 2 * len(at.lines)


@settings(max_examples=100, deadline=None)
@given(schedules(with_minimums=False), st.integers(min_value=0, max_value=150))
def test_water_charge_equals_pricing_each_cubic_metre_separately(schedule: TariffSchedule, m3: int) -> None:
    """Independent oracle: walk the consumption m³ by m³ (split at block edges), adding each piece's price."""
    blocks = schedule.pricing.blocks  # type: ignore[union-attr]
    expected = D(0)
    position = D(0)
    while position < m3:
        step = min(D(1), D(m3) - position)
        block = next(b for b in blocks if b.to_m3 is None or position < b.to_m3)
        step = min(step, block.to_m3 - position) if block.to_m3 is not None else step
        expected += step * block.price_per_m3
        position += step
    reached = len(quote(schedule=schedule, m3=D(m3), on=ON).block_split)
    assert abs(water(schedule, D(m3)) - expected) <= D("0.005") * reached  # each block line rounds once


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        ["domestico_2026.json", "comercial_2026.json", "industrial_2026.json", "publico_2026.json", "social_2026.json"]
    ),
    consumptions,
    consumptions,
)
def test_shipped_block_tariffs_are_monotonic(file_name: str, a: D, b: D) -> None:
    schedule = load_tariff(file_name)
    low, high = sorted((a, b))
    assert quote(schedule=schedule, m3=low, on=ON).total <= quote(schedule=schedule, m3=high, on=ON).total
