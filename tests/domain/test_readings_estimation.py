"""Estimation of a missing read (last year → last-N average → class average) and true-up at the next actual read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.readings.model import ConsumptionPeriod, EstimationPolicy, PeerAverage, Period
from shared.domain.readings.operations import (
    CannotEstimate,
    EstimateMethod,
    NegativeQuantity,
    estimate,
    true_up,
)

POLICY = EstimationPolicy()
MAY_2026 = Period(start=date(2026, 5, 1), end=date(2026, 6, 1))
PEERS = PeerAverage(sector="S-12 Centro", tariff_class="domestico", m3_per_day=D("0.45"), accounts=120)


def month(year: int, number: int, m3: str, *, estimated: bool = False) -> ConsumptionPeriod:
    end = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return ConsumptionPeriod(start=date(year, number, 1), end=end, m3=D(m3), estimated=estimated)


def two_years(this_year_factor: str = "1.2") -> list[ConsumptionPeriod]:
    """Jan 2025 – Apr 2026: 15 m³ a month last year (20 in May 2025); this year's months are 15 × factor."""
    last_year = [month(2025, n, "20" if n == 5 else "15") for n in range(1, 13)]
    this_year = [month(2026, n, str(D(15) * D(this_year_factor))) for n in range(1, 5)]
    return last_year + this_year


def test_same_period_last_year_scaled_by_the_trend() -> None:
    result = estimate(period=MAY_2026, history=two_years("1.2"), peers=PEERS, policy=POLICY)
    assert result.method is EstimateMethod.SAME_PERIOD_LAST_YEAR
    assert result.m3 == D(24)  # May 2025 = 20 m³; Feb–Apr 2026 use is 1.2 × Feb–Apr 2025
    assert D(result.inputs["trend_ratio"]) == D("1.2")
    assert result.inputs["last_year_window"] == {"start": "2025-05-01", "end": "2025-06-01"}


def test_trend_ratio_is_clamped_and_can_be_switched_off() -> None:
    clamped = estimate(period=MAY_2026, history=two_years("3"), peers=None, policy=POLICY)
    assert clamped.m3 == D(40) and clamped.inputs["trend_ratio"] == "2"
    no_trend = EstimationPolicy(adjust_by_trend=False)
    plain = estimate(period=MAY_2026, history=two_years("3"), peers=None, policy=no_trend)
    assert plain.m3 == D(20) and plain.inputs["trend_ratio"] is None


def test_missing_trend_window_keeps_last_year_unscaled() -> None:
    history = [month(2025, 5, "20"), *[month(2026, n, "18") for n in range(1, 5)]]
    result = estimate(period=MAY_2026, history=history, peers=None, policy=POLICY)
    assert result.method is EstimateMethod.SAME_PERIOD_LAST_YEAR and result.m3 == D(20)
    assert "trend_unavailable" in result.inputs


def test_average_of_the_last_actual_periods_when_last_year_is_missing() -> None:
    history = [month(2026, 1, "14"), month(2026, 2, "16"), month(2026, 3, "15"), month(2026, 4, "15")]
    result = estimate(period=MAY_2026, history=history, peers=PEERS, policy=POLICY)
    assert result.method is EstimateMethod.AVERAGE_LAST_N
    assert result.m3 == D(16)  # 60 m³ / 120 days = 0.5 m³/day × 31 days = 15.5 → 16 (half up)
    assert len(result.inputs["periods_used"]) == 4
    only_two = estimate(period=MAY_2026, history=history, peers=None, policy=EstimationPolicy(average_periods=2))
    assert only_two.m3 == D(15)  # (15 + 15) / (31 + 30) days × 31 = 15.25 → 15


def test_estimates_and_later_periods_are_not_used() -> None:
    history = [
        month(2026, 3, "15"),
        month(2026, 4, "90", estimated=True),
        month(2026, 6, "300"),
    ]
    result = estimate(period=MAY_2026, history=history, peers=None, policy=POLICY)
    assert result.method is EstimateMethod.AVERAGE_LAST_N
    assert result.m3 == D(15)  # only March (15 m³ / 31 days) × 31


