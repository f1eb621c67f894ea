import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from shared.platform.config import reset_settings_cache


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setenv("MAX_REQUEST_BYTES", "1000")
    reset_settings_cache()
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c
    reset_settings_cache()


def test_liveness(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_correlation_id_is_generated_and_echoed(client):
    generated = client.get("/api/health").headers["x-correlation-id"]
    assert len(generated) == 32
    assert client.get("/api/health", headers={"X-Correlation-ID": "req-abc"}).headers["x-correlation-id"] == "req-abc"


def test_hostile_correlation_id_is_replaced(client):
    r = client.get("/api/health", headers={"X-Correlation-ID": "bad value; with spaces"})
    assert r.headers["x-correlation-id"] != "bad value; with spaces"


def test_unknown_route_is_problem_json(client):
    r = client.get("/api/nope", headers={"X-Correlation-ID": "c-1"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 404 and body["code"] == "http_404" and body["correlation_id"] == "c-1"
    assert "recurso" in body["detail"]


def test_oversized_body_is_refused(client):
    r = client.post("/api/health", content=b"x" * 2000)
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


def test_openapi_is_served(client):
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/health/ready" in spec["paths"]


def test_streamed_body_over_the_limit_is_refused(client):
    def chunks():
        for _ in range(5):
            yield b"x" * 400

    r = client.post("/api/v1/readings/batch", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


def test_front_door_lock_covers_every_route(monkeypatch):
    monkeypatch.setenv("FRONT_DOOR_ID", "fd-123")
    reset_settings_cache()
    with TestClient(create_app()) as c:
        assert c.get("/api/health").status_code == 403
        assert c.post("/api/v1/webhooks/conekta").status_code == 403
        assert c.get("/api/health", headers={"X-Azure-FDID": "fd-123"}).status_code == 200
    reset_settings_cache()
