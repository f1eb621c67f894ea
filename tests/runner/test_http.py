"""HTTP triggers through the local ASGI server: routing, route params, request/response mapping."""

from __future__ import annotations

import httpx
import pytest

from devtools.local_runner.host import LocalHost


@pytest.fixture
def http(sample_host: LocalHost):
    with httpx.Client(base_url=sample_host.base_url, timeout=10) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/api/hello", 200, "Hola, mundo"),
        ("/api/hello/Ana", 200, "Hola, Ana"),
        ("/api/hello?name=Beto", 200, "Hola, Beto"),
        ("/api/items/42", 200, '{"item_id": 42, "type": "str"}'),
        ("/api/items/cuarenta", 404, None),
        ("/api/files/cfdi/2025/A1.xml", 200, '{"path": "cfdi/2025/A1.xml"}'),
        ("/api/nothing-here", 404, None),
        ("/hello", 404, None),  # outside the route prefix
    ],
)
def test_routes(http: httpx.Client, path: str, status: int, body: str | None) -> None:
    response = http.get(path)
    assert response.status_code == status
    if body is not None:
        assert response.text == body


def test_request_and_response_mapping(http: httpx.Client, sample_host: LocalHost) -> None:
    response = http.put("/api/echo?x=1", json={"monto": "10.50"}, headers={"X-Test": "si"})
    assert response.status_code == 201
    assert response.headers["x-echo"] == "1"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["method"] == "PUT" and body["json"] == {"monto": "10.50"} and body["params"] == {"x": "1"}
    assert body["header"] == "si"
    assert body["url"] == f"{sample_host.base_url}/api/echo?x=1"


def test_method_not_allowed(http: httpx.Client) -> None:
    assert http.get("/api/echo").status_code == 405
