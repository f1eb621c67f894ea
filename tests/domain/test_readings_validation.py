"""Read validation: each exception code on a realistic monthly history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

from shared.domain.readings.model import ConsumptionPeriod, Meter, MeterRead, ReadException, ValidationPolicy
from shared.domain.readings.queries import validate_read

METER = Meter(serial="CEA-4471902", dials=5, installed_on=date(2020, 3, 2))
POLICY = ValidationPolicy()
TODAY = date(2026, 5, 20)


def monthly(*m3: int, start_month: int = 10, estimated_last: bool = False) -> list[ConsumptionPeriod]:
    """Periods from the 1st of each month, starting Oct 2025 (30/31-day periods like real read routes)."""
    periods = []
    year, month = 2025, start_month
    for i, value in enumerate(m3):
        nxt_year, nxt_month = (year + 1, 1) if month == 12 else (year, month + 1)
        periods.append(
            ConsumptionPeriod(
                start=date(year, month, 1),
                end=date(nxt_year, nxt_month, 1),
                m3=D(value),
                estimated=estimated_last and i == len(m3) - 1,
            )
        )
        year, month = nxt_year, nxt_month
    return periods


HISTORY = monthly(15, 16, 14, 15, 17, 15)  # Oct 2025 – Mar 2026, ≈ 0.5 m³/day
PREVIOUS = MeterRead(value=D(2310), read_on=date(2026, 4, 1))


def check(read_value: int, read_on: date = date(2026, 5, 1), **kwargs: object) -> list[ReadException]:
    arguments: dict[str, object] = {
        "read": MeterRead(value=D(read_value), read_on=read_on),
        "previous": PREVIOUS,
        "history": HISTORY,
        "meter": METER,
        "policy": POLICY,
        "now": TODAY,
    }
    arguments.update(kwargs)
    return validate_read(**arguments)  # type: ignore[arg-type]


def test_normal_read_has_no_exception() -> None:
    assert check(2326) == []


def test_high_and_low_against_the_daily_average() -> None:
    assert check(2310 + 50) == [ReadException.HIGH_CONSUMPTION]  # 50 m³ in 30 days ≈ 1.67/day > 3 × 0.5
    assert check(2310 + 3) == [ReadException.LOW_CONSUMPTION]  # 0.1/day < 0.25 × 0.5
    lenient = ValidationPolicy(high_factor=D(4), low_factor=D("0.1"))
    assert check(2310 + 50, policy=lenient) == []
    assert check(2310 + 3, policy=lenient) == []


def test_no_high_low_check_on_a_short_history() -> None:
    assert check(2310 + 200, history=HISTORY[-2:]) == []


def test_estimated_periods_do_not_count_in_the_average() -> None:
    history = monthly(15, 16, 14, 15, 17, 900, estimated_last=True)
    assert check(2326, history=history) == []


def test_negative_consumption_and_rollover() -> None:
    assert check(2300) == [ReadException.NEGATIVE_CONSUMPTION]
    near_wrap = MeterRead(value=D(99990), read_on=date(2026, 4, 1))
    assert check(6, previous=near_wrap) == []  # 16 m³ through the wrap: an ordinary month


def test_zero_streak() -> None:
    zeros = monthly(15, 16, 14, 15, 0, 0)
    assert ReadException.ZERO_STREAK in check(2310, history=zeros)
    assert ReadException.ZERO_STREAK not in check(2310, history=monthly(15, 16, 14, 15, 0, 7))
    assert ReadException.ZERO_STREAK not in check(2310, history=zeros, policy=ValidationPolicy(zero_streak_periods=4))
    broken_by_estimate = monthly(15, 16, 14, 0, 0, 0, estimated_last=True)
    assert ReadException.ZERO_STREAK not in check(2310, history=broken_by_estimate)


def test_dates_against_the_meter_and_today() -> None:
    removed = Meter(serial=METER.serial, dials=5, installed_on=METER.installed_on, removed_on=date(2026, 4, 20))
    assert ReadException.METER_REMOVED in check(2326, meter=removed)
    assert ReadException.METER_REMOVED not in check(2320, read_on=date(2026, 4, 20), meter=removed)
    assert ReadException.FUTURE_READ in check(2326, read_on=date(2026, 5, 21))
    assert check(2326, now=datetime(2026, 5, 1, 9, 30)) == []
    late_install = Meter(serial="CEA-1", dials=5, installed_on=date(2026, 5, 10))
    assert check(5, previous=None, meter=late_install) == [
        ReadException.READ_BEFORE_INSTALL,
        ReadException.READ_NOT_AFTER_PREVIOUS,
    ]


def test_first_read_after_install_counts_from_the_initial_register_value() -> None:
    new_meter = Meter(serial="CEA-2", dials=4, installed_on=date(2026, 4, 1), initial_read=D(3))
    assert check(19, previous=None, meter=new_meter) == []
    assert check(2, previous=None, meter=new_meter) == [ReadException.NEGATIVE_CONSUMPTION]


def test_value_beyond_the_dials() -> None:
    assert check(123456) == [ReadException.READ_EXCEEDS_DIALS]


def test_read_on_or_before_the_previous_read() -> None:
    assert check(2326, read_on=date(2026, 4, 1)) == [ReadException.READ_NOT_AFTER_PREVIOUS]
