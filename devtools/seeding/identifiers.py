"""Mexican identifiers for synthetic customers: RFC, CURP, bank references (CLABE) and payment references.

Only test data is built here; the values are format-valid with correct check digits but belong to nobody.

RFC (SAT): persona física = 4 letters from the names + birth date YYMMDD + 2-character homoclave + check digit;
persona moral = 3 letters from the company name + incorporation date + homoclave + check digit. The homoclave is
derived from the full name (each character coded as two digits, sum of products of consecutive digit pairs,
last three digits split by 34 into two characters of "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"); the check digit is
the SAT mod-11 digit of `shared.domain.cfdi.rfc`. Only the check digit can be verified from the RFC itself.

CURP (RENAPO): 4 letters from the names, birth date, sex (H/M), 2-letter state, first internal consonant of each
name, a differentiator (0-9 born before 2000, A-Z from 2000) and the check digit of `shared.domain.identity.curp`.
Words on RENAPO's/SAT's list of inconvenient words get their second (CURP) or last (RFC) letter replaced by X.

CLABE (Banxico): 3-digit bank + 3-digit plaza + 11-digit account + check digit; weights 3,7,1 repeated over the
17 digits, each product taken mod 10, check = (10 - sum mod 10) mod 10.

Payment reference: digits + one Luhn (mod 10, "algoritmo 10" of Mexican referenced bank deposits) check digit.
The scalar check digits of CLABE and reference are `shared.domain.payments.references`; this module adds numpy
versions of the same rules for bulk generation (tests check they agree).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache

import numpy as np

from shared.domain.cfdi.rfc import check_digit as rfc_check_digit
from shared.domain.identity.curp import check_digit as curp_check_digit
from shared.domain.payments.references import CLABE_WEIGHTS

_HOMOCLAVE_CHARS = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
_VOWELS = frozenset("AEIOU")
_IGNORED_GIVEN_NAMES = frozenset({"MARIA", "MA", "MA.", "JOSE", "J", "J."})
_MORAL_IGNORED_WORDS = frozenset(
    {
        "DE",
        "DEL",
        "LA",
        "LAS",
        "LOS",
        "Y",
        "EL",
        "SA",
        "CV",
        "S",
        "A",
        "C",
        "V",
        "RL",
        "SC",
        "AC",
        "SAPI",
        "SAB",
        "COMPANIA",
        "CIA",
        "SOCIEDAD",
        "PARA",
        "POR",
        "CON",
    }
)
# Inconvenient four-letter words (RENAPO/SAT lists as commonly published).
_INCONVENIENT = frozenset(
    {
        "BACA",
        "BAKA",
        "BUEI",
        "BUEY",
        "CACA",
        "CACO",
        "CAGA",
        "CAGO",
        "CAKA",
        "CAKO",
        "COGE",
        "COGI",
        "COJA",
        "COJE",
        "COJI",
        "COJO",
        "COLA",
        "CULO",
        "FALO",
        "FETO",
        "GETA",
        "GUEI",
        "GUEY",
        "JETA",
        "JOTO",
        "KACA",
        "KACO",
        "KAGA",
        "KAGO",
        "KAKA",
        "KAKO",
        "KOGE",
        "KOGI",
        "KOJA",
        "KOJE",
        "KOJI",
        "KOJO",
        "KOLA",
        "KULO",
        "LILO",
        "LOCA",
        "LOCO",
        "LOKA",
        "LOKO",
        "MAME",
        "MAMO",
        "MEAR",
        "MEAS",
        "MEON",
        "MIAR",
        "MION",
        "MOCO",
        "MOKO",
        "MULA",
        "MULO",
        "NACA",
        "NACO",
        "PEDA",
        "PEDO",
        "PENE",
        "PIPI",
        "PITO",
        "POPO",
        "PUTA",
        "PUTO",
        "QULO",
        "RATA",
        "ROBA",
        "ROBE",
        "ROBO",
        "RUIN",
        "SENO",
        "TETA",
        "VACA",
        "VAGA",
        "VAGO",
        "VAKA",
        "VUEI",
        "VUEY",
        "WUEI",
        "WUEY",
    }
)


class InvalidIdentifierInput(ValueError):
    """A name or date cannot produce an identifier (e.g. an empty surname)."""


@lru_cache(maxsize=8192)
def plain_upper(text: str) -> str:
    """Upper case without accents; Ñ is kept, other characters outside A-Z, 0-9, Ñ, & and space are dropped."""
    out = []
    for ch in text.upper():
        if ch == "Ñ":
            out.append(ch)
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if (base.isalnum() and base.isascii()) or base in " &":
            out.append(base)
    return " ".join("".join(out).split())


def _first_internal(word: str, *, vowel: bool) -> str:
    for ch in word[1:]:
        if (ch in _VOWELS) == vowel and ch.isalpha():
            return ch
    return "X"


def _given_name(given: str) -> str:
    parts = given.split()
    if len(parts) > 1 and parts[0] in _IGNORED_GIVEN_NAMES:
        return parts[1]
    return parts[0]


def _curp_letters(paternal: str, maternal: str, given: str) -> tuple[str, str, str, str]:
    p, m, g = plain_upper(paternal), plain_upper(maternal), plain_upper(given)
    if not p or not g:
        raise InvalidIdentifierInput("paternal surname and given name are required")
    name = _given_name(g)
    return p, m, name, g


@lru_cache(maxsize=65_536)
def _curp_name_parts(paternal: str, maternal: str, given: str) -> tuple[str, str]:
    """The 4 leading letters and the 3 internal consonants of a CURP, from the names."""
    p, m, name, _ = _curp_letters(paternal, maternal, given)
    p, m, name = (w.replace("Ñ", "X") for w in (p, m, name))
    head = p[0] + _first_internal(p, vowel=True) + (m[0] if m else "X") + name[0]
    if head in _INCONVENIENT:
        head = head[0] + "X" + head[2:]
    consonants = (
        _first_internal(p, vowel=False)
        + (_first_internal(m, vowel=False) if m else "X")
        + _first_internal(name, vowel=False)
    )
    return head, consonants


def make_curp(
    *, paternal: str, maternal: str, given: str, birth: dt.date, sex: str, state: str, differentiator_index: int = 0
) -> str:
    """A CURP with a valid check digit. `sex` is H or M, `state` the 2-letter RENAPO code (QT = Querétaro)."""
    head, consonants = _curp_name_parts(paternal, maternal, given)
    pool = "0123456789" if birth.year < 2000 else "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    body = f"{head}{birth:%y%m%d}{sex}{state}{consonants}{pool[differentiator_index % len(pool)]}"
    return body + curp_check_digit(curp17=body)


# SAT's two-digit code of each character in the homoclave calculation.
_HOMOCLAVE_CODES: dict[str, str] = {" ": "00", "&": "10", "Ñ": "40"}
_HOMOCLAVE_CODES.update({str(d): f"0{d}" for d in range(10)})
_HOMOCLAVE_CODES.update({c: str(11 + i) for i, c in enumerate("ABCDEFGHI")})
_HOMOCLAVE_CODES.update({c: str(21 + i) for i, c in enumerate("JKLMNOPQR")})
_HOMOCLAVE_CODES.update({c: str(32 + i) for i, c in enumerate("STUVWXYZ")})


@lru_cache(maxsize=65_536)
def homoclave(full_name: str) -> str:
    """The two-character SAT homoclave of a full name (física: paternal maternal given; moral: the company name)."""
    name = plain_upper(full_name)
    codes = "0" + "".join(_HOMOCLAVE_CODES[c] for c in name)
    total = sum(int(codes[i : i + 2]) * int(codes[i + 1]) for i in range(len(codes) - 1))
    quotient, remainder = divmod(total % 1000, 34)
    return _HOMOCLAVE_CHARS[quotient] + _HOMOCLAVE_CHARS[remainder]


@lru_cache(maxsize=65_536)
def _rfc_name_parts(paternal: str, maternal: str, given: str) -> tuple[str, str]:
    """The 4 leading letters and the homoclave of a persona física's RFC, from the names."""
    p, m, name, g = _curp_letters(paternal, maternal, given)
    head = p[0] + _first_internal(p, vowel=True) + m[0] + name[0] if m else p[:2] + name[:2]
    if head in _INCONVENIENT:
        head = head[:3] + "X"
    return head, homoclave(f"{p} {m} {g}".replace("  ", " "))


