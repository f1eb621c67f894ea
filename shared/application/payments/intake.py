"""Webhook intake: verify, validate, store in the inbox, hand off to the payments queue — in well under a second.

Handoff choice (documented in the issue): the inbox row commits first; then the queue message
{"tenant_id", "inbox_id"} is sent. If the process dies (or the queue is down) between the two, the row stays
'pending' and `redrive_stale_inbox` (a timer) re-sends it after `REDRIVE_AFTER_SECONDS`. A duplicate delivery hits
the UNIQUE (provider, event_id) key, stores nothing and sends nothing. Applying is idempotent, so a message sent
twice (timer + original) is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from shared.adapters import conekta
from shared.data import db
from shared.data import payments as data
from shared.domain.errors import Invalid, NotFound, Unauthenticated
from shared.domain.payments import spei
from shared.domain.payments.errors import PaymentsError
from shared.domain.payments.model import IgnoredFact, MalformedProviderEvent
from shared.platform import context
from shared.platform.config import get_settings
from shared.platform.secrets import SecretNotFound, get_secret

log = logging.getLogger(__name__)
Enqueue = Callable[[dict[str, Any]], None]
REDRIVE_AFTER_SECONDS = 60.0
SPEI_SIGNATURE_HEADER = "x-spei-signature"


class DeliveryNotVerified(PaymentsError, Unauthenticated):
    """Signature, shared secret or source address did not check out (HTTP 401, nothing stored)."""

    default_code = "webhook_unverified"
    detail = "No se pudo verificar el origen o la firma de la notificación; no se registró nada."


class MalformedDelivery(PaymentsError, Invalid, ValueError):
    """The verified body is not a valid event (the webhook routes answer HTTP 400)."""

    default_code = "webhook_malformed"

    def __init__(self, message: str) -> None:
        super().__init__(message, detail_es=f"La notificación no tiene el formato esperado: {message}")


class TenantNotResolved(PaymentsError, NotFound, LookupError):
    """The delivery does not say which tenant it is for and there is more than one (or the slug is unknown)."""

    default_code = "tenant_unknown"
    detail = "No se identificó el organismo operador de la notificación."


class RefetchNotSupported(PaymentsError, Invalid, ValueError):
    """Only Conekta offers an events API to re-fetch from."""

    default_code = "refetch_not_supported"


@dataclass
class IntakeResult:
    outcome: str  # stored | duplicate | ignored | returned
    provider: str
    event_id: str
    tenant_id: UUID
    inbox_id: int | None = None
    answer: dict[str, Any] = field(default_factory=dict)


def resolve_tenant(*, slug: str | None) -> UUID:
    """The tenant a slug names; with no slug, the only tenant of the deployment."""
    if slug:
        tenant = db.resolve_tenant(slug)
        if tenant is None:
            raise TenantNotResolved(f"unknown tenant {slug!r}")
        return UUID(str(tenant))
    ids = db.tenant_ids()
    if len(ids) != 1:
        raise TenantNotResolved("add ?tenant=<slug> to the webhook URL (several tenants)")
    return UUID(str(ids[0]))


@lru_cache(maxsize=4)
def _conekta_key(pem: str) -> Any:
    return conekta.load_public_key(pem)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(f"body is not UTF-8 JSON: {exc}") from exc


def _store(
    *,
    tenant_id: UUID,
    provider: str,
    event_id: str,
    event_type: str,
    payload: Any,
    status: str,
    error: str | None,
    enqueue: Enqueue | None,
) -> int | None:
    with db.tenant_transaction(tenant_id) as conn:
        inbox_id = data.insert_inbox(
            conn,
            tenant_id=tenant_id,
            provider=provider,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            status=status,
            error=error,
            correlation_id=context.correlation_id.get(),
        )
    if inbox_id is not None and status == "pending" and enqueue is not None:
        try:
            enqueue({"tenant_id": str(tenant_id), "inbox_id": inbox_id, "provider": provider, "event_id": event_id})
        except Exception:  # the row is durable; the redrive timer sends it later
            log.exception("payments queue send failed; inbox row %s left for the redrive timer", inbox_id)
    return inbox_id


def receive_conekta(
    *,
    body: bytes,
    digest: str | None,
    tenant_slug: str | None,
    enqueue: Enqueue | None,
    public_key_pem: str | None = None,
    tenant_id: UUID | None = None,
) -> IntakeResult:
    """`public_key_pem` defaults to the `conekta-webhook-public-key` secret; `tenant_id` skips slug resolution."""
    try:
        pem = public_key_pem or get_secret("conekta-webhook-public-key")
    except SecretNotFound as exc:
        log.error("conekta-webhook-public-key is not configured: every Conekta delivery is refused")
        raise DeliveryNotVerified("webhook key not configured") from exc
    if not conekta.verify_signature(body=body, digest=digest, public_key=_conekta_key(pem)):
        raise DeliveryNotVerified("invalid or missing digest")
    payload = _json(body)
    try:
        event_id, event_type = conekta.event_identity(payload)
        facts = conekta.parse_event(payload)
    except MalformedProviderEvent as exc:
        raise MalformedDelivery(str(exc)) from exc
    tenant_id = tenant_id or resolve_tenant(slug=tenant_slug)
    ignored = all(isinstance(f, IgnoredFact) for f in facts)
    status = "ignored" if ignored else "pending"
    error = "; ".join(f.reason for f in facts if isinstance(f, IgnoredFact)) or None
    inbox_id = _store(
        tenant_id=tenant_id,
        provider=conekta.PROVIDER,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        status=status,
        error=error,
        enqueue=enqueue,
    )
    outcome = "duplicate" if inbox_id is None else ("ignored" if ignored else "stored")
    return IntakeResult(outcome, conekta.PROVIDER, event_id, tenant_id, inbox_id, {"received": True})


def spei_signature(*, body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _ip_allowed(client_ip: str | None, allowlist: str) -> bool:
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    for item in (p.strip() for p in allowlist.split(",")):
        if not item:
            continue
        try:
            network = ipaddress.ip_network(item, strict=False)
        except ValueError:
            log.error("SPEI_ALLOWED_IPS has an invalid entry %r (ignored)", item)
            continue
        if address in network:
            return True
    return False


def verify_spei(*, body: bytes, signature: str | None, client_ip: str | None) -> None:
    """Shared secret (HMAC-SHA256 hex of the raw body in X-Spei-Signature) and/or a source allowlist
    (SPEI_ALLOWED_IPS, comma-separated addresses or CIDRs). Whatever is configured must pass; nothing configured
    refuses every notification."""
    secret = get_secret("spei-webhook-secret", default="")
    allowlist = get_settings().SPEI_ALLOWED_IPS
    if not secret and not allowlist.strip():
        log.error("SPEI webhook has neither a secret nor an IP allowlist: refusing")
        raise DeliveryNotVerified("SPEI authentication not configured")
    if secret:
        expected = spei_signature(body=body, secret=secret)
        given = (signature or "").strip().removeprefix("sha256=")
        if not hmac.compare_digest(expected, given):
            raise DeliveryNotVerified("invalid or missing SPEI signature")
    if allowlist.strip() and not _ip_allowed(client_ip, allowlist):
        raise DeliveryNotVerified(f"source {client_ip} not allowed")


def receive_spei(
    *, body: bytes, signature: str | None, client_ip: str | None, tenant_slug: str | None, enqueue: Enqueue | None
) -> IntakeResult:
    verify_spei(body=body, signature=signature, client_ip=client_ip)
    payload = _json(body)
    try:
        spei.parse_abono(payload=payload)
        event_id = spei.event_id(payload=payload)
    except MalformedProviderEvent as exc:
        raise MalformedDelivery(str(exc)) from exc
    tenant_id = resolve_tenant(slug=tenant_slug)
    answer = spei.answer_for(payload=payload)
    returned = answer["mensaje"] == "devolver"
    inbox_id = _store(
        tenant_id=tenant_id,
        provider=spei.PROVIDER,
        event_id=event_id,
        event_type="abono",
        payload=payload,
        status="ignored" if returned else "pending",
        error="devuelta: CLABE con dígito verificador inválido" if returned else None,
        enqueue=enqueue,
    )
    if inbox_id is None:
        with db.tenant_transaction(tenant_id) as conn:
            earlier = data.inbox_by_event(conn, provider=spei.PROVIDER, event_id=event_id)
        if earlier is not None and earlier.status == "ignored":
            answer = spei.answer_for(payload=earlier.payload)
    outcome = "duplicate" if inbox_id is None else ("returned" if returned else "stored")
    return IntakeResult(outcome, spei.PROVIDER, event_id, tenant_id, inbox_id, answer)


def store_fetched_event(
    *, tenant_id: UUID, provider: str, payload: dict[str, Any], enqueue: Enqueue | None
) -> int | None:
    """An event re-fetched from the provider's authenticated API (reconciliation): same inbox, same idempotency."""
    if provider != conekta.PROVIDER:
        raise RefetchNotSupported(f"re-fetch is not supported for {provider}")
    event_id, event_type = conekta.event_identity(payload)
    facts = conekta.parse_event(payload)
    ignored = all(isinstance(f, IgnoredFact) for f in facts)
    return _store(
        tenant_id=tenant_id,
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        status="ignored" if ignored else "pending",
        error=None,
        enqueue=enqueue,
    )


def redrive_stale_inbox(
    *, enqueue: Enqueue, older_than_seconds: float = REDRIVE_AFTER_SECONDS, limit: int = 500
) -> int:
    """Timer: re-send inbox rows still pending (the send after commit never happened, or the message is stuck)."""
    with db.connection() as conn, conn.transaction():
        rows = data.claim_stale_inbox(conn, older_than_seconds=older_than_seconds, limit=limit)
        for row in rows:
            enqueue(
                {
                    "tenant_id": str(row.tenant_id),
                    "inbox_id": row.id,
                    "provider": row.provider,
                    "event_id": row.event_id,
                }
            )
    if rows:
        log.warning("re-sent %d pending webhook inbox rows", len(rows))
    return len(rows)
