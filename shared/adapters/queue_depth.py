"""Approximate queue lengths from Azure Storage (Azurite locally), for the `queue_messages_waiting` gauge."""

from __future__ import annotations

from azure.core.exceptions import ResourceNotFoundError

from shared.adapters.storage import queue_client


def approximate_length(name: str, *, connection: str | None = None) -> int:
    """The queue's approximate message count (0 for a queue that does not exist yet: nothing waits in it)."""
    client = queue_client(name, connection)
    try:
        return int(client.get_queue_properties().approximate_message_count or 0)
    except ResourceNotFoundError:
        return 0
