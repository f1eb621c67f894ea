"""Per-account payment identifiers for accounts opened through the API.

Account number: 9 digits, "2" + the account id on 8 digits ("1…" numbers are the migrated/seeded range).
Payment reference (OXXO / referenced bank deposit): "10" + account number + Luhn check digit (12 digits).
CLABE (SPEI): bank (3) + plaza (3) + "8" + account id on 10 digits + Banxico check digit (weights 3, 7, 1).
"""

from __future__ import annotations

CLABE_WEIGHTS = (3, 7, 1)
REFERENCE_PREFIX = "10"
ACCOUNT_RANGE = "2"
CLABE_RANGE = "8"


class IdentifierOutOfRange(ValueError):
    pass


def luhn_check_digit(*, digits: str) -> str:
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError("a Luhn body must be digits")
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def clabe_check_digit(*, clabe17: str) -> str:
    if len(clabe17) != 17 or not (clabe17.isascii() and clabe17.isdigit()):
        raise ValueError("a CLABE body is 17 digits")
    total = sum((int(c) * CLABE_WEIGHTS[i % 3]) % 10 for i, c in enumerate(clabe17))
    return str((10 - total % 10) % 10)


def clabe_is_valid(*, clabe: str) -> bool:
    ascii_digits = clabe.isascii() and clabe.isdigit()
    return len(clabe) == 18 and ascii_digits and clabe_check_digit(clabe17=clabe[:17]) == clabe[17]


def account_identifiers(*, account_id: int, bank: str = "646", plaza: str = "180") -> dict[str, str]:
    if not 0 < account_id < 10**8:
        raise IdentifierOutOfRange(f"account id {account_id} does not fit the numbering")
    number = f"{ACCOUNT_RANGE}{account_id:08d}"
    body = f"{REFERENCE_PREFIX}{number}"
    clabe17 = f"{bank}{plaza}{CLABE_RANGE}{account_id:010d}"
    return {
        "account_number": number,
        "payment_reference": body + luhn_check_digit(digits=body),
        "clabe": clabe17 + clabe_check_digit(clabe17=clabe17),
    }
