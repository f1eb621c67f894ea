"""Money helpers: amounts are `Decimal` in MXN, rounded half-up to centavos once per line.

Totals are always sums of already rounded lines, never a rounding of an unrounded sum, so that every printed
line adds up to the printed total (and CFDI 4.0 concept amounts add up to SubTotal).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")


class NotADecimal(TypeError):
    """Raised when a money or quantity value is not a `Decimal` (floats are refused: they cannot hold 0.1)."""


def require_decimal(value: object, *, name: str) -> Decimal:
    """Return `value` as a finite Decimal; ints are accepted, floats and other types are refused."""
    if isinstance(value, bool):
        raise NotADecimal(f"{name} must be a Decimal, got bool")
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise NotADecimal(f"{name} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise NotADecimal(f"{name} must be a finite Decimal, got {value}")
    return value


def round_cents(amount: Decimal) -> Decimal:
    """Round an amount half-up to centavos (2 decimals), the rounding every bill line uses."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def sum_amounts(amounts: list[Decimal]) -> Decimal:
    """Sum already rounded amounts; the result keeps 2 decimals (0.00 for an empty list)."""
    return sum(amounts, start=ZERO).quantize(CENT)


def decimal_str(value: Decimal) -> str:
    """Render a Decimal for JSON (never in exponent notation: Decimal('1E+1') becomes '10')."""
    return format(value, "f")