def test_class_average_for_a_new_account() -> None:
    result = estimate(period=MAY_2026, history=[], peers=PEERS, policy=POLICY)
    assert result.method is EstimateMethod.CLASS_AVERAGE
    assert result.m3 == D(14)  # 0.45 × 31 = 13.95 → 14
    assert result.inputs["sector"] == "S-12 Centro"


def test_cannot_estimate_without_history_or_enough_peers() -> None:
    with pytest.raises(CannotEstimate, match="no peer average"):
        estimate(period=MAY_2026, history=[], peers=None, policy=POLICY)
    few = PeerAverage(sector="S-1", tariff_class="domestico", m3_per_day=D("0.4"), accounts=5)
    with pytest.raises(CannotEstimate, match="only 5 accounts"):
        estimate(period=MAY_2026, history=[month(2026, 4, "10", estimated=True)], peers=few, policy=POLICY)


def test_leap_day_period_maps_to_28_february() -> None:
    history = [month(2027, 2, "28"), *[month(2027, n, "31") for n in (3, 4)]]
    period = Period(start=date(2028, 2, 29), end=date(2028, 3, 29))
    result = estimate(period=period, history=history, peers=None, policy=EstimationPolicy(adjust_by_trend=False))
    assert result.method is EstimateMethod.SAME_PERIOD_LAST_YEAR
    assert result.inputs["last_year_window"]["start"] == "2027-02-28"
    assert result.m3 == D(29)  # 1 m³/day over the 29-day period


@settings(max_examples=80, deadline=None)
@given(
    per_day=st.decimals(min_value=0, max_value=5, places=2),
    lengths=st.lists(st.integers(min_value=25, max_value=65), min_size=1, max_size=16),
    period_days=st.integers(min_value=25, max_value=65),
)
def test_steady_use_is_estimated_as_that_use(per_day: D, lengths: list[int], period_days: int) -> None:
    """Whatever method applies, an account using the same m³ every day is estimated at that rate."""
    history: list[ConsumptionPeriod] = []
    start = date(2024, 1, 1)
    for days in lengths:
        history.append(ConsumptionPeriod(start=start, end=start + timedelta(days=days), m3=per_day * days))
        start += timedelta(days=days)
    period = Period(start=start, end=start + timedelta(days=period_days))
    peers = PeerAverage(sector="S", tariff_class="domestico", m3_per_day=per_day, accounts=100)
    result = estimate(period=period, history=history, peers=peers, policy=POLICY)
    assert result.m3 == (per_day * period_days).quantize(D(1), rounding="ROUND_HALF_UP")
    assert result.m3 >= 0


def test_true_up_bills_the_shortfall() -> None:
    result = true_up(actual_m3_since_last_actual=D(52), estimated_m3_billed=D(45))
    assert (result.bill_m3, result.credit_m3) == (D(7), D(0))


def test_true_up_over_estimate_is_a_credit_not_a_negative_bill() -> None:
    result = true_up(actual_m3_since_last_actual=D(30), estimated_m3_billed=D(45))
    assert (result.bill_m3, result.credit_m3) == (D(0), D(15))


def test_true_up_refuses_negative_inputs() -> None:
    with pytest.raises(NegativeQuantity):
        true_up(actual_m3_since_last_actual=D(-1), estimated_m3_billed=D(0))
    with pytest.raises(TypeError):
        true_up(actual_m3_since_last_actual=30.0, estimated_m3_billed=D(0))  # type: ignore[arg-type]


@given(
    actual=st.decimals(min_value=0, max_value=10_000, places=3),
    estimated=st.decimals(min_value=0, max_value=10_000, places=3),
)
def test_true_up_conserves_consumption(actual: D, estimated: D) -> None:
    result = true_up(actual_m3_since_last_actual=actual, estimated_m3_billed=estimated)
    assert result.bill_m3 >= 0 and result.credit_m3 >= 0
    assert result.bill_m3 == 0 or result.credit_m3 == 0
    assert estimated + result.bill_m3 - result.credit_m3 == actual
