"""Personal data out of model requests: stable tokens for the values the CIS knows and the shapes it can recognise.

A `Vault` lives for one agent turn. Every text that leaves for the model goes through `tokenise` (known values
first, longest first, then the shapes: e-mail, CURP, RFC, digit runs classified as CLABE / payment reference /
phone / account number, and names introduced in free text), and every tool result through `tokenise_value`, which
also learns the values of personal fields by their key. The same value always gets the same token within the
vault (`[CUENTA_1]`, `[NOMBRE_2]`). `detokenise` is applied only to the final reply and to tool inputs, both
server-side. `find_leaks` is the scanner run over every recorded outbound request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

KINDS = (
    "NOMBRE",
    "DIRECCION",
    "CUENTA",
    "REFERENCIA",
    "CLABE",
    "RFC",
    "CURP",
    "TELEFONO",
    "CORREO",
    "NUMERO",
    "CODIGO",
)
TOKEN_RE = re.compile(r"\[(" + "|".join(KINDS) + r")_(\d+)\]")
UNAVAILABLE_VALUE_ES = "(dato no disponible)"

EMAIL_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CURP_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d(?![A-Za-z0-9])", re.I)
RFC_RE = re.compile(r"(?<![A-Za-zÑñ&0-9])[A-Za-zÑñ&]{3,4}\d{6}[A-Za-z0-9]{3}(?![A-Za-z0-9])")
# Runs of 9+ digits, possibly with single spaces, dots or dashes between groups, optionally led by "+".
DIGITS_RE = re.compile(r"(?<![\w.\-])\+?\d(?:[ .\-]?\d){8,21}(?![\w])")
# Legacy / migrated identifiers: a short letter prefix and 6+ digits ("C0001234", "REF00001234").
CODE_RE = re.compile(r"(?<![\w-])([A-Z]{1,3})-?(\d{6,14})(?![\w])")
# A standalone 6-digit run: a one-time verification code (a credential: the model and the audit see only a token).
OTP_RE = re.compile(r"(?<![\w\-$\[])(?<!\d[.,])\d{6}(?!\w|[.,]\d|\])")
ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL_RE = re.compile(r"\d+\.\d{1,2}")  # an amount (or a schema bound), not an identifier
_UPPER = "A-ZÁÉÍÓÚÑÜ"
_LOWER = "a-záéíóúñü"
_WORD = rf"[{_UPPER}][{_LOWER}]+"
NAME_INTRO_RE = re.compile(
    rf"(?i:\b(?:me llamo|mi nombre es|soy|habla|a nombre de|titular es)\s+)"
    rf"({_WORD}(?:\s+(?:de\s+la\s+|de\s+los\s+|del\s+|de\s+)?{_WORD}){{0,4}})"
)

# Tool-result keys whose values are personal data, by token kind.
FIELD_KINDS: dict[str, str] = {
    "first_name": "NOMBRE",
    "paternal_surname": "NOMBRE",
    "maternal_surname": "NOMBRE",
    "name": "NOMBRE",
    "full_name": "NOMBRE",
    "requester_name": "NOMBRE",
    "representative": "NOMBRE",
    "legal_name": "NOMBRE",
    "street": "DIRECCION",
    "ext_number": "DIRECCION",
    "int_number": "DIRECCION",
    "colonia": "DIRECCION",
    "postal_code": "DIRECCION",
    "address": "DIRECCION",
    "account_number": "CUENTA",
    "payment_reference": "REFERENCIA",
    "oxxo_reference": "REFERENCIA",
    "clabe": "CLABE",
    "rfc": "RFC",
    "curp": "CURP",
    "phone": "TELEFONO",
    "email": "CORREO",
}


def _fold(text: str) -> str:
    """Case- and accent-insensitive form used to recognise a known value."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def classify_digits(*, digits: str) -> str:
    n = len(digits)
    if n == 18:
        return "CLABE"
    if n == 12 and digits.startswith("10"):
        return "REFERENCIA"
    if n == 10 or (n == 12 and digits.startswith("52")) or (n == 13 and digits.startswith("521")):
        return "TELEFONO"
    if n == 9:
        return "CUENTA"
    return "NUMERO"


