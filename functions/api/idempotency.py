"""`Idempotency-Key` on POSTs that create: the first response is stored with the key (scoped to the caller) in the
same transaction as the creation; the same key with the same request returns the stored response, the same key
with a different request is refused (422). Failed requests store nothing, so they can be retried."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from functions.api.deps import tx
from functions.api.problems import ProblemError
from shared.application.access.principal import Principal
from shared.data.records import platform as q
from shared.data.sql import Conn

REPLAY_HEADER = "Idempotent-Replayed"


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def create(p: Principal, *, key: str | None, method: str, path: str, body: Any, model: type[BaseModel],
           action: Callable[[Conn], Any], status_code: int = 201) -> JSONResponse:
    """Run `action` once per (caller, key); return its result rendered with `model`."""
    request_hash = fingerprint(method, path, body)
    scoped = f"{p.subject}:{key}" if key else None
    with tx(p) as conn:
        if scoped:
            q.lock_idempotency_key(conn, key=scoped)
            stored = q.get_idempotency_record(conn, key=scoped)
            if stored is not None:
                if stored["request_hash"] != request_hash:
                    raise ProblemError(422, "idempotency_key_reused",
                                       "La Idempotency-Key ya se usó con otra solicitud distinta.")
                return JSONResponse(stored["response_body"], status_code=stored["response_status"],
                                    headers={REPLAY_HEADER: "true"})
        result = action(conn)
        rendered = jsonable_encoder(model.model_validate(result))
        if scoped:
            q.save_idempotency_record(conn, tenant_id=p.tenant_id, key=scoped, request_hash=request_hash,
                                      status=status_code, body=rendered)
    return JSONResponse(rendered, status_code=status_code)