def make_rfc_fisica(*, paternal: str, maternal: str, given: str, birth: dt.date) -> str:
    head, clave = _rfc_name_parts(paternal, maternal, given)
    body = f"{head}{birth:%y%m%d}{clave}"
    return body + rfc_check_digit(rfc_without_digit=body)


def make_rfc_moral(*, legal_name: str, incorporated: dt.date) -> str:
    words = [
        w for w in plain_upper(legal_name.replace(".", " ").replace(",", " ")).split() if w not in _MORAL_IGNORED_WORDS
    ]
    if not words:
        raise InvalidIdentifierInput(f"no usable word in {legal_name!r}")
    if len(words) >= 3:
        head = words[0][0] + words[1][0] + words[2][0]
    elif len(words) == 2:
        head = words[0][:2] + words[1][0]
    else:
        head = (words[0] + "XX")[:3]
    body = f"{head}{incorporated:%y%m%d}{homoclave(legal_name)}"
    return body + rfc_check_digit(rfc_without_digit=body)


def luhn_check_digits(body: np.ndarray) -> np.ndarray:
    """Vectorised `references.reference_check_digit` (Luhn) over a (n, k) array of digit values 0..9."""
    k = body.shape[1]
    doubled = np.zeros(k, dtype=bool)
    doubled[k - 1 :: -2] = True
    values = body.astype(np.int64)
    values[:, doubled] *= 2
    values[:, doubled] -= np.where(values[:, doubled] > 9, 9, 0)
    return np.asarray((10 - values.sum(axis=1) % 10) % 10)


def clabe_check_digits(body: np.ndarray) -> np.ndarray:
    """Vectorised `references.clabe_check_digit` over a (n, 17) array of digit values."""
    weights = np.resize(np.array(CLABE_WEIGHTS), body.shape[1])
    return np.asarray((10 - ((body.astype(np.int64) * weights) % 10).sum(axis=1) % 10) % 10)
