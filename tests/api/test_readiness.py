import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from shared.adapters import storage
from shared.platform.config import reset_settings_cache

DEAD_STORAGE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
)


@pytest.fixture
def dead_storage(monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage", DEAD_STORAGE)
    reset_settings_cache()
    storage.reset_clients()
    yield
    storage.reset_clients()


def test_ready_names_the_failed_dependency(fresh_db, dead_storage):
    with TestClient(create_app()) as client:
        r = client.get("/api/health/ready")
    assert r.status_code == 503
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["failed"] == ["storage"]
    assert body["checks"]["postgresql"]["ok"] is True
