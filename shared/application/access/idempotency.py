"""`Idempotency-Key` on creating requests: the first answer is stored with the key (scoped to the caller) in the same
transaction as the creation; the same key with the same request gets the stored answer back, the same key with a
different request is refused. Failed requests store nothing, so they can be retried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from shared.application.access.errors import Invalid
from shared.application.access.principal import Principal
from shared.data.db import use_case_transaction
from shared.data.records import platform as q

T = TypeVar("T")


class IdempotencyKeyReused(Invalid):
    default_code = "idempotency_key_reused"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def create_once(
    *,
    principal: Principal,
    key: str | None,
    request_hash: str,
    status: int,
    create: Callable[[], T],
    render: Callable[[T], Any],
) -> Answer:
    """Run `create` (a use case: it joins this transaction) once per (caller, key); its result `render`ed is the
    answer stored with the key."""
    scoped = f"{principal.subject}:{key}" if key else None
    with use_case_transaction(principal.tenant_id) as conn:
        if scoped:
            q.lock_idempotency_key(conn, key=scoped)
            stored = q.get_idempotency_record(conn, key=scoped)
            if stored is not None:
                if stored.request_hash != request_hash:
                    raise IdempotencyKeyReused(detail_es="La Idempotency-Key ya se usó con otra solicitud distinta.")
                return Answer(status=stored.response_status, body=stored.response_body, replayed=True)
        rendered = render(create())
        if scoped:
            q.save_idempotency_record(
                conn, tenant_id=principal.tenant_id, key=scoped, request_hash=request_hash, status=status, body=rendered
            )
    return Answer(status=status, body=rendered, replayed=False)
