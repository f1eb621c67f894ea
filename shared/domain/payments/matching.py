"""Which account a payment belongs to: permanent references first, then an amount/date heuristic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.domain.payments.model import PaymentHints
from shared.domain.payments.references import find_references, is_valid_clabe, is_valid_reference


def _ascii_digits(text: str) -> bool:
    """1 to 18 ASCII digits (str.isdigit alone also takes Arabic-Indic and fullwidth digits, which int() reads)."""
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()


@dataclass(frozen=True)
class LookupKey:
    method: str  # how the match was made (stored on the payment)
    column: str  # accounts column to look up: account_number, payment_reference, clabe
    value: str


def lookup_keys(*, hints: PaymentHints) -> tuple[list[LookupKey], list[str]]:
    """Keys to try in order, and the problems found (a reference or CLABE whose check digit fails is not used)."""
    keys: list[LookupKey] = []
    problems: list[str] = []
    if hints.account_number and hints.account_number.strip():
        keys.append(LookupKey("metadata", "account_number", hints.account_number.strip()))
    if hints.reference:
        ref = hints.reference.strip()
        if is_valid_reference(reference=ref):
            keys.append(LookupKey("reference", "payment_reference", ref))
        else:
            problems.append("reference_check_digit")
    if hints.clabe:
        clabe = hints.clabe.strip()
        if is_valid_clabe(clabe=clabe):
            keys.append(LookupKey("clabe", "clabe", clabe))
        else:
            problems.append("clabe_check_digit")
    if hints.numeric_reference and _ascii_digits(hints.numeric_reference.strip()) and int(hints.numeric_reference) > 0:
        keys.append(LookupKey("numeric_reference", "account_number", hints.numeric_reference.strip()))
    if hints.concept:
        for ref in find_references(text=hints.concept):
            keys.append(LookupKey("concept_reference", "payment_reference", ref))
    return keys, problems


@dataclass(frozen=True)
class AmountCandidate:
    account_id: int
    open_amount: Decimal
    last_due_date: date


def pick_by_amount(
    *, amount: Decimal, paid_on: date, candidates: Sequence[AmountCandidate], window_days: int = 45
) -> int | None:
    """The one account whose open amount equals the payment and whose last bill fell due within `window_days`
    around the payment; None when zero or several accounts fit (ambiguous money goes to suspense)."""
    fits = {
        c.account_id
        for c in candidates
        if c.open_amount == amount and abs((paid_on - c.last_due_date).days) <= window_days
    }
    return next(iter(fits)) if len(fits) == 1 else None
