"""ASGI middleware: correlation id, Front Door lock, request size limit, HTTP metrics, and the 500 answer. Pure ASGI
(no BaseHTTPMiddleware) to keep the per-request cost low.

An exception no handler answered never leaves the app: RequestContextMiddleware answers it with the problem+json
500 carrying the request's correlation id (inside its context, so body and header agree), and ProblemBoundary, the
outermost layer the Functions ASGI adapter calls, does the same for anything raised outside it. Re-raising would
make the Functions host replace the answer with its plain-text "Function 'http_api' failed"."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from functions.api.problems import internal_error, problem_response
from shared.platform import context
from shared.platform.metrics import http_request_duration_seconds, http_requests_total

CORRELATION_HEADER = b"x-correlation-id"
log = logging.getLogger(__name__)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, front_door_id: str = "") -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.front_door_id = front_door_id

    def _refusal(self, headers: dict[bytes, bytes]) -> Any:
        if self.front_door_id and not hmac.compare_digest(
            headers.get(b"x-azure-fdid", b"").decode("latin-1"), self.front_door_id
        ):
            return problem_response(403, "front_door_required", "La solicitud debe llegar a través de Front Door.")
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return self._too_large()
        return None

    def _too_large(self) -> Any:
        return problem_response(413, "payload_too_large", f"El cuerpo excede el máximo de {self.max_body_bytes} bytes.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(CORRELATION_HEADER, b"").decode("latin-1") or None
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "too_large": False, "received": 0, "started": False}
        with context.bound(correlation=incoming) as cid:
            scope.setdefault("state", {})["correlation_id"] = cid

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    state["status"], state["started"] = message["status"], True
                    message["headers"] = [*message.get("headers", []), (CORRELATION_HEADER, cid.encode())]
                await send(message)

            async def send_unless_too_large(message: Message) -> None:
                if state["too_large"]:  # the app answered a truncated body: answer 413 instead
                    if message["type"] == "http.response.start":
                        response = self._too_large()
                        await send_with_id(
                            {"type": "http.response.start", "status": 413, "headers": response.raw_headers}
                        )
                        await send({"type": "http.response.body", "body": response.body})
                    return
                await send_with_id(message)

            async def limited_receive() -> Message:
                message = await receive()
                if message["type"] == "http.request" and not state["too_large"]:
                    state["received"] += len(message.get("body", b""))
                    if state["received"] > self.max_body_bytes:  # streamed body without an honest length
                        state["too_large"] = True
                        return {"type": "http.request", "body": b"", "more_body": False}
                return message

            refusal = self._refusal(headers)
            try:
                if refusal is not None:
                    await refusal(scope, receive, send_with_id)
                else:
                    await self.app(scope, limited_receive, send_unless_too_large)
            except Exception:
                log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                if not state["started"]:
                    await internal_error(instance=scope.get("path"))(scope, receive, send_with_id)
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            attrs = {"method": scope.get("method", ""), "route": path, "status": str(state["status"])}
            elapsed = time.perf_counter() - started
            # one line per request, inside the bound context: correlationId, tenant and userId (token subject)
            log.info("http request", extra={**attrs, "duration_ms": round(elapsed * 1000, 3)})
        http_requests_total.add(1, attrs)
        http_request_duration_seconds.record(elapsed, attrs)


class ProblemBoundary:
    """The outermost ASGI layer: whatever escapes the app is logged and answered with the problem+json 500 (when
    nothing was sent yet), never raised to the Functions host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("error outside the API app on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                incoming = dict(scope.get("headers") or []).get(CORRELATION_HEADER, b"").decode("latin-1") or None
                with context.bound(correlation=incoming) as cid:
                    response = internal_error(instance=scope.get("path"))
                    response.headers[CORRELATION_HEADER.decode()] = cid
                    await response(scope, receive, send)
