"""Tenant settings, API clients (keys), Idempotency-Key records and monthly partitions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from psycopg.types.json import Jsonb

from shared.data.sql import Conn, Row, execute, fetch_all, fetch_one, fetch_typed_one


class ApiClientKey(NamedTuple):
    """What authenticating an API key needs of its client (found by the key's prefix, across tenants)."""

    id: UUID
    tenant_id: UUID
    key_hash: str
    scopes: list[str]
    revoked_at: datetime | None


class IdempotencyRecord(NamedTuple):
    request_hash: str
    response_status: int
    response_body: Any


def tenant_config(conn: Conn) -> dict[str, Any]:
    row = fetch_one(conn, "SELECT config FROM tenants WHERE id = app_current_tenant()")
    return dict(row["config"]) if row else {}


def tenant_slug(conn: Conn) -> str | None:
    """The slug of the transaction's tenant."""
    row = fetch_one(conn, "SELECT slug FROM tenants WHERE id = app_current_tenant()")
    return str(row["slug"]) if row else None


def api_client_by_prefix(conn: Conn, *, prefix: str) -> ApiClientKey | None:
    return fetch_typed_one(
        conn,
        ApiClientKey,
        "SELECT id, tenant_id, key_hash, scopes, revoked_at FROM api_client_for_prefix(%(p)s)",
        {"p": prefix},
    )


def insert_api_client(conn: Conn, *, tenant_id: Any, name: str, prefix: str, key_hash: str, scopes: list[str]) -> Row:
    row = fetch_one(
        conn,
        """
        INSERT INTO api_clients (tenant_id, name, key_prefix, key_hash, scopes)
        VALUES (%(t)s, %(name)s, %(prefix)s, %(hash)s, %(scopes)s)
        RETURNING id, name, key_prefix, scopes, created_at, revoked_at""",
        {"t": tenant_id, "name": name, "prefix": prefix, "hash": key_hash, "scopes": scopes},
    )
    assert row is not None
    return row


def list_api_clients(conn: Conn) -> list[Row]:
    return fetch_all(
        conn, "SELECT id, name, key_prefix, scopes, created_at, revoked_at FROM api_clients ORDER BY created_at DESC"
    )


def revoke_api_client(conn: Conn, *, client_id: Any) -> Row | None:
    return fetch_one(
        conn,
        """
        UPDATE api_clients SET revoked_at = coalesce(revoked_at, now()) WHERE id = %(id)s
        RETURNING id, name, key_prefix, scopes, created_at, revoked_at""",
        {"id": client_id},
    )


def lock_idempotency_key(conn: Conn, *, key: str) -> None:
    execute(conn, "SELECT pg_advisory_xact_lock(hashtext('idem:' || app_current_tenant()::text || %(k)s))", {"k": key})


def get_idempotency_record(conn: Conn, *, key: str) -> IdempotencyRecord | None:
    return fetch_typed_one(
        conn,
        IdempotencyRecord,
        "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE key = %(k)s",
        {"k": key},
    )


def save_idempotency_record(conn: Conn, *, tenant_id: Any, key: str, request_hash: str, status: int, body: Any) -> None:
    execute(
        conn,
        """
        INSERT INTO idempotency_keys (tenant_id, key, request_hash, response_status, response_body)
        VALUES (%(t)s, %(k)s, %(h)s, %(s)s, %(b)s)""",
        {"t": tenant_id, "k": key, "h": request_hash, "s": status, "b": Jsonb(body)},
    )


def ensure_month_partitions(conn: Conn, *, table: str, first: date, until: date) -> int:
    """Create the monthly partitions of `table` for [first, until); how many were new."""
    row = fetch_one(
        conn,
        "SELECT ensure_month_partitions(%(t)s::regclass, %(f)s, %(u)s) AS created",
        {"t": table, "f": first, "u": until},
    )
    return int(row["created"]) if row and row["created"] is not None else 0
