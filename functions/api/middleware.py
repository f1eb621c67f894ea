"""ASGI middleware: correlation id, request size limit, HTTP metrics. Pure ASGI (no BaseHTTPMiddleware) to keep
the per-request cost low."""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.api.problems import problem_response
from shared.platform import context
from shared.platform.metrics import http_request_duration_seconds, http_requests_total

CORRELATION_HEADER = b"x-correlation-id"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(CORRELATION_HEADER, b"").decode("latin-1") or None
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500}
        with context.bound(correlation=incoming) as cid:
            scope.setdefault("state", {})["correlation_id"] = cid

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status_holder["status"] = message["status"]
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (CORRELATION_HEADER, cid.encode())]
                await send(message)

            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                response = problem_response(413, "payload_too_large",
                                            f"El cuerpo excede el máximo de {self.max_body_bytes} bytes.")
                await response(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        attrs = {"method": scope.get("method", ""), "route": path, "status": str(status_holder["status"])}
        http_requests_total.add(1, attrs)
        http_request_duration_seconds.record(time.perf_counter() - started, attrs)
