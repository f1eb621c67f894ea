"""STP-style SPEI "abono" notifications: parse the payload into a payment fact and build the answer STP expects.

Answer contract: HTTP 200 with {"mensaje": "confirmar"} to accept, {"mensaje": "devolver", "id": <causa>} to have
the transfer returned. We return transfers to a CLABE whose check digit fails (causa 1, cuenta inexistente) and
notifications whose amount or dates are unusable (RETURN_INVALID_DATA; stored as rejected for audit): money to a
valid CLABE we cannot place is kept and goes to the suspense queue, never bounced blindly.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from shared.domain.payments import bounds
from shared.domain.payments.model import MalformedProviderEvent, PaymentFact, PaymentHints
from shared.domain.payments.references import is_valid_clabe
from shared.domain.timezone import UTILITY_TZ

PROVIDER = "spei"
RETURN_UNKNOWN_ACCOUNT = 1
# Returned because the notification itself is unusable (amount zero, negative, beyond NUMERIC(14,2) or not a
# number; a date that is not one). STP's return-cause catalog is not confirmed in our reference material
# (cfdi-payments-mexico.md §5): 14 is our pick, to be confirmed with STP before go-live.
RETURN_INVALID_DATA = 14
_MONTO = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?", re.ASCII)


class MalformedSpeiNotification(MalformedProviderEvent):
    """The abono notification lacks a field we need or carries an invalid value."""


def event_id(*, payload: Any) -> str:
    """STP's notification id (an integer, or its digits as text), the idempotency key."""
    if not isinstance(payload, dict):
        raise MalformedSpeiNotification("the body must be a JSON object")
    value = payload.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**18:
        return str(value)
    if isinstance(value, str) and value.strip() and len(value.strip()) <= 64:
        return value.strip()
    raise MalformedSpeiNotification("missing or invalid field 'id'")


def _text(payload: dict[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_abono(*, payload: dict[str, Any]) -> PaymentFact:
    if not isinstance(payload, dict):
        raise MalformedSpeiNotification("the body must be a JSON object")
    ident = event_id(payload=payload)
    missing = [k for k in ("monto", "cuentaBeneficiario", "claveRastreo") if _text(payload, k) is None]
    if missing:
        raise MalformedSpeiNotification(f"missing field(s) {', '.join(missing)}")
    amount = _monto(payload["monto"])
    paid_at = _paid_at(payload)
    numeric = _text(payload, "referenciaNumerica")
    return PaymentFact(
        provider=PROVIDER,
        provider_payment_id=ident,
        channel="spei",
        amount=amount,
        paid_at=paid_at,
        hints=PaymentHints(
            clabe=_text(payload, "cuentaBeneficiario"),
            numeric_reference=numeric,
            concept=_text(payload, "conceptoPago"),
            payer_name=_text(payload, "nombreOrdenante"),
        ),
    )


def _monto(value: Any) -> Decimal:
    """A positive amount in pesos with at most 2 decimals, written with ASCII digits (a JSON number or a string),
    within NUMERIC(14,2). Exponents (1e20), bools, NaN and other scripts' digits are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedSpeiNotification("'monto' must be a number")
    text = str(value).strip()
    if not _MONTO.fullmatch(text):
        raise MalformedSpeiNotification("'monto' must be a positive amount with at most 2 decimals")
    try:
        return bounds.check_amount(amount=Decimal(text), field="monto")
    except MalformedProviderEvent as exc:
        raise MalformedSpeiNotification(str(exc)) from exc


def _paid_at(payload: dict[str, Any]) -> datetime:
    ts = _text(payload, "tsLiquidacion")
    if ts is not None:
        try:
            return bounds.epoch_millis(value=ts, field="tsLiquidacion")
        except MalformedProviderEvent as exc:
            raise MalformedSpeiNotification(str(exc)) from exc
    fecha = _text(payload, "fechaOperacion")
    if fecha is None or len(fecha) != 8 or not (fecha.isascii() and fecha.isdigit()):
        raise MalformedSpeiNotification("need 'tsLiquidacion' or 'fechaOperacion' (YYYYMMDD)")
    try:
        day = datetime.strptime(fecha, "%Y%m%d").date()  # noqa: DTZ007 - a date only, zone added below
    except ValueError as exc:
        raise MalformedSpeiNotification("'fechaOperacion' is not a date") from exc
    return datetime.combine(day, time(12, 0), tzinfo=UTILITY_TZ)


def answer_for(*, payload: dict[str, Any]) -> dict[str, Any]:
    """The body STP expects for a notification we parsed."""
    clabe = _text(payload, "cuentaBeneficiario") or ""
    if not is_valid_clabe(clabe=clabe):
        return {"mensaje": "devolver", "id": RETURN_UNKNOWN_ACCOUNT}
    return {"mensaje": "confirmar"}


def answer_for_rejected() -> dict[str, Any]:
    """The body STP expects when we return a notification whose data we cannot use."""
    return {"mensaje": "devolver", "id": RETURN_INVALID_DATA}
