"""HTTP trigger that serves the whole FastAPI app through the Functions ASGI middleware.

It sits on the DFApp (not an AsgiFunctionApp) so the durable client binding stays available to API routes. The app
is wrapped in ProblemBoundary: an exception must never reach the Functions host, which would replace the API's
problem+json 500 with its own plain-text "Function 'http_api' failed".
"""

from __future__ import annotations

import azure.durable_functions as df
import azure.functions as func

from functions.api.app import create_app
from functions.api.middleware import ProblemBoundary
from functions.durable_client import current_client

bp = df.Blueprint()
_middleware: func.AsgiMiddleware | None = None


def asgi() -> func.AsgiMiddleware:
    global _middleware
    if _middleware is None:
        _middleware = func.AsgiMiddleware(ProblemBoundary(create_app()))
    return _middleware


@bp.route(
    route="{*route}",
    auth_level=func.AuthLevel.ANONYMOUS,
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"],
)
@bp.durable_client_input(client_name="client")
async def http_api(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    token = current_client.set(client)
    try:
        return await asgi().handle_async(req)
    finally:
        current_client.reset(token)
