"""Masking of personal data (RFC, CURP, phone, e-mail) wherever it may appear: free text, nested values of any
type, exception text. `mask_text` is for strings, `mask_any` for everything else (it never raises).

This is the one masking step: the log filter (shared.platform.logging) and the OpenTelemetry log record and span
processors (shared.platform.telemetry) all call it, so every exporter sees the same masked data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

_SEP = r"(?:\s?[.\-/]?\s?)"  # between groups: nothing, a space, or one of . - / with optional spaces around
_L = r"A-Za-zÑñ&"  # letters that may open an RFC (Ñ and & are valid in RFC names)

# CURP: 4 letters, 6 digits (birth date), H/M/X, 5 letters, 1 alnum, 1 digit (any case, optional separators).
_CURP = re.compile(
    rf"(?<![{_L}0-9])[A-ZÑ][AEIOUX][A-ZÑ]{{2}}{_SEP}\d{{6}}{_SEP}[HMX][A-ZÑ]{{5}}{_SEP}[A-Z0-9]\d(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# RFC: 3 (moral) or 4 (física) letters incl. Ñ/&, 6 digits (date), 3 alnum homoclave; any case, optional separators.
_RFC = re.compile(rf"(?<![{_L}0-9])[{_L}]{{3,4}}{_SEP}\d{{6}}{_SEP}[A-Za-z0-9]{{3}}(?![A-Za-z0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Mexican phones: optional +52 / 0052 / 52 (+ mobile 1) or long-distance 01, then 10 digits written plain or as
# 2-4-4, 3-3-4, 3-3-2-2, 2-2-2-2-2, 3-7, 2-8 or (area) rest, with a space, dot or dash between every two groups (groups
# run together only in the plain form, so dates and timestamps such as 2026-10 2026-12 are not taken for phones).
_G = r"(?:\s?[.\-]?\s?)"  # optional, after a prefix or a parenthesis
_S = r"(?:\s?[.\-]\s?|\s)"  # required, between groups
_PHONE_BODY = (
    rf"(?:\(\s?\d{{2}}\s?\){_G}(?:\d{{4}}{_S}\d{{4}}|\d{{8}})"
    rf"|\(\s?\d{{3}}\s?\){_G}(?:\d{{3}}{_S}\d{{4}}|\d{{3}}{_S}\d{{2}}{_S}\d{{2}}|\d{{7}})"
    rf"|\d{{2}}{_S}\d{{4}}{_S}\d{{4}}"
    rf"|\d{{3}}{_S}\d{{3}}{_S}\d{{4}}"
    rf"|\d{{3}}{_S}\d{{3}}{_S}\d{{2}}{_S}\d{{2}}"
    rf"|\d{{2}}{_S}\d{{2}}{_S}\d{{2}}{_S}\d{{2}}{_S}\d{{2}}"
    rf"|\d{{3}}{_S}\d{{7}}|\d{{2}}{_S}\d{{8}}"
    rf"|\d{{10}})"
)
_PHONE = re.compile(rf"(?<![\w+])(?:(?:\+|00)?52{_G}(?:1{_G})?|01{_G})?{_PHONE_BODY}(?![\d])")

_MAX_DEPTH = 12
_SAFE_SCALARS = (bool, float, Decimal, datetime, date, time, UUID, type(None))


def mask_value(value: str, keep: int = 3) -> str:
    """Keep the first `keep` characters, replace the rest with asterisks."""
    if len(value) <= keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - keep)


def _mask_email(m: re.Match[str]) -> str:
    local, _, domain = m.group(0).partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_phone(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "***" + digits[-4:]


_SIX_DIGITS = re.compile(r"\d{6}")


def _digits(text: str) -> int:
    return sum(text.count(d) for d in "0123456789")


# A canonical UUID (CFDI folio fiscal, ids) carries no personal data, but its last group can read as an RFC
# (three letters, six digits, three more): UUIDs are left whole and only the text around them is masked.
_UUID = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
)


def mask_text(text: str) -> str:
    """Mask every CURP, RFC, e-mail and phone inside free text. Cheap gates first (a CURP or RFC has six digits in a
    row, an e-mail an @, a phone ten digits), so ordinary log lines cost a few string scans."""
    if "-" in text and _UUID.search(text):
        pieces = _UUID.split(text)
        uuids = _UUID.findall(text)
        return "".join(_mask_plain(p) + (uuids[i] if i < len(uuids) else "") for i, p in enumerate(pieces))
    return _mask_plain(text)


def _mask_plain(text: str) -> str:
    if _SIX_DIGITS.search(text):
        text = _CURP.sub(lambda m: mask_value(m.group(0), 4), text)
        text = _RFC.sub(lambda m: mask_value(m.group(0), 3), text)
    if "@" in text:
        text = _EMAIL.sub(_mask_email, text)
    if _digits(text) >= 10:
        text = _PHONE.sub(_mask_phone, text)
    return text


def contains_pii(text: str) -> bool:
    return mask_text(text) != text


_UNHANDLED = object()


def _mask_scalar(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Enum):
        return _mask_scalar(value.value)
    if isinstance(value, int) and not isinstance(value, bool):
        masked = mask_text(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, _SAFE_SCALARS):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return mask_text(bytes(value).decode("utf-8", errors="replace"))
    return _UNHANDLED


def _as_plain(value: Any) -> Any:
    """A dict or list view of a record or container, or _UNHANDLED."""
    if isinstance(value, Mapping):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return value._asdict()
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):
        return model_dump()
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(value, key=repr) if isinstance(value, set | frozenset) else value
    return _UNHANDLED


def mask_any(value: Any, _depth: int = 0) -> Any:
    """A masked copy of any value: strings masked, containers and records (dict, list, tuple, set, dataclass,
    NamedTuple, pydantic model) walked recursively, anything else rendered with str() and masked. Numbers that
    read as a phone become masked strings. Returns JSON-friendly values (containers become dicts and lists)."""
    scalar = _mask_scalar(value)
    if scalar is not _UNHANDLED:
        return scalar
    try:
        plain = _as_plain(value) if _depth < _MAX_DEPTH else _UNHANDLED
        if isinstance(plain, Mapping):
            return {mask_any(k, _depth + 1): mask_any(v, _depth + 1) for k, v in plain.items()}
        if isinstance(plain, list | tuple):
            return [mask_any(v, _depth + 1) for v in plain]
        return mask_text(str(value))
    except Exception:  # a value whose str() or model_dump() raises still yields something masked
        return "<unprintable>"
