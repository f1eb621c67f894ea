"""API keys for integrations (CRM, workflow tools): create (the key is shown once), list, revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.application.access.errors import Invalid, not_found
from shared.application.access.principal import API_KEYS_MANAGE, PERMISSIONS, Principal
from shared.application.access.tokens import new_api_key
from shared.data.db import use_case_transaction
from shared.data.records import platform as q
from shared.data.sql import Row


def create(*, principal: Principal, name: str, scopes: list[str]) -> dict[str, Any]:
    principal.require(API_KEYS_MANAGE)
    unknown = sorted(set(scopes) - PERMISSIONS)
    if unknown:
        raise Invalid("unknown_scope", f"Alcances desconocidos: {', '.join(unknown)}.")
    key = new_api_key()
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.insert_api_client(
            conn,
            tenant_id=principal.tenant_id,
            name=name,
            prefix=key.prefix,
            key_hash=key.key_hash,
            scopes=sorted(set(scopes)),
        )
    return {**row, "key": key.key}


def list_keys(*, principal: Principal) -> list[Row]:
    principal.require(API_KEYS_MANAGE)
    with use_case_transaction(principal.tenant_id) as conn:
        return q.list_api_clients(conn)


def revoke(*, principal: Principal, client_id: UUID) -> Row:
    principal.require(API_KEYS_MANAGE)
    with use_case_transaction(principal.tenant_id) as conn:
        row = q.revoke_api_client(conn, client_id=client_id)
    if row is None:
        raise not_found("la clave de API")
    return row
