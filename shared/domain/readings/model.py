"""Plain value types of the readings rules: meters, reads, consumption periods, peers and policies.

Periods are half-open [start, end) in whole days. A `MeterRead` is always an actual register value: estimates are
quantities (`ConsumptionPeriod.estimated`), never register values, so an over-estimate can never look like a
meter rollover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class InvalidPeriod(ValueError):
    """A period whose end is not after its start."""


def _check_span(start: date, end: date) -> None:
    if end <= start:
        raise InvalidPeriod(f"period end {end.isoformat()} must be after its start {start.isoformat()}")


@dataclass(frozen=True)
class Period:
    """A billing period [start, end)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class ConsumptionPeriod:
    """Consumption billed for [start, end); `estimated` when no actual read closed the period."""

    start: date
    end: date
    m3: Decimal
    estimated: bool = False

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)
        if self.m3 < 0:
            raise ValueError(f"consumption of a period cannot be negative, got {self.m3}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Meter:
    """A meter on a toma. The register shows `dials` integer digits and wraps to 0 at 10**dials."""

    serial: str
    dials: int
    installed_on: date
    removed_on: date | None = None
    initial_read: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not 1 <= self.dials <= 12:
            raise ValueError(f"a meter has 1 to 12 dials, got {self.dials}")


@dataclass(frozen=True)
class MeterRead:
    """An actual register value read on a date."""

    value: Decimal
    read_on: date


@dataclass(frozen=True)
class PeerAverage:
    """Average daily consumption of comparable accounts (same hydraulic sector and tariff class)."""

    sector: str
    tariff_class: str
    m3_per_day: Decimal
    accounts: int


class ReadException(StrEnum):
    """Validation exception codes raised on a read (a read with any code goes to review before billing)."""

    NEGATIVE_CONSUMPTION = "NEGATIVE_CONSUMPTION"
    HIGH_CONSUMPTION = "HIGH_CONSUMPTION"
    LOW_CONSUMPTION = "LOW_CONSUMPTION"
    ZERO_STREAK = "ZERO_STREAK"
    METER_REMOVED = "METER_REMOVED"
    READ_BEFORE_INSTALL = "READ_BEFORE_INSTALL"
    FUTURE_READ = "FUTURE_READ"
    READ_NOT_AFTER_PREVIOUS = "READ_NOT_AFTER_PREVIOUS"
    READ_EXCEEDS_DIALS = "READ_EXCEEDS_DIALS"


@dataclass(frozen=True)
class ValidationPolicy:
    """Thresholds of `validate_read`; rates are compared per day so periods of different length compare fairly."""

    high_factor: Decimal = Decimal("3")
    """HIGH_CONSUMPTION when the daily use exceeds the history average × this."""
    low_factor: Decimal = Decimal("0.25")
    """LOW_CONSUMPTION when the daily use is below the history average × this."""
    history_periods: int = 6
    """How many of the latest actual periods make the average."""
    min_history_periods: int = 3
    """Fewer actual periods than this: no HIGH/LOW check."""
    zero_streak_periods: int = 3
    """ZERO_STREAK when this many consecutive actual periods (including the new read) consumed 0 m³."""
    max_rollover_m3: Decimal | None = None
    """Largest consumption accepted as a register rollover; None means 10 % of the register's range."""


@dataclass(frozen=True)
class EstimationPolicy:
    """Parameters of `estimate`; the defaults follow Oracle's history estimator and Chile's 6-month average."""

    adjust_by_trend: bool = True
    """Scale last year's consumption by (recent daily use ÷ the same window a year earlier)."""
    trend_days: int = 90
    trend_ratio_min: Decimal = Decimal("0.5")
    trend_ratio_max: Decimal = Decimal("2")
    min_coverage: Decimal = Decimal("0.8")
    """A window counts only if actual periods cover at least this fraction of its days."""
    average_periods: int = 6
    average_min_periods: int = 1
    min_peer_accounts: int = 30
    m3_quantum: Decimal = Decimal("1")
    """Estimates are rounded half-up to this (whole m³ by default, like the register)."""
