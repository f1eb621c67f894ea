"""Permanent per-account payment references and their check digits.

* Payment reference (OXXO/cash, bank window, referencia numérica of the bill): digits plus one Luhn digit
  ("algoritmo 10" of Mexican referenced deposits). The seed builds them as prefix "10" + the 9-digit account number
  + the check digit (12 digits).
* CLABE (Banxico): 3-digit bank + 3-digit plaza + 11-digit account + check digit; weights 3, 7, 1 repeated over
  the 17 digits, each product taken mod 10, check = (10 - sum mod 10) mod 10.
"""

from __future__ import annotations

import re

from shared.domain.errors import Invalid
from shared.domain.payments.errors import PaymentsError

CLABE_WEIGHTS = (3, 7, 1)
DEFAULT_REFERENCE_PREFIX = "10"
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


class InvalidReferenceBody(PaymentsError, Invalid, ValueError):
    """The digits a check digit is computed over are not ASCII digits or have the wrong length."""

    default_code = "invalid_reference"
    detail = "La referencia o CLABE debe tener solo dígitos (0-9) y la longitud correcta."


def reference_check_digit(*, body: str) -> str:
    """The Luhn check digit appended to `body` (every second digit from the right doubled, starting with the last)."""
    if not body or not _DIGITS.fullmatch(body):
        raise InvalidReferenceBody("a reference body is one or more digits")
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def make_reference(*, account_number: str, prefix: str = DEFAULT_REFERENCE_PREFIX) -> str:
    body = f"{prefix}{account_number}"
    return body + reference_check_digit(body=body)


def is_valid_reference(*, reference: str) -> bool:
    """True for 2+ digits whose last digit is the Luhn check digit of the rest."""
    if len(reference) < 2 or not _DIGITS.fullmatch(reference):
        return False
    return reference_check_digit(body=reference[:-1]) == reference[-1]


def clabe_check_digit(*, body: str) -> str:
    if len(body) != 17 or not _DIGITS.fullmatch(body):
        raise InvalidReferenceBody("a CLABE body is 17 digits")
    total = sum((int(c) * CLABE_WEIGHTS[i % 3]) % 10 for i, c in enumerate(body))
    return str((10 - total % 10) % 10)


def make_clabe(*, bank: str, plaza: str, account: str) -> str:
    body = f"{bank}{plaza}{account}"
    return body + clabe_check_digit(body=body)


def is_valid_clabe(*, clabe: str) -> bool:
    return len(clabe) == 18 and bool(_DIGITS.fullmatch(clabe)) and clabe_check_digit(body=clabe[:17]) == clabe[17]


def find_references(*, text: str) -> list[str]:
    """Candidate payment references inside free text (a SPEI concepto): runs of 8-20 digits with a valid Luhn digit."""
    return [m for m in re.findall(r"(?<![0-9])[0-9]{8,20}(?![0-9])", text) if is_valid_reference(reference=m)]
