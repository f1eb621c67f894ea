"""Route dependencies: the caller (Principal), the tenant-scoped transaction, and use-case error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import psycopg
from fastapi import Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from functions.api.auth import authenticate
from functions.api.problems import ProblemError, problem_for
from shared.application.access.errors import UseCaseError
from shared.application.access.principal import Principal
from shared.data.db import tenant_transaction
from shared.data.sql import Conn

_bearer = HTTPBearer(auto_error=False, description="JWT firmado por SUPRA (roles: customer, operator, "
                                                   "billing_admin, admin)")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Clave de API de una integración")

async def current_principal(request: Request,
                            bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
                            api_key: Annotated[str | None, Depends(_api_key)] = None) -> Principal:
    """Bearer tokens are verified on the event loop (CPU only; the tenant slug is resolved once per process);
    API keys need a database lookup, so they are verified in the thread pool."""
    if bearer is None and api_key:
        return await run_in_threadpool(authenticate, request, bearer=None, api_key=api_key)
    return authenticate(request, bearer=bearer.credentials if bearer else None, api_key=None)


Caller = Annotated[Principal, Depends(current_principal)]

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="Same key, same response: a retried POST never creates twice")]


def to_problem(error: UseCaseError) -> ProblemError:
    return problem_for(error)


MAX_ID = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
TextQuery = Annotated[str | None, Query(min_length=1, max_length=120, pattern=r"^[^\x00]*$")]


@contextmanager
def tx(p: Principal) -> Iterator[Conn]:
    """A transaction under the caller's tenant (RLS); use-case errors become problem+json (and roll back).

    Constraint and data errors the validation did not catch are answered as client errors, never as 500."""
    try:
        with tenant_transaction(p.tenant_id) as conn:
            yield conn
    except UseCaseError as error:
        raise to_problem(error) from error
    except psycopg.errors.UniqueViolation as error:
        raise ProblemError(409, "already_exists", "Ya existe un registro con esos datos.") from error
    except (psycopg.errors.ForeignKeyViolation, psycopg.errors.CheckViolation,
            psycopg.errors.ExclusionViolation) as error:
        raise ProblemError(422, "constraint_violation", "Los datos no cumplen una regla de integridad.") from error
    except psycopg.errors.DataError as error:
        raise ProblemError(422, "invalid_value",
                           "Un valor de la solicitud está fuera de rango o es inválido.") from error


def run(p: Principal, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run one use case in its own transaction: `run(p, accounts.balance, account_id=1)`."""
    with tx(p) as conn:
        return fn(conn, p, *args, **kwargs)
