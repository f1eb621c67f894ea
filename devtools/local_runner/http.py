"""ASGI app: routes requests to httpTrigger functions and serves the Durable HTTP API.

Routes follow the Functions host: prefix `/api` (host.json `extensions.http.routePrefix`), ASP.NET-style templates
`{name}`, optional `{name?}`, constrained `{id:int}` and catch-all `{*rest}`, case-insensitive, literal segments
preferred over parameters. The handler gets a `func.HttpRequest`; its `func.HttpResponse` becomes the response.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from devtools.local_runner.durable.api import WEBHOOK_PATH, DurableHttpApi
from devtools.local_runner.index import FunctionIndex, IndexedFunction
from devtools.local_runner.invoke import FunctionInvoker, build_kwargs

log = logging.getLogger("devtools.local_runner.http")

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "double": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
}
_PARAM = re.compile(
    r"^\{(?P<star>\*)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<constraint>[A-Za-z]+)(?:\([^)]*\))?)?(?P<opt>\?)?\}$"
)


class InvalidRoute(ValueError):
    """A route template the runner cannot translate."""


@dataclass(frozen=True)
class CompiledRoute:
    template: str
    pattern: re.Pattern[str]
    methods: frozenset[str] | None
    function: IndexedFunction
    specificity: tuple[int, int, int]


def compile_route(template: str) -> tuple[re.Pattern[str], tuple[int, int, int]]:
    """Translate a Functions route template (without prefix) to a regex over the path after the prefix."""
    segments = [s for s in template.strip("/").split("/") if s]
    regex = ""
    literals = params = catch_all = 0
    for segment in segments:
        match = _PARAM.match(segment)
        if match is None:
            if "{" in segment:
                raise InvalidRoute(f"mixed literal/parameter segments are not supported: {segment!r} in {template!r}")
            regex += "/" + re.escape(segment)
            literals += 1
            continue
        name = match["name"]
        if match["star"]:
            regex += f"(?:/(?P<{name}>.*))?"
            catch_all += 1
            continue
        body = _CONSTRAINTS.get((match["constraint"] or "").lower(), r"[^/]+")
        params += 1
        if match["opt"]:
            regex += f"(?:/(?P<{name}>{body}))?"
        else:
            regex += f"/(?P<{name}>{body})"
    return re.compile(f"^{regex}/?$", re.IGNORECASE), (literals, -catch_all, params)


class RouteTable:
    def __init__(self, functions: list[IndexedFunction]) -> None:
        routes = []
        for f in functions:
            template = f.trigger.get("route") or f.name
            pattern, specificity = compile_route(template)
            methods = f.trigger.get("methods")
            allowed = frozenset(str(m).upper() for m in methods) if methods else None
            routes.append(CompiledRoute(template, pattern, allowed, f, specificity))
        self.routes = sorted(routes, key=lambda r: r.specificity, reverse=True)

    def match(self, path: str, method: str) -> tuple[CompiledRoute | None, dict[str, str], bool]:
        """(route, route params, path matched but method not allowed)."""
        wrong_method = False
        for route in self.routes:
            m = route.pattern.match(path)
            if m is None:
                continue
            if route.methods is not None and method.upper() not in route.methods:
                wrong_method = True
                continue
            return route, {k: v for k, v in m.groupdict().items() if v is not None}, False
        return None, {}, wrong_method


def to_response(result: Any) -> Response:
    """`func.HttpResponse` (or a str/bytes/None return value) -> Starlette response."""
    if result is None:
        return Response(status_code=204)
    if isinstance(result, str | bytes):
        return Response(result, status_code=200, media_type="text/plain")
    if not isinstance(result, func.HttpResponse):
        raise TypeError(f"HTTP function returned {type(result).__name__}, expected func.HttpResponse")
    headers = dict(result.headers.items())
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = f"{result.mimetype}; charset={result.charset}" if result.mimetype else "text/plain"
    return Response(result.get_body(), status_code=result.status_code, headers=headers)


class FunctionsAsgiApp:
    """The ASGI application of the local host."""

    def __init__(
        self,
        index: FunctionIndex,
        invoker: FunctionInvoker,
        *,
        route_prefix: str = "api",
        durable_api: DurableHttpApi | None = None,
        client_binding: Callable[[], str] | None = None,
        outputs: Any = None,
    ) -> None:
        self.table = RouteTable(index.http)
        self.invoker = invoker
        self.prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
        self.durable_api = durable_api
        self.client_binding = client_binding
        self.outputs = outputs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if self.durable_api is not None and (path == WEBHOOK_PATH or path.startswith(WEBHOOK_PATH + "/")):
            sub = dict(scope)
            sub["path"] = path[len(WEBHOOK_PATH) :] or "/"
            sub["root_path"] = scope.get("root_path", "") + WEBHOOK_PATH
            await self.durable_api.router(sub, receive, send)
            return
        response = await self._dispatch(Request(scope, receive))
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        path = request.url.path
        if self.prefix:
            if not (path.lower() == self.prefix.lower() or path.lower().startswith(self.prefix.lower() + "/")):
                return Response("Not Found", status_code=404)
            path = path[len(self.prefix) :]
        route, params, wrong_method = self.table.match(path or "/", request.method)
        if route is None:
            return Response(
                "Method Not Allowed" if wrong_method else "Not Found", status_code=405 if wrong_method else 404
            )
        function = route.function
        http_request = func.HttpRequest(
            method=request.method,
            url=str(request.url),
            headers=dict(request.headers.items()),
            params=dict(request.query_params.items()),
            route_params=params,
            body=await request.body(),
        )
        values: dict[str, Any] = {function.trigger_arg: http_request}
        if function.durable_client_arg:
            if self.client_binding is None:
                return Response("durable client binding unavailable", status_code=500)
            values[function.durable_client_arg] = self.client_binding()
        outs = self.outputs.prepare(function) if self.outputs is not None and function.outputs else {}
        values.update(outs)
        try:
            result = await self.invoker.acall(
                function.user_function, build_kwargs(function.user_function, function.name, values)
            )
            response = to_response(result)
            if outs:
                await asyncio.to_thread(self.outputs.flush, function, outs)
        except Exception:  # the host answers 500 and logs the function's exception
            log.exception("HTTP function %s failed", function.name)
            return Response(f"Function '{function.name}' failed; see the host log.", status_code=500)
        return response
