"""Conekta: webhook signature verification, event parsing into payment facts, and the events re-fetch client.

Signature: each delivery carries a `digest` header, base64 of an RSA PKCS#1 v1.5 / SHA-256 signature of the raw
body, verified with the webhook public key (PEM) Conekta returned from POST /webhook_keys. Always over the raw
bytes, never re-serialised JSON.

Amounts are integer centavos in the API (32400 = $324.00). `order.paid` and `charge.paid` describe the same charge:
both map to the charge id, so one payment is stored whichever arrives first. Refunds carry their own ids; a cash
reversal and a chargeback get a canonical id per charge (`<charge>:reversal`, `<charge>:chargeback`) so the order-
and charge-level events of the same reversal collapse into one.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from shared.domain.payments import bounds
from shared.domain.payments.model import (
    Channel,
    IgnoredFact,
    MalformedProviderEvent,
    PaymentFact,
    PaymentHints,
    ProviderFact,
    ReversalFact,
)

PROVIDER = "conekta"
_CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
API_URL = "https://api.conekta.io"
ACCEPT = "application/vnd.conekta-v2.2.0+json"
PAYMENT_EVENTS = frozenset({"order.paid", "charge.paid"})
REFUND_EVENTS = frozenset({"charge.refunded", "order.refunded", "order.partially_refunded"})
REVERSAL_EVENTS = frozenset({"charge.reversed"})
CHARGEBACK_EVENTS = frozenset({"charge.chargeback", "order.charged_back", "chargeback.created"})
NO_MONEY_EVENTS = frozenset(
    {
        "order.pending_payment",
        "order.expired",
        "order.created",
        "order.canceled",
        "order.declined",
        "charge.created",
        "charge.pending_confirmation",
        "charge.expired",
        "charge.declined",
        "webhook_ping",
    }
)


class MalformedConektaEvent(MalformedProviderEvent):
    """The body is not a Conekta event we can read."""


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the Conekta webhook key must be an RSA public key")
    return key


def verify_signature(*, body: bytes, digest: str | None, public_key: rsa.RSAPublicKey) -> bool:
    """True when `digest` is a valid base64 RSA-SHA256 (PKCS#1 v1.5) signature of `body`."""
    if not digest:
        return False
    try:
        signature = base64.b64decode(digest.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def sign(*, body: bytes, private_key: rsa.RSAPrivateKey) -> str:
    """The `digest` header value Conekta would send (used by the local fake and the demo)."""
    return base64.b64encode(private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def event_identity(payload: Any) -> tuple[str, str]:
    """(event id, event type) of a delivery, or MalformedConektaEvent."""
    if not isinstance(payload, dict):
        raise MalformedConektaEvent("the body must be a JSON object")
    event_id, event_type = payload.get("id"), payload.get("type")
    if not isinstance(event_id, str) or not event_id.strip():
        raise MalformedConektaEvent("missing field 'id'")
    if not isinstance(event_type, str) or not event_type.strip():
        raise MalformedConektaEvent("missing field 'type'")
    data = payload.get("data")
    if event_type != "webhook_ping" and (not isinstance(data, dict) or not isinstance(data.get("object"), dict)):
        raise MalformedConektaEvent("missing field 'data.object'")
    return event_id.strip(), event_type.strip()


def _epoch(value: Any, fallback: datetime, field: str) -> datetime:
    """An optional epoch-seconds field: absent (None) falls back; anything else must be a sane moment."""
    if value is None:
        return fallback
    try:
        return bounds.epoch_seconds(value=value, field=field)
    except MalformedProviderEvent as exc:
        raise MalformedConektaEvent(str(exc)) from exc


def _cents(value: Any, field: str) -> Decimal:
    """Integer centavos, strictly positive and within NUMERIC(14,2) (a negative amount is refused, never flipped)."""
    try:
        return bounds.centavos(value=value, field=field)
    except MalformedProviderEvent as exc:
        raise MalformedConektaEvent(str(exc)) from exc


def _refund_cents(value: Any, field: str) -> Decimal:
    """A refund's amount: Conekta lists refunds with negative centavos (-2000 = $20.00 back); the magnitude is the
    amount returned. Zero, non-integers and magnitudes beyond NUMERIC(14,2) are refused."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        value = -value
    return _cents(value, field)


def _currency(value: Any) -> str:
    text = "MXN" if value is None else value
    if not isinstance(text, str) or not _CURRENCY.fullmatch(text.strip().upper()):
        raise MalformedConektaEvent("'currency' must be a 3-letter ISO 4217 code")
    return text.strip().upper()


def _channel(method: dict[str, Any]) -> Channel:
    kind = str(method.get("type") or method.get("object") or "").lower()
    if kind in {"card", "credit", "debit", "card_payment"}:
        return "card"
    if kind in {"cash", "oxxo", "oxxo_cash", "cash_payment", "cash_recurrent"}:
        return "oxxo"
    if kind in {"spei", "bank_transfer", "bank_transfer_payment", "spei_recurrent"}:
        return "spei"
    return "other"


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _charges(obj: dict[str, Any]) -> list[dict[str, Any]]:
    if obj.get("object") == "charge":
        return [obj]
    charges = obj.get("charges")
    data = charges.get("data") if isinstance(charges, dict) else charges
    return [c for c in (data or []) if isinstance(c, dict)]


def _payment(charge: dict[str, Any], metadata: dict[str, Any], created: datetime) -> PaymentFact:
    charge_id = _str(charge.get("id"))
    if charge_id is None:
        raise MalformedConektaEvent("a paid charge has no 'id'")
    method = charge.get("payment_method") if isinstance(charge.get("payment_method"), dict) else {}
    assert isinstance(method, dict)
    meta = {**metadata, **(charge.get("metadata") or {})} if isinstance(charge.get("metadata"), dict) else metadata
    hints = PaymentHints(
        account_number=_str(meta.get("account_number")),
        reference=_str(meta.get("payment_reference")) or _str(method.get("reference")),
        clabe=_str(method.get("clabe")) or _str(method.get("receiving_account_number")),
        numeric_reference=_str(method.get("reference_number")),
        payer_name=_str(method.get("issuing_account_holder_name")),
    )
    return PaymentFact(
        provider=PROVIDER,
        provider_payment_id=charge_id,
        channel=_channel(method),
        amount=_cents(charge.get("amount"), "amount"),
        paid_at=_epoch(charge.get("paid_at"), created, "paid_at"),
        hints=hints,
        currency=_currency(charge.get("currency")),
    )


def _refund_facts(obj: dict[str, Any], created: datetime) -> list[ProviderFact]:
    facts: list[ProviderFact] = []
    for charge in _charges(obj):
        charge_id = _str(charge.get("id"))
        if charge_id is None:
            raise MalformedConektaEvent("a refunded charge has no 'id'")
        refunds_obj = charge.get("refunds")
        refunds = refunds_obj.get("data") if isinstance(refunds_obj, dict) else refunds_obj
        listed = [r for r in (refunds or []) if isinstance(r, dict) and _str(r.get("id"))]
        if not listed and charge.get("status") in ("refunded", "partially_refunded"):
            facts.append(ReversalFact(PROVIDER, charge_id, f"{charge_id}:refund", "refund", None, created))
        for refund in listed:
            facts.append(
                ReversalFact(
                    PROVIDER,
                    charge_id,
                    str(refund["id"]),
                    "refund",
                    _refund_cents(refund.get("amount"), "refunds.amount"),
                    _epoch(refund.get("created_at"), created, "refunds.created_at"),
                )
            )
    return facts


def _chargeback_facts(obj: dict[str, Any], created: datetime) -> list[ProviderFact]:
    if obj.get("object") == "chargeback":
        charge_id = _str(obj.get("charge"))
        if charge_id is None:
            raise MalformedConektaEvent("chargeback without 'charge'")
        amount = _cents(obj["amount"], "amount") if "amount" in obj else None
        return [ReversalFact(PROVIDER, charge_id, f"{charge_id}:chargeback", "chargeback", amount, created)]
    return [
        ReversalFact(PROVIDER, cid, f"{cid}:chargeback", "chargeback", None, created)
        for cid in (_str(c.get("id")) for c in _charges(obj))
        if cid
    ]


def parse_event(payload: dict[str, Any]) -> list[ProviderFact]:
    """Payment, reversal or ignored facts of one Conekta event (an order may carry several charges)."""
    _, event_type = event_identity(payload)
    created = _epoch(payload.get("created_at"), datetime(1970, 1, 1, tzinfo=UTC), "created_at")
    if event_type in NO_MONEY_EVENTS:
        return [IgnoredFact(reason=f"{event_type}: no money moved")]
    obj: dict[str, Any] = payload["data"]["object"]
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    facts: list[ProviderFact]
    if event_type in PAYMENT_EVENTS:
        paid = [c for c in _charges(obj) if c.get("status") in (None, "paid")]
        if not paid:
            raise MalformedConektaEvent(f"{event_type} without a paid charge")
        facts = [_payment(c, metadata, created) for c in paid]
    elif event_type in REFUND_EVENTS:
        facts = _refund_facts(obj, created) or [IgnoredFact(reason=f"{event_type}: no refunded charge")]
    elif event_type in REVERSAL_EVENTS:
        charge_id = _str(obj.get("id"))
        if charge_id is None:
            raise MalformedConektaEvent("charge.reversed without a charge id")
        facts = [ReversalFact(PROVIDER, charge_id, f"{charge_id}:reversal", "reversal", None, created)]
    elif event_type in CHARGEBACK_EVENTS:
        facts = _chargeback_facts(obj, created)
    else:
        facts = [IgnoredFact(reason=f"{event_type}: event type not handled")]
    return facts


class ConektaClient:
    """Read-only client of the Conekta API used by reconciliation (GET /events)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = API_URL,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": ACCEPT, "Authorization": f"Bearer {api_key}", "Accept-Language": "es"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ConektaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_event(self, event_id: str) -> dict[str, Any]:
        response = self._http.get(f"/events/{event_id}")
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise MalformedConektaEvent("GET /events/{id} did not return an object")
        return body

    def events_between(self, *, since: datetime, until: datetime, page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Events with created_at in [since, until). Conekta lists newest first; paging stops past `since`."""
        lo, hi = since.timestamp(), until.timestamp()
        params: dict[str, Any] = {"limit": page_size}
        while True:
            response = self._http.get("/events", params=params)
            response.raise_for_status()
            page = response.json()
            data = page.get("data") or []
            oldest = hi
            for event in data:
                created = event.get("created_at")
                if not isinstance(created, int | float):
                    continue
                oldest = min(oldest, created)
                if lo <= created < hi:
                    yield event
            if not page.get("has_more") or not data or oldest < lo:
                return
            params = {"limit": page_size, "next": data[-1].get("id")}
