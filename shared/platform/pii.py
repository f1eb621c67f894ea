"""Masking of personal data (RFC, CURP, phone, email) in free text such as log messages."""

from __future__ import annotations

import re

# CURP: 4 letters, 6 digits (birth date), H/M/X, 5 letters, 1 alnum, 1 digit.
_CURP = re.compile(r"\b[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d\b", re.IGNORECASE)
# RFC: 3 (moral) or 4 (física) letters incl. Ñ/&, 6 digits, 3 alnum homoclave.
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b", re.IGNORECASE)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# Phones: optional +52 / 52, then 10 digits possibly separated by spaces or dashes.
_PHONE = re.compile(r"(?<!\d)(?:\+?52[\s-]?)?(?:\d[\s-]?){9}\d(?!\d)")


def mask_value(value: str, keep: int = 3) -> str:
    """Keep the first `keep` characters, replace the rest with asterisks."""
    if len(value) <= keep:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - keep)


def _mask_email(m: re.Match[str]) -> str:
    local, _, domain = m.group(0).partition("@")
    return f"{local[:1]}***@{domain}"


def mask_text(text: str) -> str:
    text = _CURP.sub(lambda m: mask_value(m.group(0), 4), text)
    text = _RFC.sub(lambda m: mask_value(m.group(0), 3), text)
    text = _EMAIL.sub(_mask_email, text)
    return _PHONE.sub(lambda m: "*" * (len(m.group(0)) - 4) + m.group(0)[-4:], text)
