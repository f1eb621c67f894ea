"""Every API request writes one log line with the standard fields: correlationId, tenant and userId (the token's
subject) bound for the request, route, status and duration_ms."""

from __future__ import annotations

import io
import json
import logging

from shared.platform.logging import ContextFilter, JsonFormatter, PiiFilter
from tests.api_v1.conftest import _reset_caches, as_op, auth, client, signing_key, world  # noqa: F401 - fixtures


def test_request_log_line_carries_correlation_tenant_user_and_duration(client, as_op) -> None:  # noqa: F811
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(PiiFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("functions.api.middleware")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        response = client.get("/api/v1/accounts", headers={**as_op, "X-Correlation-ID": "req-abc123"})
        client.get("/api/health")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    lines = [json.loads(x) for x in stream.getvalue().splitlines() if '"http request"' in x]
    authed = next(x for x in lines if x["route"] == "/api/v1/accounts")
    assert response.headers["X-Correlation-ID"] == "req-abc123" == authed["correlationId"]
    assert authed["tenant"] == "cea" and authed["userId"] and authed["userId"].startswith("user:")
    assert authed["status"] == str(response.status_code) and authed["duration_ms"] >= 0
    anonymous = next(x for x in lines if x["route"] == "/api/health")
    assert anonymous["userId"] is None and anonymous["correlationId"] != "req-abc123"
