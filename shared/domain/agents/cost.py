"""Model cost from the four usage fields and per-million-token prices kept in configuration."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

MILLION = Decimal(1_000_000)
PRICE_KEYS = ("input", "output", "cache_write", "cache_read")


class InvalidPrices(ValueError):
    pass


class Prices(NamedTuple):
    """US$ per million tokens."""

    input: Decimal
    output: Decimal
    cache_write: Decimal
    cache_read: Decimal


class Usage(NamedTuple):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def __add__(self, other: object) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(*(a + b for a, b in zip(self, other, strict=True)))


def parse_prices(*, text: str) -> Prices:
    """`input=2.00,output=10.00,cache_write=2.50,cache_read=0.10` (every key once, non-negative decimals)."""
    values: dict[str, Decimal] = {}
    for part in text.split(","):
        key, sep, raw = part.strip().partition("=")
        if not sep or key not in PRICE_KEYS or key in values:
            raise InvalidPrices(f"bad price entry {part.strip()!r}; expected {', '.join(PRICE_KEYS)}")
        try:
            value = Decimal(raw.strip())
        except ArithmeticError as error:
            raise InvalidPrices(f"price {key} is not a decimal: {raw!r}") from error
        if not value.is_finite() or value < 0:
            raise InvalidPrices(f"price {key} must be a non-negative number")
        values[key] = value
    missing = [k for k in PRICE_KEYS if k not in values]
    if missing:
        raise InvalidPrices(f"missing prices: {', '.join(missing)}")
    return Prices(**values)


def cost_usd(*, usage: Usage, prices: Prices) -> Decimal:
    """Exact cost in US$ (six decimals) of one call."""
    total = (
        Decimal(usage.input_tokens) * prices.input
        + Decimal(usage.output_tokens) * prices.output
        + Decimal(usage.cache_creation_input_tokens) * prices.cache_write
        + Decimal(usage.cache_read_input_tokens) * prices.cache_read
    ) / MILLION
    return total.quantize(Decimal("0.000001"))
