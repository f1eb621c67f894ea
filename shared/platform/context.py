"""Request-scoped context carried through logs, queue messages and orchestration inputs.

Every entry point binds a correlation id (and the tenant, and for the API the token subject) for the duration of
its work: the HTTP middleware per request, queue triggers per message (`bound_from(message)`), timers per run,
durable activities per call (`carried` decorator, reading the keys `carry()` put in the activity's input).
"""

from __future__ import annotations

import contextlib
import functools
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
tenant_slug: ContextVar[str | None] = ContextVar("tenant_slug", default=None)
user_id: ContextVar[str | None] = ContextVar("user_id", default=None)

CORRELATION_KEY = "correlation_id"
TENANT_KEY = "tenant"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

P = ParamSpec("P")
R = TypeVar("R")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def accept_correlation_id(value: str | None) -> str:
    """Use the caller's id when it is a sane token, else mint one (never log arbitrary header content)."""
    if value and _VALID.match(value):
        return value
    return new_correlation_id()


def _sane(value: Any) -> str | None:
    return value if isinstance(value, str) and _VALID.match(value) else None


@contextlib.contextmanager
def bound(*, correlation: str | None = None, tenant: str | None = None, user: str | None = None) -> Iterator[str]:
    """Bind a correlation id (and tenant, user) for the duration of a block; yields the correlation id."""
    cid = accept_correlation_id(correlation)
    tokens = [(correlation_id, correlation_id.set(cid))]
    if tenant is not None:
        tokens.append((tenant_slug, tenant_slug.set(_sane(tenant))))
    if user is not None:
        tokens.append((user_id, user_id.set(_sane(user))))
    try:
        yield cid
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_tenant(tenant: str | None) -> None:
    """Set the tenant for the rest of the current context (the API does this once the token is verified)."""
    if tenant is not None:
        tenant_slug.set(_sane(tenant))


def bind_user(user: str | None) -> None:
    if user is not None:
        user_id.set(_sane(user))


def carry(payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`payload` plus the bound correlation id and tenant, for a queue message or an orchestration/activity input."""
    out = dict(payload or {})
    cid = correlation_id.get()
    if cid and CORRELATION_KEY not in out:
        out[CORRELATION_KEY] = cid
    tenant = tenant_slug.get()
    if tenant and TENANT_KEY not in out:
        out[TENANT_KEY] = tenant
    return out


@contextlib.contextmanager
def bound_from(payload: Any, *, tenant: str | None = None) -> Iterator[str]:
    """Bind the correlation id and tenant a message or input carries (a fresh id when it carries none)."""
    data = payload if isinstance(payload, Mapping) else {}
    tenant_id = data.get("tenant_id")  # inputs that carry only the tenant's id log it (better than nothing)
    tenant_value = (
        tenant
        or _sane(data.get(TENANT_KEY))
        or _sane(data.get("tenant_slug"))
        or (_sane(str(tenant_id)) if tenant_id else None)
    )
    with bound(correlation=data.get(CORRELATION_KEY), tenant=tenant_value) as cid:
        yield cid


def carried(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator for durable activities and queue handlers: binds the correlation id and tenant found in the first
    Mapping argument (the activity input) for the duration of the call."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        payload = next((a for a in (*args, *kwargs.values()) if isinstance(a, Mapping)), None)
        with bound_from(payload):
            return fn(*args, **kwargs)

    return wrapper
