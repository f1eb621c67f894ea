"""Authentication endpoints: who am I, and exchange of an API key for a short-lived bearer token (rate limited)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from functions.api import ratelimit
from functions.api.auth import check_front_door, client_ip
from functions.api.deps import Caller
from functions.api.problems import ProblemError
from shared.application.access.tokens import issue_token, principal_from_api_key
from shared.platform import context

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {
        "description": d,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for code, d in (
        (401, "Credenciales inválidas"),
        (403, "Sin Front Door"),
        (413, "Cuerpo demasiado grande"),
        (422, "Datos inválidos"),
        (429, "Demasiadas solicitudes"),
    )
}
EXCHANGED_TTL = timedelta(minutes=15)


class MeOut(BaseModel):
    tenant: str
    subject: str
    roles: list[str]
    permissions: list[str]
    person_id: int | None


class TokenIn(BaseModel):
    api_key: Annotated[str, Field(min_length=10, max_length=200, pattern=r"^[A-Za-z0-9_\-]+$")]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


@router.get("/me", response_model=MeOut, responses=_PROBLEMS, summary="The authenticated caller")
def me(*, p: Caller) -> MeOut:
    return MeOut(
        tenant=p.tenant_slug,
        subject=p.subject,
        roles=sorted(p.roles),
        permissions=sorted(p.permissions),
        person_id=p.person_id,
    )


@router.post(
    "/token",
    response_model=TokenOut,
    responses=_PROBLEMS,
    summary="Exchange an API key for a 15-minute bearer token with the key's scopes",
)
def exchange(body: TokenIn, request: Request) -> TokenOut:
    check_front_door(request)
    ip = client_ip(request)
    if not ratelimit.token_exchange.hit(ip):
        raise ProblemError(
            429,
            "too_many_requests",
            "Demasiadas solicitudes de token; espere un momento.",
            headers={"Retry-After": str(ratelimit.token_exchange.retry_after(ip))},
        )
    p = principal_from_api_key(key=body.api_key, correlation_id=context.correlation_id.get())  # 401 if invalid
    token = issue_token(
        tenant=p.tenant_slug,
        roles=[],
        subject=p.subject,
        now=datetime.now(UTC),
        ttl=EXCHANGED_TTL,
        scopes=sorted(p.permissions),
    )
    return TokenOut(access_token=token, expires_in=int(EXCHANGED_TTL.total_seconds()))
