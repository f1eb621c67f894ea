"""The Azurite launcher: free ports, a working connection string, stop by PID."""

from __future__ import annotations

import re

from azure.storage.blob import BlobServiceClient

from devtools.local_runner.azurite import Azurite, start_azurite


def test_session_azurite_serves_blobs(azurite: str) -> None:
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.get_container_client("runner-smoke")
    if not container.exists():
        container.create_container()
    container.upload_blob("a.xml", b"<cfdi/>", overwrite=True)
    assert container.download_blob("a.xml").readall() == b"<cfdi/>"
    assert re.search(r"QueueEndpoint=http://127\.0\.0\.1:\d+/devstoreaccount1;", azurite)


def test_own_instance_stops_by_pid(azurite_server: Azurite, tmp_path) -> None:
    other = start_azurite(location=tmp_path / "data")
    try:
        assert other.is_running() and other.queue_port != azurite_server.queue_port
    finally:
        other.stop()
    assert not other.is_running() and other.process.returncode is not None
    assert azurite_server.is_running()
