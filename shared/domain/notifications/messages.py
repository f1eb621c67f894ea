"""Phone normalisation for WhatsApp (E.164 without "+", Mexico). The notices' texts are in `templates`."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D+")


def whatsapp_number(*, phone: str | None) -> str | None:
    """The number in E.164 without '+' as WhatsApp wants it (52 + 10 digits), or None when it is not a valid
    Mexican number."""
    if not phone:
        return None
    digits = _DIGITS.sub("", phone)
    if digits.startswith("521") and len(digits) == 13:  # the old mobile prefix
        digits = "52" + digits[3:]
    if len(digits) == 10:
        digits = "52" + digits
    return digits if len(digits) == 12 and digits.startswith("52") else None
