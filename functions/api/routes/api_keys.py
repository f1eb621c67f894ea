"""API keys for integrations (CRM, workflow tools): scoped, stored hashed, revocable. Admins only."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from functions.api import idempotency
from functions.api.deps import Caller, IdempotencyKey
from functions.api.schemas import PROBLEM_RESPONSES, LocalDateTime, Out, ShortText
from shared.application.access import api_keys

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"], responses=PROBLEM_RESPONSES)


class ApiKeyOut(Out):
    id: UUID
    name: str
    key_prefix: str
    scopes: list[str]
    created_at: LocalDateTime
    revoked_at: LocalDateTime | None


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="La clave completa; solo se muestra esta vez")


class ApiKeyIn(BaseModel):
    name: ShortText
    scopes: Annotated[
        list[Annotated[str, Field(max_length=40, pattern=r"^[a-z_]+:[a-z_]+$")]], Field(min_length=1, max_length=20)
    ]


@router.get("", response_model=list[ApiKeyOut], summary="List API keys")
def list_keys(*, p: Caller) -> list[dict[str, Any]]:
    return list(api_keys.list_keys(principal=p))


@router.post("", response_model=NewApiKeyOut, status_code=201, summary="Create an API key")
def create_key(*, p: Caller, body: ApiKeyIn, request: Request, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return idempotency.create(
        principal=p,
        key=idempotency_key,
        method="POST",
        path=request.url.path,
        body=body,
        model=NewApiKeyOut,
        action=lambda: api_keys.create(principal=p, name=body.name, scopes=body.scopes),
    )


@router.post("/{client_id}/revoke", response_model=ApiKeyOut, summary="Revoke an API key")
def revoke_key(*, p: Caller, client_id: UUID) -> dict[str, Any]:
    return api_keys.revoke(principal=p, client_id=client_id)
