"""Authentication: a Bearer JWT or an `X-API-Key` header becomes a Principal. When FRONT_DOOR_ID is set, requests
must carry Front Door's X-Azure-FDID.

Failed attempts are throttled without ever blocking a valid credential: the credential is verified first, and
only a failure is counted, per (credential, client IP) and, with a higher bound, per client IP. A client past
either bound gets 429 instead of 401 for its bad credentials; a valid token from the same IP (an office NAT behind
which someone keeps sending a stale token) is always accepted."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from functions.api import ratelimit
from functions.api.problems import ProblemError
from shared.application.access.errors import Unauthenticated
from shared.application.access.principal import Principal
from shared.application.access.tokens import principal_from_api_key, principal_from_token
from shared.platform import context
from shared.platform.config import get_settings

WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="supra-water"'}


def client_ip(request: Request) -> str:
    forwarded = request.headers.get("x-azure-clientip") or request.headers.get("x-forwarded-for", "")
    if forwarded and get_settings().FRONT_DOOR_ID:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def check_front_door(request: Request) -> None:
    expected = get_settings().FRONT_DOOR_ID
    if expected and not hmac.compare_digest(request.headers.get("x-azure-fdid", ""), expected):
        raise ProblemError(403, "front_door_required", "La solicitud debe llegar a través de Front Door.")


def credential_key(*, credential: str, ip: str) -> str:
    """The throttling key of one credential from one IP (a digest: the credential itself is never kept)."""
    return hashlib.sha256(credential.encode("utf-8", "surrogatepass")).hexdigest()[:32] + "@" + ip


def too_many(*, retry_after: int) -> ProblemError:
    return ProblemError(
        429,
        "too_many_attempts",
        "Demasiados intentos de autenticación fallidos; espere un momento.",
        headers={"Retry-After": str(max(1, retry_after))},
    )


def _refuse(*, error: Unauthenticated, credential: str, ip: str) -> ProblemError:
    """Count one failure; the answer is 429 once the credential (from this IP) or the IP is past its bound."""
    key = credential_key(credential=credential, ip=ip)
    per_credential = ratelimit.failed_auth.hit(key)
    per_ip = ratelimit.failed_auth_ip.hit(ip)
    if not per_credential or not per_ip:
        return too_many(
            retry_after=max(ratelimit.failed_auth.retry_after(key), ratelimit.failed_auth_ip.retry_after(ip))
        )
    return ProblemError(401, error.code, error.detail_es, headers=WWW_AUTHENTICATE)


def authenticate(request: Request, *, bearer: str | None, api_key: str | None) -> Principal:
    check_front_door(request)
    cid = context.correlation_id.get()
    credential = bearer or api_key
    if not credential:
        raise ProblemError(
            401, "authentication_required", "Se requiere un token Bearer o una clave de API.", headers=WWW_AUTHENTICATE
        )
    try:
        if bearer:
            return principal_from_token(token=bearer, correlation_id=cid)
        return principal_from_api_key(key=credential, correlation_id=cid)
    except Unauthenticated as error:
        raise _refuse(error=error, credential=credential, ip=client_ip(request)) from error
