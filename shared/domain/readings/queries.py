"""Read checks: consumption between two register values (with rollover), read validation, daily-use averages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shared.domain.money import require_decimal
from shared.domain.readings.model import (
    ConsumptionPeriod,
    Meter,
    MeterRead,
    Period,
    ReadException,
    ValidationPolicy,
)


@dataclass(frozen=True)
class Consumption:
    m3: Decimal
    rollover: bool = False


class NegativeConsumption(ValueError):
    """The current register value is below the previous one and a rollover does not plausibly explain it."""

    code = ReadException.NEGATIVE_CONSUMPTION

    def __init__(self, *, previous: Decimal, current: Decimal, rollover_m3: Decimal, max_plausible_m3: Decimal):
        super().__init__(
            f"{self.code.value}: read {current} is below the previous read {previous}; a rollover would mean "
            f"{rollover_m3} m3, above the plausible maximum {max_plausible_m3} m3"
        )
        self.previous = previous
        self.current = current


class ReadOutOfRange(ValueError):
    """A register value that the meter's dials cannot show (negative or ≥ 10**dials)."""

    code = ReadException.READ_EXCEEDS_DIALS


def consumption_between(
    *, previous: Decimal, current: Decimal, dials: int, max_plausible_m3: Decimal | None = None
) -> Consumption:
    """m³ consumed between two actual register values of a meter with `dials` integer digits.

    If `current` < `previous`, the register may have wrapped at 10**dials: the consumption is then
    10**dials − previous + current, accepted (`rollover=True`) only up to `max_plausible_m3` (default 10 % of the
    register's range); otherwise `NegativeConsumption` is raised. `previous` must be an actual read, never an
    estimate: an actual read below an earlier estimate is an over-estimate for `true_up`, not a rollover.
    """
    previous = require_decimal(previous, name="previous")
    current = require_decimal(current, name="current")
    limit = Decimal(10) ** dials
    for name, value in (("previous", previous), ("current", current)):
        if value < 0 or value >= limit:
            raise ReadOutOfRange(f"{name} read {value} cannot be shown by a {dials}-dial register (0 to {limit - 1})")
    if current >= previous:
        return Consumption(m3=current - previous)
    cap = max_plausible_m3 if max_plausible_m3 is not None else limit / 10
    rolled = limit - previous + current
    if rolled <= cap:
        return Consumption(m3=rolled, rollover=True)
    raise NegativeConsumption(previous=previous, current=current, rollover_m3=rolled, max_plausible_m3=cap)


class InsufficientCoverage(LookupError):
    """Actual periods cover too little of the window to give a daily-use rate."""


def average_daily_use(*, periods: Sequence[ConsumptionPeriod], window: Period, min_coverage: Decimal) -> Decimal:
    """Average m³/day of the actual `periods` over `window`, each period pro-rated by its overlap with the window.

    Raises `InsufficientCoverage` when the actual periods cover less than `min_coverage` of the window's days.
    """
    covered = 0
    weighted = Decimal(0)
    for p in periods:
        if p.estimated:
            continue
        overlap = (min(p.end, window.end) - max(p.start, window.start)).days
        if overlap <= 0:
            continue
        covered += overlap
        weighted += p.m3 * overlap / p.days
    if covered == 0 or Decimal(covered) / window.days < min_coverage:
        raise InsufficientCoverage(
            f"actual periods cover {covered} of the {window.days} days of "
            f"[{window.start.isoformat()}, {window.end.isoformat()}), below {min_coverage:%}"
        )
    return weighted / covered


def _zero_streak(history: Sequence[ConsumptionPeriod]) -> int:
    """Number of consecutive latest periods that are actual and consumed 0 m³."""
    streak = 0
    for p in sorted(history, key=lambda p: p.end, reverse=True):
        if p.estimated or p.m3 != 0:
            break
        streak += 1
    return streak


def validate_read(
    *,
    read: MeterRead,
    previous: MeterRead | None,
    history: Sequence[ConsumptionPeriod],
    meter: Meter,
    policy: ValidationPolicy,
    now: date,
) -> list[ReadException]:
    """Exception codes for a new actual read (an empty list means the read may be billed).

    `previous` is the meter's last actual read (None: the meter's initial read on its install date); `history` is
    the account's billed periods before this read; `now` is today's date in the utility's time zone (a datetime is
    reduced to its date). HIGH/LOW compare daily use with the average of the latest actual periods.
    """
    today = now.date() if isinstance(now, datetime) else now
    codes: list[ReadException] = []
    if read.read_on > today:
        codes.append(ReadException.FUTURE_READ)
    if read.read_on < meter.installed_on:
        codes.append(ReadException.READ_BEFORE_INSTALL)
    if meter.removed_on is not None and read.read_on > meter.removed_on:
        codes.append(ReadException.METER_REMOVED)
    base = previous if previous is not None else MeterRead(value=meter.initial_read, read_on=meter.installed_on)
    if read.read_on <= base.read_on:
        codes.append(ReadException.READ_NOT_AFTER_PREVIOUS)
        return codes
    try:
        consumption = consumption_between(
            previous=base.value, current=read.value, dials=meter.dials, max_plausible_m3=policy.max_rollover_m3
        )
    except (NegativeConsumption, ReadOutOfRange) as error:
        codes.append(error.code)
        return codes

    days = (read.read_on - base.read_on).days
    rate = consumption.m3 / days
    actual = sorted((p for p in history if not p.estimated and p.end <= read.read_on), key=lambda p: p.end)
    recent = actual[-policy.history_periods :] if policy.history_periods > 0 else []
    if recent and len(recent) >= policy.min_history_periods:
        average = sum((p.m3 for p in recent), Decimal(0)) / sum(p.days for p in recent)
        if average > 0 and rate > average * policy.high_factor:
            codes.append(ReadException.HIGH_CONSUMPTION)
        elif rate < average * policy.low_factor:
            codes.append(ReadException.LOW_CONSUMPTION)
    earlier = [p for p in history if p.end <= read.read_on]
    if consumption.m3 == 0 and _zero_streak(earlier) + 1 >= policy.zero_streak_periods:
        codes.append(ReadException.ZERO_STREAK)
    return codes
