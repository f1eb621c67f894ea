"""The tenant's review policy of a billing run: which drafts are held for an analyst, whether the whole run is held,
and whether it may be issued without an operator's approval.

Per invoice (applied set-based by the data layer over the run's drafts, after every chunk is billed):
* HIGH_CONSUMPTION: m³ above `high_factor` × the account's average actual m³ of the last 12 months;
* LOW_CONSUMPTION: m³ below `low_factor` × that average (when the average is at least `min_average_m3`);
* NEGATIVE_AMOUNT: a total below zero (credits larger than the charges);
* ZERO_ON_OCCUPIED: zero m³ on a toma recorded as occupied;
* AMOUNT_OVER_AVERAGE: a total above `amount_factor` × the run's average total of the same tariff class.
NEGATIVE_CONSUMPTION (an impossible read pair) is held by the billing rule itself. A factor set to null disables
its rule. Per run: an estimated share above `max_estimated_share` (default 20 %) holds the whole run with the
reason; otherwise it is issued at once when `auto_issue` is on, else it waits for approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.domain.billing.errors import BillingError
from shared.domain.errors import Invalid


class ReviewHold(StrEnum):
    HIGH_CONSUMPTION = "HIGH_CONSUMPTION"
    LOW_CONSUMPTION = "LOW_CONSUMPTION"
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"
    ZERO_ON_OCCUPIED = "ZERO_ON_OCCUPIED"
    AMOUNT_OVER_AVERAGE = "AMOUNT_OVER_AVERAGE"


@dataclass(frozen=True)
class ReviewPolicy:
    high_factor: Decimal | None = Decimal(3)
    low_factor: Decimal | None = Decimal("0.2")
    min_average_m3: Decimal = Decimal(5)
    amount_factor: Decimal | None = Decimal(5)
    hold_negative_amount: bool = True
    hold_zero_on_occupied: bool = True
    max_estimated_share: Decimal = Decimal("0.20")
    auto_issue: bool = False
    approval_timeout_hours: int = 72


class InvalidReviewPolicy(BillingError, Invalid, ValueError):
    """tenants.config billing.review has a value of the wrong kind or out of range."""

    default_code = "invalid_review_policy"


def _factor(raw: Any, default: Decimal | None, name: str) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
        raise InvalidReviewPolicy(f"billing.review.{name} must be a number or null")
    value = Decimal(str(raw))
    if not value.is_finite() or value < 0:
        raise InvalidReviewPolicy(f"billing.review.{name} must be a finite number ≥ 0")
    return value


def review_policy(*, settings: dict[str, Any]) -> ReviewPolicy:
    """The policy from tenants.config `billing.review` (missing keys take the defaults; floats are refused)."""
    base = ReviewPolicy()
    share = _factor(settings.get("max_estimated_share", base.max_estimated_share), None, "max_estimated_share")
    if share is None or share > 1:
        raise InvalidReviewPolicy("billing.review.max_estimated_share must be between 0 and 1")
    timeout = settings.get("approval_timeout_hours", base.approval_timeout_hours)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 24 * 31:
        raise InvalidReviewPolicy("billing.review.approval_timeout_hours must be an integer between 1 and 744")
    minimum = _factor(settings.get("min_average_m3", base.min_average_m3), None, "min_average_m3")
    return ReviewPolicy(
        high_factor=_factor(settings.get("high_factor", base.high_factor), base.high_factor, "high_factor"),
        low_factor=_factor(settings.get("low_factor", base.low_factor), base.low_factor, "low_factor"),
        min_average_m3=minimum if minimum is not None else base.min_average_m3,
        amount_factor=_factor(settings.get("amount_factor", base.amount_factor), base.amount_factor, "amount_factor"),
        hold_negative_amount=bool(settings.get("hold_negative_amount", True)),
        hold_zero_on_occupied=bool(settings.get("hold_zero_on_occupied", True)),
        max_estimated_share=share,
        auto_issue=bool(settings.get("auto_issue", False)),
        approval_timeout_hours=timeout,
    )


@dataclass(frozen=True)
class RunDecision:
    """What the review step decided: `hold_reason` (the whole run waits, in Spanish for the analyst) or not;
    `auto_issue` when the run may be issued without an operator."""

    hold_reason: str | None
    auto_issue: bool
    estimated_share: Decimal


def decide_run(*, invoices: int, estimated: int, policy: ReviewPolicy) -> RunDecision:
    share = (Decimal(estimated) / Decimal(invoices)).quantize(Decimal("0.0001")) if invoices else Decimal(0)
    if invoices and share > policy.max_estimated_share:
        reason = (
            f"{estimated} de {invoices} facturas ({share * 100:.1f} %) son estimadas, más del "
            f"{policy.max_estimated_share * 100:.0f} % permitido: la corrida completa espera revisión"
        )
        return RunDecision(hold_reason=reason, auto_issue=False, estimated_share=share)
    return RunDecision(hold_reason=None, auto_issue=policy.auto_issue, estimated_share=share)
