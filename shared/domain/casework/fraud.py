"""Fraud cases: investigation workflow, outcome and back-billing."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

SOURCES = ("anomaly", "report", "inspection")
STATUSES = ("open", "investigating", "confirmed", "dismissed", "closed")
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"investigating", "dismissed"}),
    "investigating": frozenset({"confirmed", "dismissed"}),
    "confirmed": frozenset({"closed"}),
    "dismissed": frozenset({"closed"}),
    "closed": frozenset(),
}
CENT = Decimal("0.01")


class InvalidFraudTransition(ValueError):
    def __init__(self, *, current: str, target: str) -> None:
        super().__init__(f"{current} -> {target}")
        self.current, self.target = current, target


class OutcomeRequired(ValueError):
    """Confirming, dismissing or closing a case needs a written outcome."""


class BackBillingNotAllowed(ValueError):
    """Back-billing applies only to a confirmed case and must not be negative."""


def transition(
    *, current: str, target: str, outcome: str | None, back_billing_amount: Decimal | None, now: datetime
) -> dict[str, object]:
    """Column changes for the move; back-billing is rounded to centavos (ROUND_HALF_UP)."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise InvalidFraudTransition(current=current, target=target)
    changes: dict[str, object] = {"status": target}
    if target in ("confirmed", "dismissed") and not outcome:
        raise OutcomeRequired(f"an outcome is required to mark a case {target}")
    if outcome:
        changes["outcome"] = outcome
    if back_billing_amount is not None:
        if target != "confirmed" or back_billing_amount < 0:
            raise BackBillingNotAllowed("back-billing only when confirming, and not negative")
        changes["back_billing_amount"] = back_billing_amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if target == "closed":
        changes["closed_at"] = now
    return changes
