"""Value types of the billing rules: what one account brings to a billing period and the draft it produces."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class BillException(StrEnum):
    """Reasons an invoice draft is held for review instead of going straight to issue."""

    READ_EXCEPTION = "READ_EXCEPTION"
    NEGATIVE_CONSUMPTION = "NEGATIVE_CONSUMPTION"
    CANNOT_ESTIMATE = "CANNOT_ESTIMATE"
    READ_EXCEEDS_DIALS = "READ_EXCEEDS_DIALS"


@dataclass(frozen=True)
class Read:
    """An actual register read as stored (value in m³ on the register)."""

    read_on: date
    value: Decimal
    status: str = "valid"
    exception_codes: tuple[str, ...] = ()
    source: str = "handheld"


@dataclass(frozen=True)
class PriorBill:
    """A previous invoice of the account: its period (first day of month), billed m³ and whether estimated."""

    period: date
    m3: Decimal
    estimated: bool


@dataclass(frozen=True)
class AccountToBill:
    account_id: int
    tariff_class: str
    sector: str
    dials: int
    installed_on: date
    initial_read: Decimal
    reads: tuple[Read, ...]
    prior_bills: tuple[PriorBill, ...]
    previous_balance: Decimal


@dataclass(frozen=True)
class BillingPolicy:
    """Tenant billing policy (tenants.config["billing"])."""

    late_fee_rate: Decimal = Decimal(0)
    """Recargo as a fraction of the unpaid previous balance; 0 disables it."""
    due_days: int = 20
    series: str = "A"


@dataclass(frozen=True)
class DraftLine:
    code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceDraft:
    account_id: int
    consumption_m3: Decimal
    estimated: bool
    exception_codes: tuple[str, ...]
    lines: tuple[DraftLine, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    previous_balance: Decimal

    @property
    def held(self) -> bool:
        return bool(self.exception_codes)
