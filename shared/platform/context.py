"""Request-scoped context carried through logs, queue messages and orchestration inputs."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
tenant_slug: ContextVar[str | None] = ContextVar("tenant_slug", default=None)

_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def accept_correlation_id(value: str | None) -> str:
    """Use the caller's id when it is a sane token, else mint one (never log arbitrary header content)."""
    if value and _VALID.match(value):
        return value
    return new_correlation_id()


@contextlib.contextmanager
def bound(*, correlation: str | None = None, tenant: str | None = None) -> Iterator[str]:
    """Bind a correlation id (and tenant) for the duration of a block; yields the correlation id."""
    cid = accept_correlation_id(correlation)
    t1 = correlation_id.set(cid)
    t2 = tenant_slug.set(tenant) if tenant is not None else None
    try:
        yield cid
    finally:
        correlation_id.reset(t1)
        if t2 is not None:
            tenant_slug.reset(t2)
