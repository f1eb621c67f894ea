"""The durable client of the current HTTP invocation, for API routes that start or query orchestrations."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

current_client: ContextVar[Any | None] = ContextVar("durable_client", default=None)


class NoDurableClient(RuntimeError):
    """A route needed the durable client outside an HTTP invocation that carries one."""


def get_durable_client() -> Any:
    client = current_client.get()
    if client is None:
        raise NoDurableClient("no durable client bound to this request")
    return client
