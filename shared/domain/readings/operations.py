"""Estimation of a missing read and true-up at the next actual read.

`estimate` tries, in order: the same period last year (scaled by the year-on-year trend of recent use), the
average of the last N actual periods, then the sector + tariff-class average. Every rate is per day, so periods of
different lengths combine correctly, and only actual periods ending on or before the estimated period's start are
used (an estimate never feeds another estimate). `true_up` reconciles the estimates billed since the last actual
read with the actual consumption: an over-estimate becomes a credit quantity, never a negative bill or a rollover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from shared.domain.money import decimal_str, require_decimal
from shared.domain.readings.model import ConsumptionPeriod, EstimationPolicy, PeerAverage, Period
from shared.domain.readings.queries import InsufficientCoverage, average_daily_use


class EstimateMethod(StrEnum):
    SAME_PERIOD_LAST_YEAR = "same_period_last_year"
    AVERAGE_LAST_N = "average_last_n"
    CLASS_AVERAGE = "class_average"


@dataclass(frozen=True)
class Estimate:
    """Estimated m³ for a period, the method used and its inputs (JSON-ready, for the bill's calculation trace)."""

    m3: Decimal
    method: EstimateMethod
    inputs: dict[str, Any] = field(default_factory=dict)


class CannotEstimate(LookupError):
    """No estimation method applies (no usable history and no peer average)."""


def _year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _shift_year(period: Period) -> Period:
    return Period(start=_year_earlier(period.start), end=_year_earlier(period.end))


def _window(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _same_period_last_year(
    period: Period, actual: list[ConsumptionPeriod], policy: EstimationPolicy
) -> tuple[Decimal, dict[str, Any]] | None:
    last_year = _shift_year(period)
    try:
        last_year_rate = average_daily_use(periods=actual, window=last_year, min_coverage=policy.min_coverage)
    except InsufficientCoverage:
        return None
    inputs: dict[str, Any] = {
        "last_year_window": _window(last_year),
        "last_year_m3_per_day": decimal_str(last_year_rate),
        "trend_ratio": None,
    }
    ratio = Decimal(1)
    if policy.adjust_by_trend:
        recent = Period(start=period.start - timedelta(days=policy.trend_days), end=period.start)
        recent_last_year = _shift_year(recent)
        inputs["trend_window"] = _window(recent)
        try:
            now_rate = average_daily_use(periods=actual, window=recent, min_coverage=policy.min_coverage)
            then_rate = average_daily_use(periods=actual, window=recent_last_year, min_coverage=policy.min_coverage)
        except InsufficientCoverage as missing:
            inputs["trend_unavailable"] = str(missing)
        else:
            if then_rate > 0:
                raw = now_rate / then_rate
                ratio = min(max(raw, policy.trend_ratio_min), policy.trend_ratio_max)
                inputs["trend_ratio_raw"] = decimal_str(raw)
                inputs["trend_ratio"] = decimal_str(ratio)
            else:
                inputs["trend_unavailable"] = "no consumption in the trend window a year earlier"
    return last_year_rate * period.days * ratio, inputs


def estimate(
    *,
    period: Period,
    history: Sequence[ConsumptionPeriod],
    peers: PeerAverage | None,
    policy: EstimationPolicy,
) -> Estimate:
    """Estimate the consumption of `period` for an account without an actual read; raises `CannotEstimate`."""
    actual = sorted((p for p in history if not p.estimated and p.end <= period.start), key=lambda p: p.end)

    def rounded(m3: Decimal) -> Decimal:
        return m3.quantize(policy.m3_quantum, rounding=ROUND_HALF_UP)

    base_inputs = {"period": _window(period), "days": period.days}
    found = _same_period_last_year(period, actual, policy)
    if found is not None:
        m3, inputs = found
        return Estimate(m3=rounded(m3), method=EstimateMethod.SAME_PERIOD_LAST_YEAR, inputs=base_inputs | inputs)

    latest = actual[-policy.average_periods :] if policy.average_periods > 0 else []
    if latest and len(latest) >= policy.average_min_periods:
        rate = sum((p.m3 for p in latest), Decimal(0)) / sum(p.days for p in latest)
        return Estimate(
            m3=rounded(rate * period.days),
            method=EstimateMethod.AVERAGE_LAST_N,
            inputs=base_inputs
            | {
                "periods_used": [_window(Period(start=p.start, end=p.end)) for p in latest],
                "m3_per_day": decimal_str(rate),
            },
        )

    if peers is not None and peers.accounts >= policy.min_peer_accounts:
        return Estimate(
            m3=rounded(peers.m3_per_day * period.days),
            method=EstimateMethod.CLASS_AVERAGE,
            inputs=base_inputs
            | {
                "sector": peers.sector,
                "tariff_class": peers.tariff_class,
                "m3_per_day": decimal_str(peers.m3_per_day),
                "accounts": peers.accounts,
            },
        )
    reason = "no peer average" if peers is None else f"peer average from only {peers.accounts} accounts"
    raise CannotEstimate(
        f"cannot estimate [{period.start.isoformat()}, {period.end.isoformat()}): no usable last-year data, "
        f"{len(actual)} actual periods (need {policy.average_min_periods}), {reason}"
    )


@dataclass(frozen=True)
class TrueUp:
    """What to bill at the actual read: `bill_m3` (a normal consumption line) or `credit_m3` (a credit line)."""

    bill_m3: Decimal
    credit_m3: Decimal


class NegativeQuantity(ValueError):
    """A true-up input below zero."""


def true_up(*, actual_m3_since_last_actual: Decimal, estimated_m3_billed: Decimal) -> TrueUp:
    """Reconcile estimates with the actual consumption over the span since the last actual read.

    Conservation: estimated_m3_billed + bill_m3 − credit_m3 == actual_m3_since_last_actual, with both results ≥ 0
    and at most one of them non-zero.
    """
    actual = require_decimal(actual_m3_since_last_actual, name="actual_m3_since_last_actual")
    billed = require_decimal(estimated_m3_billed, name="estimated_m3_billed")
    if actual < 0 or billed < 0:
        raise NegativeQuantity(f"true-up quantities must be ≥ 0 (actual {actual}, estimated billed {billed})")
    difference = actual - billed
    if difference >= 0:
        return TrueUp(bill_m3=difference, credit_m3=Decimal(0))
    return TrueUp(bill_m3=Decimal(0), credit_m3=-difference)
