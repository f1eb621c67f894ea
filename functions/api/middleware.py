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
from shared.domain.payments.bounds import TooDeep, check_depth
from shared.platform import context
from shared.platform.metrics import http_request_duration_seconds, http_requests_total

CORRELATION_HEADER = b"x-correlation-id"
MAX_JSON_DEPTH = 64
"""JSON request bodies nesting deeper than this are refused (400) before any parser sees them: Python's json
recursion would otherwise fail with RecursionError."""
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

    @staticmethod
    def _too_deep() -> Any:
        return problem_response(
            400, "json_too_deep", f"El cuerpo JSON anida más de {MAX_JSON_DEPTH} niveles de listas u objetos."
        )

    async def _receive_checked(self, receive: Receive, state: dict[str, Any], *, json_body: bool) -> Message:
        """The request body, emptied when it is over the size limit (streamed without an honest length) or, for
        JSON, nests deeper than MAX_JSON_DEPTH; a JSON body is gathered whole (Starlette reads it whole anyway)
        so its depth is checked before any parser sees it."""
        empty: Message = {"type": "http.request", "body": b"", "more_body": False}
        message = await receive()
        if message["type"] != "http.request" or state["too_large"] or state["too_deep"]:
            return message
        parts = [message.get("body", b"")]
        state["received"] += len(parts[0])
        while json_body and message.get("more_body") and state["received"] <= self.max_body_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return message
            parts.append(message.get("body", b""))
            state["received"] += len(parts[-1])
        if state["received"] > self.max_body_bytes:
            state["too_large"] = True
            return empty
        if not json_body:
            return message
        body = b"".join(parts)
        try:
            check_depth(body=body, max_depth=MAX_JSON_DEPTH)
        except TooDeep:
            state["too_deep"] = True
            return empty
        return {"type": "http.request", "body": body, "more_body": False}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(CORRELATION_HEADER, b"").decode("latin-1") or None
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "too_large": False, "too_deep": False, "received": 0, "started": False}
        json_body = b"json" in headers.get(b"content-type", b"").lower()
        with context.bound(correlation=incoming) as cid:
            scope.setdefault("state", {})["correlation_id"] = cid

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    state["status"], state["started"] = message["status"], True
                    message["headers"] = [*message.get("headers", []), (CORRELATION_HEADER, cid.encode())]
                await send(message)

            async def send_unless_too_large(message: Message) -> None:
                if state["too_large"] or state["too_deep"]:  # the app answered an emptied body: answer 413/400
                    if message["type"] == "http.response.start":
                        response = self._too_large() if state["too_large"] else self._too_deep()
                        start = {"type": "http.response.start", "status": response.status_code}
                        await send_with_id({**start, "headers": response.raw_headers})
                        await send({"type": "http.response.body", "body": response.body})
                    return
                await send_with_id(message)

            async def limited_receive() -> Message:
                return await self._receive_checked(receive, state, json_body=json_body)

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
