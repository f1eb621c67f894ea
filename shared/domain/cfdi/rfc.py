"""RFC (Registro Federal de Contribuyentes) format and SAT check digit (dígito verificador).

Persona moral: 3 letters + YYMMDD + 3-character homoclave (12 characters).
Persona física: 4 letters + YYMMDD + homoclave (13 characters).
The last character is the check digit: a mod-11 weighted sum over the first 12 characters (a persona moral RFC is
left-padded with one space to 12), weights 13..2, with the SAT character values below. The generic RFCs
XAXX010101000 / XEXX010101000 do not carry a valid check digit and are accepted as such.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from functools import lru_cache

from shared.domain.cfdi.catalogs import GENERIC_RFCS

_RFC_RE = re.compile(r"^([A-ZÑ&]{3,4})([0-9]{2})([0-9]{2})([0-9]{2})([A-Z0-9]{2})([0-9A])$")

# Values of each character in the SAT check-digit sum.
_CHAR_VALUES: dict[str, int] = {str(d): d for d in range(10)}
_CHAR_VALUES.update({c: 10 + i for i, c in enumerate("ABCDEFGHIJKLMN")})
_CHAR_VALUES["&"] = 24
_CHAR_VALUES.update({c: 25 + i for i, c in enumerate("OPQRSTUVWXYZ")})
_CHAR_VALUES[" "] = 37
_CHAR_VALUES["Ñ"] = 38


class PersonType(StrEnum):
    FISICA = "fisica"
    MORAL = "moral"


class RfcProblem(StrEnum):
    FORMAT = "format"
    DATE = "date"
    CHECK_DIGIT = "check_digit"


def person_type(*, rfc: str) -> PersonType | None:
    """Persona física (13 characters) or moral (12); None when the length is neither."""
    if len(rfc) == 13:
        return PersonType.FISICA
    if len(rfc) == 12:
        return PersonType.MORAL
    return None


def is_generic(*, rfc: str) -> bool:
    return rfc in GENERIC_RFCS


def check_digit(*, rfc_without_digit: str) -> str:
    """The check digit for the first 11 (moral) or 12 (física) characters of an RFC."""
    body = rfc_without_digit.rjust(12)
    if len(body) != 12:
        raise ValueError(f"expected 11 or 12 characters, got {len(rfc_without_digit)}")
    try:
        total = sum(_CHAR_VALUES[ch] * (13 - i) for i, ch in enumerate(body))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in an RFC") from exc
    remainder = total % 11
    if remainder == 0:
        return "0"
    digit = 11 - remainder
    return "A" if digit == 10 else str(digit)


def rfc_problem(*, rfc: str) -> RfcProblem | None:
    """None when the RFC is valid (format, date and check digit) or is a generic RFC; else what is wrong."""
    return _rfc_problem(rfc)


@lru_cache(maxsize=65536)
def _rfc_problem(rfc: str) -> RfcProblem | None:
    """Memoised: a billing run checks the issuer's RFC on every invoice and the receivers' month after month."""
    if is_generic(rfc=rfc):
        return None
    match = _RFC_RE.match(rfc)
    if match is None:
        return RfcProblem.FORMAT
    yy, mm, dd = (int(match.group(i)) for i in (2, 3, 4))
    try:
        dt.date(2000 + yy, mm, dd)  # leap years repeat every 4 years, so 2000+yy validates Feb 29 correctly
    except ValueError:
        return RfcProblem.DATE
    if check_digit(rfc_without_digit=rfc[:-1]) != rfc[-1]:
        return RfcProblem.CHECK_DIGIT
    return None


def with_check_digit(*, rfc_without_digit: str) -> str:
    """Complete an RFC body with its check digit (test data, CSD generation)."""
    return rfc_without_digit + check_digit(rfc_without_digit=rfc_without_digit)
