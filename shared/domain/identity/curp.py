"""CURP (Clave Única de Registro de Población, RENAPO) format and check digit.

18 characters: 4 letters (surnames and given name), birth date YYMMDD, sex (H, M, or X), 2-letter state code
(NE = born abroad), the first internal consonant of each name, a differentiator (0-9 for births before 2000,
A-Z from 2000) and a check digit. The check digit values the first 17 characters by their position in
"0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ", weights them 18 down to 2, and is (10 - sum mod 10) mod 10.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

_CHARS = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_VALUES = {c: i for i, c in enumerate(_CHARS)}
STATES = frozenset(
    {
        "AS",
        "BC",
        "BS",
        "CC",
        "CL",
        "CM",
        "CS",
        "CH",
        "DF",
        "DG",
        "GT",
        "GR",
        "HG",
        "JC",
        "MC",
        "MN",
        "MS",
        "NT",
        "NL",
        "OC",
        "PL",
        "QT",
        "QR",
        "SP",
        "SL",
        "SR",
        "TC",
        "TS",
        "TL",
        "VZ",
        "YN",
        "ZS",
        "NE",
    }
)
_CURP_RE = re.compile(
    r"^([A-Z][AEIOUX][A-Z]{2})([0-9]{2})([0-9]{2})([0-9]{2})([HMX])([A-Z]{2})"
    r"([B-DF-HJ-NP-TV-ZÑ]{3})([0-9A-Z])([0-9])$"
)


class CurpProblem(StrEnum):
    FORMAT = "format"
    DATE = "date"
    STATE = "state"
    CHECK_DIGIT = "check_digit"


def check_digit(*, curp17: str) -> str:
    """The check digit of the first 17 characters of a CURP."""
    if len(curp17) != 17:
        raise ValueError(f"expected 17 characters, got {len(curp17)}")
    try:
        total = sum(_VALUES[ch] * (18 - i) for i, ch in enumerate(curp17))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a CURP") from exc
    return str((10 - total % 10) % 10)


def birth_date(*, curp: str) -> dt.date:
    """Birth date encoded in a well-formed CURP: the differentiator tells the century (digit: 1900s, letter: 2000s)."""
    century = 1900 if curp[16].isdigit() else 2000
    return dt.date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))


def curp_problem(*, curp: str) -> CurpProblem | None:
    """None when the CURP is valid (format, birth date, state, check digit); else what is wrong."""
    match = _CURP_RE.match(curp)
    if match is None:
        return CurpProblem.FORMAT
    try:
        birth_date(curp=curp)
    except ValueError:
        return CurpProblem.DATE
    if match.group(6) not in STATES:
        return CurpProblem.STATE
    if check_digit(curp17=curp[:17]) != curp[17]:
        return CurpProblem.CHECK_DIGIT
    return None


def with_check_digit(*, curp17: str) -> str:
    return curp17 + check_digit(curp17=curp17)
