"""Webhook intake: verify, validate, store in the inbox, hand off to the payments queue — in well under a second.

Handoff choice (documented in the issue): the inbox row commits first; then the queue message
{"tenant_id", "inbox_id"} is sent. If the process dies (or the queue is down) between the two, the row stays
'pending' and `redrive_stale_inbox` (a timer) re-sends it after `REDRIVE_AFTER_SECONDS`. A duplicate delivery hits
the UNIQUE (provider, event_id) key, stores nothing and sends nothing. Applying is idempotent, so a message sent
twice (timer + original) is harmless.

Before anything is stored the body's nesting depth is bounded and its strings must be storable (no NUL, no lone
surrogate): otherwise 400, nothing stored. A verified event whose data is unusable (amount zero, negative or beyond
NUMERIC(14,2), a date out of range) is stored with status 'rejected' and its reason, answered 400 (Conekta) or
'devolver' (SPEI), and never queued. A verified delivery whose tenant cannot be found (no tenant in the URL with
several tenants, unknown slug) is held in `webhook_unrouted` and answered 202; `redrive_unrouted` moves it into a
tenant's inbox later.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from uuid import UUID

from shared.adapters import conekta
from shared.data import db
from shared.data import payments as data
from shared.data import payments_unrouted as unrouted
from shared.domain.errors import Conflict, Invalid, NotFound, Unauthenticated
from shared.domain.payments import bounds, spei
from shared.domain.payments.errors import PaymentsError
from shared.domain.payments.model import IgnoredFact, MalformedProviderEvent
from shared.platform import context
from shared.platform.config import get_settings
from shared.platform.secrets import SecretNotFound, get_secret

log = logging.getLogger(__name__)
Enqueue = Callable[[dict[str, Any]], None]
REDRIVE_AFTER_SECONDS = 60.0
SPEI_SIGNATURE_HEADER = "x-spei-signature"
TENANT_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}", re.ASCII)


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


class UnroutedNotFound(PaymentsError, NotFound, LookupError):
    """No held unrouted delivery with that id (it does not exist or was already redriven)."""

    default_code = "unrouted_not_found"
    detail = "No hay una notificación retenida con ese id (no existe o ya se reenvió)."


class UnroutedEventElsewhere(PaymentsError, Conflict, ValueError):
    """The held event is already in another tenant's inbox; redriving it here would pay twice."""

    default_code = "unrouted_event_elsewhere"
    detail = "La notificación ya está registrada en otro organismo operador."


@dataclass
class IntakeResult:
    outcome: str  # stored | duplicate | ignored | returned | rejected | held
    provider: str
    event_id: str
    tenant_id: UUID | None
    inbox_id: int | None = None
    answer: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why it was rejected, held or returned
    held_id: int | None = None


@dataclass(frozen=True)
class _Verdict:
    """What to store for a verified event and what to answer: status pending | ignored | rejected."""

    status: str
    error: str | None
    answer: dict[str, Any]


def _conekta_verdict(payload: Any) -> _Verdict:
    try:
        facts = conekta.parse_event(payload)
    except MalformedProviderEvent as exc:
        return _Verdict("rejected", str(exc), {"received": True})
    ignored = all(isinstance(f, IgnoredFact) for f in facts)
    error = "; ".join(f.reason for f in facts if isinstance(f, IgnoredFact)) or None
    return _Verdict("ignored" if ignored else "pending", error, {"received": True})


def _spei_verdict(payload: Any) -> _Verdict:
    try:
        spei.parse_abono(payload=payload)
    except MalformedProviderEvent as exc:
        return _Verdict("rejected", str(exc), spei.answer_for_rejected())
    answer = spei.answer_for(payload=payload)
    if answer["mensaje"] == "devolver":
        return _Verdict("ignored", "devuelta: CLABE con dígito verificador inválido", answer)
    return _Verdict("pending", None, answer)


_VERDICTS = {conekta.PROVIDER: _conekta_verdict, spei.PROVIDER: _spei_verdict}


def resolve_tenant(*, slug: str | None) -> UUID:
    """The tenant a slug names; with no slug, the only tenant of the deployment. A slug that cannot be one
    (not lowercase ASCII letters, digits and dashes) is refused without a query."""
    if slug is not None:
        if not TENANT_SLUG.fullmatch(slug):
            raise TenantNotResolved(f"invalid tenant slug {ascii(slug)[:80]}")
        tenant = db.resolve_tenant(slug)
        if tenant is None:
            raise TenantNotResolved(f"unknown tenant {slug!r}")
        return UUID(str(tenant))
    ids = db.tenant_ids()
    if len(ids) != 1:
        raise TenantNotResolved(
            "the webhook URL names no tenant and the deployment has "
            + ("no tenant" if not ids else f"{len(ids)} tenants")
            + ": use /api/v1/webhooks/<tenant>/<provider>"
        )
    return UUID(str(ids[0]))


