"""STP-style SPEI "abono" notifications: parse the payload into a payment fact and build the answer STP expects.

Answer contract: HTTP 200 with {"mensaje": "confirmar"} to accept, {"mensaje": "devolver", "id": <causa>} to have
the transfer returned. We return only transfers to a CLABE whose check digit fails (causa 1, cuenta inexistente):
money to a valid CLABE we cannot place is kept and goes to the suspense queue, never bounced blindly.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.domain.money import CENT
from shared.domain.payments.model import MalformedProviderEvent, PaymentFact, PaymentHints
from shared.domain.payments.references import is_valid_clabe
from shared.domain.timezone import UTILITY_TZ

PROVIDER = "spei"
RETURN_UNKNOWN_ACCOUNT = 1


class MalformedSpeiNotification(MalformedProviderEvent):
    """The abono notification lacks a field we need or carries an invalid value."""


def event_id(*, payload: dict[str, Any]) -> str:
    value = payload.get("id")
    if value is None or isinstance(value, bool) or str(value).strip() == "":
        raise MalformedSpeiNotification("missing field 'id'")
    return str(value).strip()


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
    try:
        amount = Decimal(str(payload["monto"]))
    except InvalidOperation as exc:
        raise MalformedSpeiNotification("'monto' is not a number") from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise MalformedSpeiNotification("'monto' must be a positive amount with at most 2 decimals")
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


def _paid_at(payload: dict[str, Any]) -> datetime:
    ts = _text(payload, "tsLiquidacion")
    if ts is not None:
        try:
            return datetime.fromtimestamp(int(ts) / 1000, tz=UTC)
        except (ValueError, OverflowError) as exc:
            raise MalformedSpeiNotification("'tsLiquidacion' must be epoch milliseconds") from exc
    fecha = _text(payload, "fechaOperacion")
    if fecha is None or len(fecha) != 8 or not fecha.isdigit():
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
