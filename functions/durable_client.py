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


async def orchestration_status(instance_id: str) -> dict[str, Any] | None:
    """Runtime status and custom status of an instance, for progress answers (None when there is none or no client
    is bound, e.g. a route called outside an HTTP invocation)."""
    client = current_client.get()
    if client is None:
        return None
    status = await client.get_status(instance_id)
    state = getattr(status, "runtime_status", None)
    if state is None:
        return None
    return {
        "instance_id": instance_id,
        "runtime_status": state.name,
        "custom_status": getattr(status, "custom_status", None),
        "last_updated": str(getattr(status, "last_updated_time", "") or "") or None,
    }
