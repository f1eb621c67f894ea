"""Value types of a tariff quote: lines, block split, tax summary and the quote itself.

Every amount is MXN rounded half-up to centavos; `Quote.to_dict()` gives a JSON-ready form (Decimals as strings,
dates ISO) for the CLI, the API and the calculation trace stored on invoice lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.domain.money import decimal_str, sum_amounts


class LineKind(StrEnum):
    WATER = "water"
    MINIMUM = "minimum"
    FIXED = "fixed"
    SURCHARGE = "surcharge"


@dataclass(frozen=True)
class QuoteLine:
    """One bill line. `amount` = quantity × unit_price rounded to centavos; IVA is computed on the rounded amount."""

    code: str
    kind: LineKind
    description_es: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    block: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind.value,
            "description_es": self.description_es,
            "quantity": decimal_str(self.quantity),
            "unit_price": decimal_str(self.unit_price),
            "amount": decimal_str(self.amount),
            "tax_rate": decimal_str(self.tax_rate),
            "tax_amount": decimal_str(self.tax_amount),
            "block": self.block,
        }


@dataclass(frozen=True)
class BlockSplit:
    """The part of the consumption that fell in one incremental block, priced in MXN."""

    block: int
    from_m3: Decimal
    to_m3: Decimal | None
    quantity: Decimal
    price_per_m3: Decimal
    amount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "block": self.block,
            "from_m3": decimal_str(self.from_m3),
            "to_m3": None if self.to_m3 is None else decimal_str(self.to_m3),
            "quantity": decimal_str(self.quantity),
            "price_per_m3": decimal_str(self.price_per_m3),
            "amount": decimal_str(self.amount),
        }


@dataclass(frozen=True)
class TaxSummary:
    """IVA grouped by rate (the CFDI comprobante-level Traslado summary): sums of the rounded line values."""

    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Quote:
    tariff_name: str
    tariff_class: str
    on: date
    m3: Decimal
    billed_m3: Decimal
    method: str
    lines: tuple[QuoteLine, ...]
    block_split: tuple[BlockSplit, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    trace: dict[str, Any] = field(default_factory=dict)

    def lines_of(self, kind: LineKind) -> tuple[QuoteLine, ...]:
        return tuple(line for line in self.lines if line.kind is kind)

    @property
    def water_amount(self) -> Decimal:
        """Water charge: water lines plus any minimum-charge top-up (the base of percent surcharges)."""
        return sum_amounts([line.amount for line in self.lines if line.kind in (LineKind.WATER, LineKind.MINIMUM)])

    @property
    def tax_summary(self) -> tuple[TaxSummary, ...]:
        rates = sorted({line.tax_rate for line in self.lines})
        return tuple(
            TaxSummary(
                rate=rate,
                base=sum_amounts([line.amount for line in self.lines if line.tax_rate == rate]),
                amount=sum_amounts([line.tax_amount for line in self.lines if line.tax_rate == rate]),
            )
            for rate in rates
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tariff_name": self.tariff_name,
            "tariff_class": self.tariff_class,
            "on": self.on.isoformat(),
            "m3": decimal_str(self.m3),
            "billed_m3": decimal_str(self.billed_m3),
            "method": self.method,
            "block_split": [b.to_dict() for b in self.block_split],
            "fixed_charges": [line.to_dict() for line in self.lines_of(LineKind.FIXED)],
            "surcharges": [line.to_dict() for line in self.lines_of(LineKind.SURCHARGE)],
            "lines": [line.to_dict() for line in self.lines],
            "water_amount": decimal_str(self.water_amount),
            "taxes": [
                {
                    "tax": "IVA",
                    "rate": decimal_str(t.rate),
                    "base": decimal_str(t.base),
                    "amount": decimal_str(t.amount),
                }
                for t in self.tax_summary
            ],
            "subtotal": decimal_str(self.subtotal),
            "tax_total": decimal_str(self.tax_total),
            "total": decimal_str(self.total),
            "trace": self.trace,
        }