@lru_cache(maxsize=4)
def _conekta_key(pem: str) -> Any:
    return conekta.load_public_key(pem)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json(body: bytes) -> Any:
    """The body as JSON: depth bounded before parsing, NaN/Infinity refused, every string storable."""
    try:
        bounds.check_depth(body=body)
        payload = json.loads(body.decode("utf-8"), parse_constant=_no_constants)
        bounds.check_text(payload)
    except MalformedProviderEvent as exc:
        raise MalformedDelivery(str(exc)) from exc
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:  # JSONDecodeError, huge ints, NaN
        raise MalformedDelivery(f"body is not UTF-8 JSON: {exc}") from exc
    return payload


def _hold(*, provider: str, event_id: str, event_type: str, payload: Any, slug: str | None, reason: str) -> int:
    """Keep a verified delivery no tenant could be found for (answered 202; redriven by an operator)."""
    with db.connection() as conn, conn.transaction():
        held = unrouted.hold(
            conn,
            provider=provider,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            route_hint=slug,
            reason=reason,
            correlation_id=context.correlation_id.get(),
        )
    log.error("webhook delivery held as unrouted (no tenant): %s/%s, held row %s: %s", provider, event_id, held, reason)
    return held


def _route(slug: str | None) -> tuple[UUID | None, str | None]:
    """(tenant, None) or (None, why no tenant could be found)."""
    try:
        return resolve_tenant(slug=slug), None
    except TenantNotResolved as exc:
        return None, str(exc)


def _handoff(*, tenant_id: UUID, inbox_id: int, provider: str, event_id: str, enqueue: Enqueue | None) -> None:
    if enqueue is None:
        return
    try:
        enqueue({"tenant_id": str(tenant_id), "inbox_id": inbox_id, "provider": provider, "event_id": event_id})
    except Exception:  # the row is durable; the redrive timer sends it later
        log.exception("payments queue send failed; inbox row %s left for the redrive timer", inbox_id)


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
    if inbox_id is not None and status == "pending":
        _handoff(tenant_id=tenant_id, inbox_id=inbox_id, provider=provider, event_id=event_id, enqueue=enqueue)
    return inbox_id


def _outcome(verdict: _Verdict) -> str:
    if verdict.status == "rejected":
        return "rejected"
    if verdict.status == "ignored":
        return "returned" if verdict.answer.get("mensaje") == "devolver" else "ignored"
    return "stored"


def _redelivery(*, provider: str, event_id: str, tenant_id: UUID, earlier: data.InboxRow | None) -> IntakeResult:
    """The answer to a delivery already in the inbox is the first one's: rejected stays rejected (400 / devolver);
    otherwise a duplicate, with SPEI's confirmar/devolver recomputed from the stored payload."""
    if earlier is not None and earlier.status == "rejected":
        refused = spei.answer_for_rejected() if provider == spei.PROVIDER else {"received": True}
        return IntakeResult("rejected", provider, event_id, tenant_id, None, refused, earlier.error)
    answer: dict[str, Any] = {"received": True}
    if provider == spei.PROVIDER:
        answer = spei.answer_for(payload=earlier.payload) if earlier is not None else {"mensaje": "confirmar"}
    return IntakeResult("duplicate", provider, event_id, tenant_id, None, answer)


def _receive(
    *,
    provider: str,
    event_id: str,
    event_type: str,
    payload: Any,
    tenant_slug: str | None,
    tenant_id: UUID | None,
    enqueue: Enqueue | None,
) -> IntakeResult:
    """Store a verified, parsed delivery: in its tenant's inbox (pending, ignored or rejected), or held unrouted.
    A slug that cannot be one (NUL, other scripts, upper case) is a broken URL: refused, nothing stored."""
    if tenant_slug is not None and not TENANT_SLUG.fullmatch(tenant_slug):
        raise TenantNotResolved(f"invalid tenant slug {ascii(tenant_slug)[:80]}")
    verdict = _VERDICTS[provider](payload)
    if tenant_id is None:
        tenant_id, why = _route(tenant_slug)
        if tenant_id is None:
            why = why or "no tenant"
            if verdict.status == "rejected":
                why += f"; rejected: {verdict.error}"
            held = _hold(
                provider=provider,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                slug=tenant_slug,
                reason=why,
            )
            return IntakeResult("held", provider, event_id, None, None, verdict.answer, why, held)
    inbox_id = _store(
        tenant_id=tenant_id,
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        status=verdict.status,
        error=verdict.error,
        enqueue=enqueue,
    )
    if inbox_id is None:  # a redelivery: answer as the first delivery was answered
        with db.tenant_transaction(tenant_id) as conn:
            earlier = data.inbox_by_event(conn, provider=provider, event_id=event_id)
        return _redelivery(provider=provider, event_id=event_id, tenant_id=tenant_id, earlier=earlier)
    if verdict.status == "rejected":
        log.warning("webhook delivery rejected and stored for audit: %s/%s: %s", provider, event_id, verdict.error)
    reason = verdict.error if verdict.status != "pending" else None
    return IntakeResult(_outcome(verdict), provider, event_id, tenant_id, inbox_id, verdict.answer, reason)


