"""`Idempotency-Key` on POSTs that create: the request's fingerprint and the rendered answer; storing and replaying
them is `shared.application.access.idempotency` (same transaction as the creation)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.application.access import idempotency
from shared.application.access.principal import Principal

REPLAY_HEADER = "Idempotent-Replayed"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def create(
    *,
    principal: Principal,
    key: str | None,
    method: str,
    path: str,
    body: Any,
    model: type[BaseModel],
    action: Callable[[], Any],
    status_code: int = 201,
) -> JSONResponse:
    """Run `action` (a use case call) once per (caller, key); return its result rendered with `model`."""
    answer = idempotency.create_once(
        principal=principal,
        key=key,
        request_hash=fingerprint(method, path, body),
        status=status_code,
        create=action,
        render=lambda result: jsonable_encoder(model.model_validate(result)),
    )
    headers = {REPLAY_HEADER: "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)
