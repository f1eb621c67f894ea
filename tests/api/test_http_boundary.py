"""Issue 13 item 6: every 5xx is a problem+json with the correlation id, through the real HTTP trigger path
(functions.http_api → azure.functions.AsgiMiddleware → the FastAPI app). Before, Starlette re-raised after its
handler answered, and the Functions host replaced the answer with a plain-text "Function 'http_api' failed"."""

from __future__ import annotations

import asyncio
import json

import azure.functions as func
import pytest
from fastapi import FastAPI

from functions import http_api
from functions.api.app import create_app
from functions.api.middleware import ProblemBoundary


def _app_with_failures() -> FastAPI:
    app = create_app()

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    @app.get("/api/boom-async")
    async def boom_async() -> None:
        raise KeyError("missing")

    return app


@pytest.fixture
def trigger(monkeypatch):
    monkeypatch.setattr(http_api, "_middleware", None)
    monkeypatch.setattr(http_api, "create_app", _app_with_failures)
    yield http_api.asgi()


def _get(middleware: func.AsgiMiddleware, path: str, headers: dict[str, str] | None = None) -> func.HttpResponse:
    req = func.HttpRequest("GET", f"http://localhost{path}", headers=headers or {}, body=b"")
    return asyncio.run(middleware.handle_async(req))


@pytest.mark.parametrize("path", ["/api/boom", "/api/boom-async"])
def test_unhandled_exception_is_problem_json_500_with_correlation_id(trigger, path):
    r = _get(trigger, path, {"X-Correlation-ID": "corr-500"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    body = json.loads(r.get_body())
    assert body["code"] == "internal_error" and body["correlation_id"] == "corr-500"
    assert r.headers["x-correlation-id"] == "corr-500" and "interno" in body["detail"]


def test_generated_correlation_id_matches_header_and_body(trigger):
    r = _get(trigger, "/api/boom")
    body = json.loads(r.get_body())
    assert body["correlation_id"] and body["correlation_id"] == r.headers["x-correlation-id"]


def test_boundary_answers_for_errors_outside_the_app():
    async def broken(scope, receive, send):
        raise RuntimeError("middleware bug")

    r = _get(func.AsgiMiddleware(ProblemBoundary(broken)), "/api/x", {"X-Correlation-ID": "outer-1"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/problem+json")
    assert json.loads(r.get_body())["correlation_id"] == "outer-1"


def test_boundary_keeps_an_answer_already_started():
    async def half(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        raise RuntimeError("after the answer")

    r = _get(func.AsgiMiddleware(ProblemBoundary(half)), "/api/x")
    assert r.status_code == 200 and r.get_body() == b"ok"