def receive_conekta(
    *,
    body: bytes,
    digest: str | None,
    tenant_slug: str | None,
    enqueue: Enqueue | None,
    public_key_pem: str | None = None,
    tenant_id: UUID | None = None,
) -> IntakeResult:
    """`public_key_pem` defaults to the `conekta-webhook-public-key` secret; `tenant_id` skips slug resolution.
    Outcome 'rejected' (stored for audit) is answered 400; 'held' (no tenant found, kept for redrive) 202."""
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
    except MalformedProviderEvent as exc:
        raise MalformedDelivery(str(exc)) from exc
    return _receive(
        provider=conekta.PROVIDER,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        tenant_slug=tenant_slug,
        tenant_id=tenant_id,
        enqueue=enqueue,
    )


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
    """`answer` is the body STP expects: 'devolver' for a bad CLABE or unusable data (stored as rejected)."""
    verify_spei(body=body, signature=signature, client_ip=client_ip)
    payload = _json(body)
    try:
        event_id = spei.event_id(payload=payload)
    except MalformedProviderEvent as exc:
        raise MalformedDelivery(str(exc)) from exc
    return _receive(
        provider=spei.PROVIDER,
        event_id=event_id,
        event_type="abono",
        payload=payload,
        tenant_slug=tenant_slug,
        tenant_id=None,
        enqueue=enqueue,
    )


def store_fetched_event(
    *, tenant_id: UUID, provider: str, payload: dict[str, Any], enqueue: Enqueue | None
) -> int | None:
    """An event re-fetched from the provider's authenticated API (reconciliation): same inbox, same idempotency."""
    if provider != conekta.PROVIDER:
        raise RefetchNotSupported(f"re-fetch is not supported for {provider}")
    event_id, event_type = conekta.event_identity(payload)
    bounds.check_text(payload, where="the re-fetched event")
    verdict = _conekta_verdict(payload)
    return _store(
        tenant_id=tenant_id,
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        payload=payload,
        status=verdict.status,
        error=verdict.error if verdict.status == "rejected" else None,
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


def unrouted_deliveries(*, include_redriven: bool = False, limit: int = 100) -> list[unrouted.UnroutedDelivery]:
    """The deliveries held because no tenant could be found (held first, oldest first)."""
    with db.connection() as conn, conn.transaction():
        return unrouted.listed(conn, include_redriven=include_redriven, limit=limit)


def redrive_unrouted(*, unrouted_id: int, tenant_slug: str, operator: str, enqueue: Enqueue | None) -> IntakeResult:
    """Move a held delivery into the inbox of the tenant the operator names, with the same verdict the intake would
    have given it (pending and queued, ignored, or rejected). Exactly once: the held row is claimed in the same
    transaction that inserts the inbox row; an event already in that tenant's inbox is linked, not stored twice."""
    tenant_id = resolve_tenant(slug=tenant_slug)
    with db.tenant_transaction(tenant_id) as conn:
        row = unrouted.claim(conn, unrouted_id=unrouted_id, redriven_by=operator)
        if row is None:
            raise UnroutedNotFound(f"no held unrouted delivery {unrouted_id}")
        verdict = _VERDICTS[row.provider](row.payload)
        inbox_id = data.insert_inbox(
            conn,
            tenant_id=tenant_id,
            provider=row.provider,
            event_id=row.event_id,
            event_type=row.event_type,
            payload=row.payload,
            status=verdict.status,
            error=verdict.error,
            correlation_id=context.correlation_id.get(),
        )
        new = inbox_id is not None
        if inbox_id is None:
            earlier = data.inbox_by_event(conn, provider=row.provider, event_id=row.event_id)
            if earlier is None:
                raise UnroutedEventElsewhere(f"{row.provider}/{row.event_id} is stored for another tenant")
            inbox_id = earlier.id
        unrouted.note_inbox(conn, unrouted_id=unrouted_id, inbox_id=inbox_id)
    if new and verdict.status == "pending":
        _handoff(tenant_id=tenant_id, inbox_id=inbox_id, provider=row.provider, event_id=row.event_id, enqueue=enqueue)
    outcome = _outcome(verdict) if new else "duplicate"
    return IntakeResult(outcome, row.provider, row.event_id, tenant_id, inbox_id, verdict.answer, verdict.error)
