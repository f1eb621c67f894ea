"""Consumption between two register values, including meter rollover."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.readings.model import ReadException
from shared.domain.readings.queries import NegativeConsumption, ReadOutOfRange, consumption_between


def test_normal_consumption() -> None:
    result = consumption_between(previous=D(1234), current=D(1252), dials=4)
    assert (result.m3, result.rollover) == (D(18), False)


def test_rollover_of_a_four_dial_register() -> None:
    # 9 990 → wraps at 10 000 → 25: 10 + 25 = 35 m³
    result = consumption_between(previous=D(9990), current=D(25), dials=4)
    assert (result.m3, result.rollover) == (D(35), True)


def test_fractional_registers_roll_over_too() -> None:
    result = consumption_between(previous=D("99998.5"), current=D("3.25"), dials=5)
    assert (result.m3, result.rollover) == (D("4.75"), True)


def test_implausible_rollover_is_negative_consumption() -> None:
    # 5 000 → 4 990 would be a 9 990 m³ rollover: a misread or a reversed meter, not a wrap
    with pytest.raises(NegativeConsumption) as caught:
        consumption_between(previous=D(5000), current=D(4990), dials=4)
    assert caught.value.code is ReadException.NEGATIVE_CONSUMPTION
    assert "NEGATIVE_CONSUMPTION" in str(caught.value)


def test_plausibility_cap_is_configurable() -> None:
    with pytest.raises(NegativeConsumption):
        consumption_between(previous=D(9990), current=D(25), dials=4, max_plausible_m3=D(30))
    assert consumption_between(previous=D(9990), current=D(25), dials=4, max_plausible_m3=D(35)).m3 == D(35)


def test_values_the_dials_cannot_show() -> None:
    with pytest.raises(ReadOutOfRange):
        consumption_between(previous=D(100), current=D(10000), dials=4)
    with pytest.raises(ReadOutOfRange):
        consumption_between(previous=D(-1), current=D(5), dials=4)


@given(
    dials=st.integers(min_value=3, max_value=8),
    data=st.data(),
)
def test_any_plausible_advance_is_recovered_exactly(dials: int, data: st.DataObject) -> None:
    limit = 10**dials
    previous = D(data.draw(st.integers(min_value=0, max_value=limit - 1)))
    used = D(data.draw(st.integers(min_value=0, max_value=limit // 10)))
    current = (previous + used) % limit
    result = consumption_between(previous=previous, current=current, dials=dials)
    assert result.m3 == used
    assert result.rollover == (previous + used >= limit)
