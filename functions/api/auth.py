"""Authentication: a Bearer JWT or an `X-API-Key` header becomes a Principal. Failed attempts are rate limited
per client IP; when FRONT_DOOR_ID is set, requests must carry Front Door's X-Azure-FDID."""

from __future__ import annotations

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


def too_many(ip: str) -> ProblemError:
    retry = ratelimit.failed_auth.retry_after(ip)
    return ProblemError(
        429,
        "too_many_attempts",
        "Demasiados intentos de autenticación fallidos; espere un momento.",
        headers={"Retry-After": str(retry)},
    )


def authenticate(request: Request, *, bearer: str | None, api_key: str | None) -> Principal:
    check_front_door(request)
    ip = client_ip(request)
    if ratelimit.failed_auth.exceeded(ip):
        raise too_many(ip)
    cid = context.correlation_id.get()
    try:
        if bearer:
            return principal_from_token(token=bearer, correlation_id=cid)
        if api_key:
            return principal_from_api_key(key=api_key, correlation_id=cid)
    except Unauthenticated as error:
        ratelimit.failed_auth.hit(ip)
        raise ProblemError(401, error.code, error.detail_es, headers=WWW_AUTHENTICATE) from error
    raise ProblemError(
        401, "authentication_required", "Se requiere un token Bearer o una clave de API.", headers=WWW_AUTHENTICATE
    )
