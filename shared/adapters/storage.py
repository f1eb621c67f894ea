"""Azure Storage queues and blobs. Connection string locally (Azurite); managed identity in Azure
(AzureWebJobsStorage__accountName + DefaultAzureCredential), never account keys there."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from functools import lru_cache
from typing import Any

from azure.storage.blob import BlobServiceClient, ContentSettings
from azure.storage.queue import QueueClient, QueueServiceClient, TextBase64DecodePolicy, TextBase64EncodePolicy

from shared.platform.config import get_settings


class StorageNotConfigured(RuntimeError):
    """Neither AzureWebJobsStorage nor AzureWebJobsStorage__accountName is set."""


def _identity_account() -> str | None:
    return os.environ.get("AzureWebJobsStorage__accountName")  # noqa: SIM112 - the Functions host name or None


def _credential() -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=get_settings().AZURE_CLIENT_ID or None)


@lru_cache(maxsize=4)
def queue_service(connection: str | None = None) -> QueueServiceClient:
    conn = connection if connection is not None else get_settings().AzureWebJobsStorage
    if conn:
        return QueueServiceClient.from_connection_string(conn)
    account = _identity_account()
    if not account:
        raise StorageNotConfigured("AzureWebJobsStorage is not configured")
    return QueueServiceClient(f"https://{account}.queue.core.windows.net", credential=_credential())


def queue_client(name: str, connection: str | None = None) -> QueueClient:
    """A client that encodes messages in base64, as the Functions queue extension expects by default."""
    service = queue_service(connection)
    return QueueClient(
        account_url=service.url,
        queue_name=name,
        credential=service.credential,
        message_encode_policy=TextBase64EncodePolicy(),
        message_decode_policy=TextBase64DecodePolicy(),
    )


def ensure_queue(name: str, connection: str | None = None) -> QueueClient:
    from azure.core.exceptions import ResourceExistsError

    client = queue_client(name, connection)
    with contextlib.suppress(ResourceExistsError):
        client.create_queue()
    return client


_senders: dict[tuple[str | None, str], QueueClient] = {}
_senders_lock = threading.Lock()
MAX_MESSAGE_BYTES = 48_000


def _sender(name: str, connection: str | None) -> QueueClient:
    """One client per queue for the process (kept-alive connections), creating the queue on first use."""
    key = (connection or get_settings().AzureWebJobsStorage, name)
    with _senders_lock:
        client = _senders.get(key)
        if client is None:
            client = _senders[key] = ensure_queue(name, connection)
    return client


def send_json(queue_name: str, message: dict[str, Any], *, connection: str | None = None) -> None:
    """The one queue send of the product: compact JSON (base64-encoded by the client, as the Functions queue
    extension expects), refused above the queue's message size."""
    body = json.dumps(message, separators=(",", ":"), default=str)
    if len(body.encode()) > MAX_MESSAGE_BYTES:
        raise ValueError("queue message too large: store the payload in Blob Storage and send a reference")
    _sender(queue_name, connection).send_message(body)


@lru_cache(maxsize=4)
def blob_service(connection: str | None = None) -> BlobServiceClient:
    conn = connection if connection is not None else get_settings().AzureWebJobsStorage
    if conn:
        return BlobServiceClient.from_connection_string(conn)
    account = _identity_account()
    if not account:
        raise StorageNotConfigured("AzureWebJobsStorage is not configured")
    return BlobServiceClient(f"https://{account}.blob.core.windows.net", credential=_credential())


def put_blob(container: str, name: str, data: bytes, content_type: str) -> str:
    from azure.core.exceptions import ResourceExistsError

    service = blob_service()
    with contextlib.suppress(ResourceExistsError):
        service.create_container(container)
    client = service.get_blob_client(container, name)
    client.upload_blob(data, overwrite=True, content_settings=ContentSettings(content_type=content_type))
    return f"{container}/{name}"


def get_blob(container: str, name: str) -> bytes:
    return blob_service().get_blob_client(container, name).download_blob().readall()


def ping(timeout_seconds: float = 2.0) -> None:
    """One cheap round trip to the queue service, no retries (raises when Storage is unreachable)."""
    service = queue_service()
    probe = QueueServiceClient(
        account_url=service.url,
        credential=service.credential,
        retry_total=0,
        connection_timeout=timeout_seconds,
        read_timeout=timeout_seconds,
    )
    next(iter(probe.list_queues(results_per_page=1)), None)


def reset_clients() -> None:
    with _senders_lock:
        _senders.clear()
    queue_service.cache_clear()
    blob_service.cache_clear()
