"""Money helpers: half-up rounding to centavos and refusal of floats."""

from decimal import Decimal

import pytest

from shared.domain.money import NotADecimal, decimal_str, require_decimal, round_cents, sum_amounts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4.375", "4.38"), ("4.365", "4.37"), ("-0.005", "-0.01"), ("0.004999", "0.00"), ("10", "10.00")],
)
def test_round_cents_is_half_up(raw: str, expected: str) -> None:
    assert round_cents(Decimal(raw)) == Decimal(expected)
    assert str(round_cents(Decimal(raw))) == expected


def test_require_decimal_refuses_floats_and_nan() -> None:
    with pytest.raises(NotADecimal):
        require_decimal(0.1, name="x")
    with pytest.raises(NotADecimal):
        require_decimal(Decimal("NaN"), name="x")
    with pytest.raises(NotADecimal):
        require_decimal(True, name="x")
    assert require_decimal(3, name="x") == Decimal(3)


def test_sum_and_render() -> None:
    assert str(sum_amounts([])) == "0.00"
    assert sum_amounts([Decimal("1.10"), Decimal("2.25")]) == Decimal("3.35")
    assert decimal_str(Decimal("1E+1")) == "10"
