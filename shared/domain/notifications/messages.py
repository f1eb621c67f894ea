"""Texts of customer notifications (es-MX) and phone normalisation for WhatsApp (E.164, Mexico)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
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


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def invoice_issued(*, account_number: str, period: date, total: Decimal, due_date: date | None, reference: str) -> str:
    due = (
        f" Fecha límite de pago: {due_date.day} de {_MONTHS[due_date.month - 1]} de {due_date.year}."
        if due_date
        else ""
    )
    return (
        f"CEA Querétaro: su recibo de agua de {_MONTHS[period.month - 1]} {period.year} de la cuenta "
        f"{account_number} es de {_money(total)}.{due} Pague en OXXO con la referencia {reference} o por SPEI."
    )


def payment_applied(*, account_number: str, amount: Decimal) -> str:
    return (
        f"CEA Querétaro: recibimos su pago de {_money(amount)} para la cuenta {account_number}. "
        "¡Gracias por pagar a tiempo!"
    )