class Vault:
    """Token ⇄ value map of one agent turn (kept server-side, never sent)."""

    def __init__(self) -> None:
        self._token_by_key: dict[tuple[str, str], str] = {}
        self._value_by_token: dict[str, str] = {}
        self._counters: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._known: dict[str, str] = {}  # folded value -> token

    def token(self, *, kind: str, value: str) -> str:
        if kind not in self._counters:
            raise ValueError(f"unknown PII kind {kind!r}")
        key = (kind, _fold(value.strip()))
        found = self._token_by_key.get(key)
        if found is not None:
            return found
        self._counters[kind] += 1
        token = f"[{kind}_{self._counters[kind]}]"
        self._token_by_key[key] = token
        self._value_by_token[token] = value.strip()
        return token

    def learn(self, *, kind: str, value: str | None) -> None:
        """Replace `value` wherever it appears from now on (at least 3 characters; shorter is too ambiguous)."""
        if value is None or len(value.strip()) < 3:
            return
        self._known[_fold(value.strip())] = self.token(kind=kind, value=value)

    @property
    def tokens(self) -> Mapping[str, str]:
        return dict(self._value_by_token)

    def _replace_known(self, text: str) -> str:
        if not self._known:
            return text
        folded = _fold(text)
        if len(folded) != len(text):  # folding changed lengths (rare ligatures): match on the raw text instead
            folded = text.casefold()
        spans: list[tuple[int, int, str]] = []
        for value in sorted(self._known, key=len, reverse=True):
            start = 0
            while (at := folded.find(value, start)) >= 0:
                end = at + len(value)
                before_ok = at == 0 or not folded[at - 1].isalnum()
                after_ok = end == len(folded) or not folded[end].isalnum()
                if before_ok and after_ok and all(end <= s or at >= e for s, e, _ in spans):
                    spans.append((at, end, self._known[value]))
                start = at + 1
        for at, end, token in sorted(spans, reverse=True):
            text = text[:at] + token + text[end:]
        return text

    def tokenise(self, text: str) -> str:
        text = self._replace_known(text)
        text = EMAIL_RE.sub(lambda m: self.token(kind="CORREO", value=m.group(0)), text)
        text = CURP_RE.sub(lambda m: self.token(kind="CURP", value=m.group(0).upper()), text)
        text = RFC_RE.sub(lambda m: self.token(kind="RFC", value=m.group(0).upper()), text)
        text = DIGITS_RE.sub(self._digits, text)
        text = CODE_RE.sub(self._code, text)
        text = OTP_RE.sub(lambda m: self.token(kind="CODIGO", value=m.group(0)), text)
        return NAME_INTRO_RE.sub(self._intro, text)

    def _code(self, m: re.Match[str]) -> str:
        kind = "REFERENCIA" if m.group(1).startswith("REF") else "CUENTA"
        return self.token(kind=kind, value=m.group(0))

    def _digits(self, m: re.Match[str]) -> str:
        raw = m.group(0)
        if ISO_DATE_RE.fullmatch(raw) or DECIMAL_RE.fullmatch(raw):
            return raw
        digits = re.sub(r"\D", "", raw)
        kind = classify_digits(digits=digits)
        if kind == "TELEFONO" and len(digits) > 10:
            digits = digits[-10:]
        return self.token(kind=kind, value=digits)

    def _intro(self, m: re.Match[str]) -> str:
        name = m.group(1)
        whole = m.group(0)
        return whole[: len(whole) - len(name)] + self.token(kind="NOMBRE", value=name)

    def tokenise_value(self, value: Any, *, key: str | None = None) -> Any:
        """A JSON-like tool result with every personal field and every string tokenised."""
        if isinstance(value, Mapping):
            return {str(k): self.tokenise_value(v, key=str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.tokenise_value(v, key=key) for v in value]
        if isinstance(value, str):
            kind = FIELD_KINDS.get(key or "")
            if kind is not None and value.strip():
                self.learn(kind=kind, value=value)
                return self.token(kind=kind, value=value)
            return self.tokenise(value)
        return value

    def detokenise(self, text: str) -> str:
        return TOKEN_RE.sub(lambda m: self._value_by_token.get(m.group(0), UNAVAILABLE_VALUE_ES), text)

    def detokenise_value(self, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): self.detokenise_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.detokenise_value(v) for v in value]
        if isinstance(value, str):
            return self.detokenise(value)
        return value


class Leak(NamedTuple):
    kind: str
    excerpt: str  # masked: the first two characters and the length, never the value


def _excerpt(value: str) -> str:
    return f"{value[:2]}…({len(value)})"


def find_leaks(*, text: str, known_values: Iterable[str] = ()) -> list[Leak]:
    """Personal data in `text` (an outbound request body): any known value, or any recognisable shape."""
    leaks: list[Leak] = []
    folded = _fold(text)
    for value in known_values:
        v = _fold(value.strip())
        if len(v) >= 3 and v in folded:
            leaks.append(Leak("known", _excerpt(value)))
    stripped = TOKEN_RE.sub(" ", text)
    for kind, pattern in (("CORREO", EMAIL_RE), ("CURP", CURP_RE), ("RFC", RFC_RE), ("CUENTA", CODE_RE)):
        leaks.extend(Leak(kind, _excerpt(m.group(0))) for m in pattern.finditer(stripped))
    for m in DIGITS_RE.finditer(stripped):
        if not (ISO_DATE_RE.fullmatch(m.group(0)) or DECIMAL_RE.fullmatch(m.group(0))):
            digits = re.sub(r"\D", "", m.group(0))
            leaks.append(Leak(classify_digits(digits=digits), _excerpt(digits)))
    return leaks
