"""Bearer JWTs (HS256, signing key `jwt-signing-key` from Key Vault or the environment) and API keys.

Claims: iss, aud, sub, iat, exp, jti, `tenant` (slug), `roles` (list), optional `person_id` (customers) or
`scopes` (tokens exchanged for an API key). API keys look like `sw_<prefix>_<secret>`; only SHA-256 of the secret
is stored (the secret is 256 random bits, so a fast hash is enough), and the prefix finds the client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt

from shared.application.access.errors import Unauthenticated
from shared.application.access.principal import PERMISSIONS, Principal, UnknownRole, permissions_for
from shared.data import db
from shared.data.records import platform as q
from shared.platform.config import get_settings
from shared.platform.secrets import get_secret

ALGORITHM = "HS256"
MAX_TTL = timedelta(hours=12)
KEY_PREFIX = "sw"


class InvalidTokenRequest(ValueError):
    """A token cannot be issued with these arguments (unknown role, customer without person, bad TTL)."""


def issue_token(
    *,
    tenant: str,
    roles: list[str],
    now: datetime,
    person_id: int | None = None,
    subject: str | None = None,
    ttl: timedelta = timedelta(hours=1),
    scopes: list[str] | None = None,
) -> str:
    try:
        permissions_for(roles)
    except UnknownRole as error:
        raise InvalidTokenRequest(str(error)) from error
    if "customer" in roles and person_id is None:
        raise InvalidTokenRequest("a customer token needs --person")
    if not timedelta(0) < ttl <= MAX_TTL:
        raise InvalidTokenRequest(f"ttl must be within (0, {MAX_TTL}]")
    settings = get_settings()
    claims: dict[str, Any] = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": subject or f"user:{uuid.uuid4().hex[:12]}",
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
        "tenant": tenant,
        "roles": roles,
    }
    if person_id is not None:
        claims["person_id"] = person_id
    if scopes is not None:
        claims["scopes"] = scopes
    return jwt.encode(claims, get_secret("jwt-signing-key"), algorithm=ALGORITHM)


_BAD_TOKEN = Unauthenticated("invalid_token", "El token de acceso no es válido o expiró.")


def decode_token(*, token: str) -> dict[str, Any]:
    settings = get_settings()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            get_secret("jwt-signing-key"),
            algorithms=[ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            leeway=30,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as error:
        raise _BAD_TOKEN from error
    if not isinstance(claims.get("tenant"), str) or not isinstance(claims.get("roles"), list):
        raise _BAD_TOKEN
    if not _lifetime_allowed(claims):
        raise _BAD_TOKEN
    return claims


def _lifetime_allowed(claims: dict[str, Any]) -> bool:
    """A token lives at most MAX_TTL: exp - iat within it (and the decoder refuses an iat in the future, so exp is
    never more than MAX_TTL plus the leeway ahead). A token someone signed with a longer life is refused."""
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (iat, exp)):
        return False
    assert isinstance(iat, int | float) and isinstance(exp, int | float)
    return 0 < exp - iat <= MAX_TTL.total_seconds()


_tenants: dict[str, UUID] = {}
_tenants_lock = threading.Lock()


def tenant_id_for(*, slug: str) -> UUID:
    """Tenant ids never change, so a resolved slug is cached for the life of the process."""
    with _tenants_lock:
        cached = _tenants.get(slug)
    if cached is not None:
        return cached
    found = db.resolve_tenant(slug)
    if found is None:
        raise Unauthenticated("unknown_tenant", "El organismo indicado en el token no existe.")
    with _tenants_lock:
        _tenants[slug] = found
    return found


def require_tenant(*, slug: str) -> UUID:
    """The id of an existing tenant, for issuing a token (a token for a tenant that does not exist is refused)."""
    try:
        return tenant_id_for(slug=slug)
    except Unauthenticated as error:
        raise InvalidTokenRequest(f"unknown tenant {slug!r}") from error


def reset_tenant_cache() -> None:
    with _tenants_lock:
        _tenants.clear()


def principal_from_token(*, token: str, correlation_id: str | None = None) -> Principal:
    claims = decode_token(token=token)
    roles = [r for r in claims["roles"] if isinstance(r, str)]
    try:
        permissions = permissions_for(roles)
    except UnknownRole as error:
        raise _BAD_TOKEN from error
    scopes = claims.get("scopes")
    if isinstance(scopes, list):  # exchanged from an API key: the key's scopes, nothing more
        permissions = frozenset(s for s in scopes if s in PERMISSIONS)
    person = claims.get("person_id")
    return Principal(
        tenant_id=tenant_id_for(slug=claims["tenant"]),
        tenant_slug=claims["tenant"],
        subject=str(claims["sub"]),
        roles=frozenset(roles),
        permissions=permissions,
        person_id=person if isinstance(person, int) else None,
        correlation_id=correlation_id,
    )


@dataclass(frozen=True)
class NewApiKey:
    key: str
    prefix: str
    key_hash: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> NewApiKey:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewApiKey(key=f"{KEY_PREFIX}_{prefix}_{secret}", prefix=prefix, key_hash=_hash(secret))


_BAD_KEY = Unauthenticated("invalid_api_key", "La clave de API no es válida o fue revocada.")


def principal_from_api_key(*, key: str, correlation_id: str | None = None) -> Principal:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 12:
        raise _BAD_KEY
    with db.connection() as conn:
        client = q.api_client_by_prefix(conn, prefix=parts[1])
        conn.rollback()
    if client is None or client.revoked_at is not None or not hmac.compare_digest(client.key_hash, _hash(parts[2])):
        raise _BAD_KEY
    with db.tenant_transaction(client.tenant_id) as conn:
        slug = q.tenant_slug(conn)
    return Principal(
        tenant_id=client.tenant_id,
        tenant_slug=slug or "",
        subject=f"api_client:{client.id}",
        roles=frozenset(),
        permissions=frozenset(s for s in client.scopes if s in PERMISSIONS),
        correlation_id=correlation_id,
    )
