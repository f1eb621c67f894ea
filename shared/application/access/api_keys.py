"""API keys for integrations (CRM, workflow tools): create (the key is shown once), list, revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.application.access.errors import Invalid, not_found
from shared.application.access.principal import API_KEYS_MANAGE, PERMISSIONS, Principal
from shared.application.access.tokens import new_api_key
from shared.data.records import platform as q
from shared.data.sql import Conn, Row


def create(conn: Conn, p: Principal, *, name: str, scopes: list[str]) -> dict[str, Any]:
    p.require(API_KEYS_MANAGE)
    unknown = sorted(set(scopes) - PERMISSIONS)
    if unknown:
        raise Invalid("unknown_scope", f"Alcances desconocidos: {', '.join(unknown)}.")
    key = new_api_key()
    row = q.insert_api_client(conn, tenant_id=p.tenant_id, name=name, prefix=key.prefix, key_hash=key.key_hash,
                              scopes=sorted(set(scopes)))
    return {**row, "key": key.key}


def list_keys(conn: Conn, p: Principal) -> list[Row]:
    p.require(API_KEYS_MANAGE)
    return q.list_api_clients(conn)


def revoke(conn: Conn, p: Principal, *, client_id: UUID) -> Row:
    p.require(API_KEYS_MANAGE)
    row = q.revoke_api_client(conn, client_id=client_id)
    if row is None:
        raise not_found("la clave de API")
    return row
