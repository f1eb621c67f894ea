"""Route dependencies: the caller (Principal), the Idempotency-Key header and the id and text parameters.

Use cases open their own transaction and raise error kinds; the app maps those to problem+json in one place."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from functions.api.auth import authenticate
from shared.application.access.principal import Principal
from shared.platform import context

_bearer = HTTPBearer(
    auto_error=False, description="JWT firmado por SUPRA (roles: customer, operator, billing_admin, admin)"
)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Clave de API de una integración")


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    api_key: Annotated[str | None, Depends(_api_key)] = None,
) -> Principal:
    """Bearer tokens are verified on the event loop (CPU only; the tenant slug is resolved once per process);
    API keys need a database lookup, so they are verified in the thread pool."""
    if bearer is None and api_key:
        principal = await run_in_threadpool(authenticate, request, bearer=None, api_key=api_key)
    else:
        principal = authenticate(request, bearer=bearer.credentials if bearer else None, api_key=None)
    # the request's logs carry the tenant and the token subject from here on (bound in the request's own context)
    context.bind_tenant(principal.tenant_slug)
    context.bind_user(principal.subject)
    return principal


Caller = Annotated[Principal, Depends(current_principal)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Same key, same response: a retried POST never creates twice",
    ),
]


MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
TextQuery = Annotated[str | None, Query(min_length=1, max_length=120, pattern=r"^[^\x00]*$")]
