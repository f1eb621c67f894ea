"""Connection pool and tenant-scoped transactions.

Every statement the application runs goes through `tenant_transaction`, which sets `app.tenant_id` for the
transaction only (set_config(..., true)), so row-level security scopes it to one tenant.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

import psycopg
from psycopg_pool import ConnectionPool

from shared.domain.errors import Conflict, Invalid
from shared.platform.config import get_settings
from shared.platform.metrics import db_query_duration_seconds


class TimedCursor(psycopg.Cursor[Any]):
    """Records db_query_duration_seconds for every execute."""

    def execute(self, query: Any, params: Any = None, **kw: Any) -> TimedCursor:
        started = time.perf_counter()
        try:
            return super().execute(query, params, **kw)
        finally:
            db_query_duration_seconds.record(time.perf_counter() - started)


class EntraConnection(psycopg.Connection[Any]):
    """Connects with a fresh Microsoft Entra token as the password (Azure Flexible Server, managed identity)."""

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs: Any) -> EntraConnection:
        from azure.identity import DefaultAzureCredential

        client_id = get_settings().AZURE_CLIENT_ID or None
        token = DefaultAzureCredential(managed_identity_client_id=client_id).get_token(
            "https://ossrdbms-aad.database.windows.net/.default"
        )
        kwargs["password"] = token.token
        return super().connect(conninfo, **kwargs)


class DatabaseNotConfigured(RuntimeError):
    """DATABASE_URL is empty."""


_pool: ConnectionPool | None = None
_pool_lock = threading.Lock()


def get_pool() -> ConnectionPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            settings = get_settings()
            if not settings.DATABASE_URL:
                raise DatabaseNotConfigured("DATABASE_URL is not set")
            connection_class: type[psycopg.Connection[Any]] = (
                EntraConnection if settings.DATABASE_AUTH == "entra" else psycopg.Connection
            )
            _pool = ConnectionPool(
                settings.DATABASE_URL,
                min_size=0,
                max_size=settings.DATABASE_POOL_MAX,
                connection_class=connection_class,
                kwargs={"cursor_factory": TimedCursor, "application_name": "supra-water"},
                open=True,
                timeout=30,
            )
        return _pool


def close_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
            _pool = None


@contextmanager
def connection() -> Iterator[psycopg.Connection[Any]]:
    with get_pool().connection() as conn:
        yield conn


def set_tenant(conn: psycopg.Connection[Any], tenant_id: UUID | str) -> None:
    conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(tenant_id),))


@contextmanager
def tenant_transaction(tenant_id: UUID | str) -> Iterator[psycopg.Connection[Any]]:
    """A transaction scoped to one tenant by row-level security. Commits on success, rolls back on error."""
    with connection() as conn, conn.transaction():
        set_tenant(conn, tenant_id)
        yield conn


class AlreadyExists(Conflict):
    """A unique constraint refused the write."""

    default_code = "already_exists"


class ConstraintViolation(Invalid):
    """A foreign-key, check or exclusion constraint refused the write."""

    default_code = "constraint_violation"


class InvalidValue(Invalid):
    """PostgreSQL refused a value (out of range, malformed)."""

    default_code = "invalid_value"


_open_use_case: ContextVar[tuple[str, psycopg.Connection[Any]] | None] = ContextVar("open_use_case", default=None)


@contextmanager
def use_case_transaction(tenant_id: UUID | str) -> Iterator[psycopg.Connection[Any]]:
    """The transaction of one use case: `tenant_transaction`, with the integrity errors validation did not catch
    raised as error kinds (unique → AlreadyExists; foreign key, check, exclusion → ConstraintViolation; data →
    InvalidValue), so callers answer them as client errors, never as 500s.

    A use case called while another one is open for the same tenant (an idempotent create storing its answer)
    joins that transaction: both commit or roll back together."""
    tenant = str(tenant_id)
    joined = _open_use_case.get()
    if joined is not None and joined[0] == tenant:
        yield joined[1]
        return
    try:
        with tenant_transaction(tenant) as conn:
            token = _open_use_case.set((tenant, conn))
            try:
                yield conn
            finally:
                _open_use_case.reset(token)
    except psycopg.errors.UniqueViolation as error:
        raise AlreadyExists(detail_es="Ya existe un registro con esos datos.") from error
    except (
        psycopg.errors.ForeignKeyViolation,
        psycopg.errors.CheckViolation,
        psycopg.errors.ExclusionViolation,
    ) as error:
        raise ConstraintViolation(detail_es="Los datos no cumplen una regla de integridad.") from error
    except psycopg.errors.DataError as error:
        raise InvalidValue(detail_es="Un valor de la solicitud está fuera de rango o es inválido.") from error


_SLUG = re.compile(r"[a-z0-9-]{1,63}", re.ASCII)  # what tenants.slug's CHECK allows (and no NUL PostgreSQL refuses)


def resolve_tenant(slug: str) -> UUID | None:
    """The tenant a slug names; None for an unknown slug and for text that cannot be a slug (no query then)."""
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return None
    with connection() as conn:
        row = conn.execute("SELECT tenant_id_for_slug(%s)", (slug,)).fetchone()
        conn.rollback()
    return row[0] if row and row[0] else None


def tenant_ids() -> list[UUID]:
    """Every tenant's id, for jobs that run for all tenants (definer function: ids only)."""
    with connection() as conn:
        rows = conn.execute("SELECT all_tenant_ids()").fetchall()
        conn.rollback()
    return [UUID(str(r[0])) for r in rows]


def tenant_slugs() -> list[str]:
    """Every tenant's slug, for jobs that run for all tenants (definer function: ids and slugs only)."""
    with connection() as conn:
        rows = conn.execute("SELECT slug FROM all_tenant_slugs()").fetchall()
        conn.rollback()
    return [r[0] for r in rows]


def ping() -> None:
    with connection() as conn:
        conn.execute("SELECT 1")
        conn.rollback()
