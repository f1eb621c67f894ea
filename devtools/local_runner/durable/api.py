"""The Durable extension's HTTP API (and the client binding that points at it), served by the local runner.

`df.DurableOrchestrationClient` talks HTTP to the extension: `{rpcBaseUrl}orchestrators/{name}[/{id}]` (start),
`instances/{id}` (status, purge), `instances/{id}/raiseEvent/{event}`, `instances/{id}/terminate`, and builds
check-status responses from the binding's `managementUrls`. The runner mounts this API under
`/runtime/webhooks/durabletask/` and uses that same base as `rpcBaseUrl`, so the client code runs unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from devtools.local_runner.durable.engine import DuplicateInstance, DurableEngine, InstanceGone
from devtools.local_runner.durable.history import parse_ts
from devtools.local_runner.durable.store import InstanceRecord, RuntimeStatus
from devtools.local_runner.index import UnknownFunction

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
ID_PLACEHOLDER = "INSTANCEID"


def client_binding(base_url: str, hub_name: str, connection: str = "Storage") -> str:
    """The JSON string the Functions host passes to a `durableClient` input binding."""
    hook = f"{base_url.rstrip('/')}{WEBHOOK_PATH}"
    tail = f"taskHub={hub_name}&connection={connection}"
    instance = f"{hook}/instances/{ID_PLACEHOLDER}"
    return json.dumps(
        {
            "taskHubName": hub_name,
            "creationUrls": {
                "createNewInstancePostUri": f"{hook}/orchestrators/{{functionName}}[/{{instanceId}}]?{tail}",
                "createAndWaitOnNewInstancePostUri": (
                    f"{hook}/orchestrators/{{functionName}}[/{{instanceId}}]?timeout={{timeoutInSeconds}}"
                    f"&pollingInterval={{intervalInSeconds}}&{tail}"
                ),
            },
            "managementUrls": management_urls(instance, tail, ID_PLACEHOLDER),
            "rpcBaseUrl": f"{hook}/",
            "requiresHttp": False,
        }
    )


def management_urls(instance_url: str, tail: str, instance_id: str) -> dict[str, str]:
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{instance_url}?{tail}",
        "sendEventPostUri": f"{instance_url}/raiseEvent/{{eventName}}?{tail}",
        "terminatePostUri": f"{instance_url}/terminate?reason={{text}}&{tail}",
        "rewindPostUri": f"{instance_url}/rewind?reason={{text}}&{tail}",
        "purgeHistoryDeleteUri": f"{instance_url}?{tail}",
        "restartPostUri": f"{instance_url}/restart?{tail}",
        "suspendPostUri": f"{instance_url}/suspend?reason={{text}}&{tail}",
        "resumePostUri": f"{instance_url}/resume?reason={{text}}&{tail}",
    }


def _as_serialized_json(body: bytes) -> str | None:
    """Request body -> serialized JSON value (the Python client double-encodes: it posts a JSON string of JSON)."""
    if not body.strip():
        return None
    value = json.loads(body)
    if isinstance(value, str):
        try:
            json.loads(value)
            return value
        except json.JSONDecodeError:
            return json.dumps(value)
    return json.dumps(value)


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


class DurableHttpApi:
    """Starlette routes implementing the extension's instance-management HTTP API over a `DurableEngine`."""

    def __init__(self, engine: DurableEngine, base_url: Callable[[], str]) -> None:
        self.engine = engine
        self.base_url = base_url
        self.router = Router(
            routes=[
                Route("/orchestrators/{name}", self.start, methods=["POST"]),
                Route("/orchestrators/{name}/{instance_id}", self.start, methods=["POST"]),
                Route("/instances", self.list_instances, methods=["GET"]),
                Route("/instances/", self.list_instances, methods=["GET"]),
                Route("/instances", self.purge_many, methods=["DELETE"]),
                Route("/instances/", self.purge_many, methods=["DELETE"]),
                Route("/instances/{instance_id}", self.status, methods=["GET"]),
                Route("/instances/{instance_id}", self.purge, methods=["DELETE"]),
                Route("/instances/{instance_id}/raiseEvent/{event}", self.raise_event, methods=["POST"]),
                Route("/instances/{instance_id}/terminate", self.terminate, methods=["POST"]),
                Route("/instances/{instance_id}/{operation}", self.not_implemented, methods=["POST"]),
            ]
        )

    def _check_status_payload(self, instance_id: str) -> dict[str, str]:
        hook = f"{self.base_url().rstrip('/')}{WEBHOOK_PATH}"
        tail = f"taskHub={self.engine.hub_name}&connection=Storage"
        return management_urls(f"{hook}/instances/{quote(instance_id, safe='')}", tail, instance_id)

    async def start(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            input_json = _as_serialized_json(await request.body())
        except json.JSONDecodeError:
            return JSONResponse({"ExceptionMessage": "The request body must be JSON."}, status_code=400)
        try:
            instance_id, _ = self.engine.start_new(
                name, input_json, request.path_params.get("instance_id"), request.query_params.get("version")
            )
        except UnknownFunction:
            message = f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
            return JSONResponse({"ExceptionMessage": message}, status_code=400)
        except DuplicateInstance as exc:
            return JSONResponse({"ExceptionMessage": str(exc)}, status_code=409)
        payload = self._check_status_payload(instance_id)
        return JSONResponse(payload, status_code=202, headers={"Location": payload["statusQueryGetUri"]})

    async def status(self, request: Request) -> Response:
        record = self.engine.get(request.path_params["instance_id"])
        if record is None:
            return Response(status_code=404, media_type="application/json")
        body = record.to_status_json(
            show_input=request.query_params.get("showInput", "true").lower() != "false",
            show_history=_truthy(request.query_params.get("showHistory")),
        )
        if record.status in (RuntimeStatus.PENDING, RuntimeStatus.RUNNING):
            code = 202
        elif record.status is RuntimeStatus.FAILED and _truthy(
            request.query_params.get("returnInternalServerErrorOnFailure")
        ):
            code = 500
        else:
            code = 200
        headers = (
            {"Location": self._check_status_payload(record.instance_id)["statusQueryGetUri"]} if code == 202 else {}
        )
        return JSONResponse(body, status_code=code, headers=headers)

    def _filtered(self, request: Request) -> list[InstanceRecord]:
        q = request.query_params
        statuses = {s.strip() for s in q.get("runtimeStatus", "").split(",") if s.strip()}
        prefix = q.get("instanceIdPrefix")
        created_from = parse_ts(q["createdTimeFrom"]) if q.get("createdTimeFrom") else None
        created_to = parse_ts(q["createdTimeTo"]) if q.get("createdTimeTo") else None
        result = []
        for record in self.engine.store.all():
            if statuses and record.status.value not in statuses:
                continue
            if prefix and not record.instance_id.startswith(prefix):
                continue
            if created_from and record.created < created_from:
                continue
            if created_to and record.created >= created_to:
                continue
            result.append(record)
        return result

    async def list_instances(self, request: Request) -> Response:
        show_input = _truthy(request.query_params.get("showInput"))
        return JSONResponse([r.to_status_json(show_input=show_input) for r in self._filtered(request)])

    async def purge(self, request: Request) -> Response:
        deleted = self.engine.purge(request.path_params["instance_id"])
        if not deleted:
            return Response(status_code=404, media_type="application/json")
        return JSONResponse({"instancesDeleted": deleted})

    async def purge_many(self, request: Request) -> Response:
        deleted = sum(self.engine.purge(r.instance_id) for r in self._filtered(request))
        if not deleted:
            return Response(status_code=404, media_type="application/json")
        return JSONResponse({"instancesDeleted": deleted})

    async def raise_event(self, request: Request) -> Response:
        instance_id = request.path_params["instance_id"]
        try:
            data = _as_serialized_json(await request.body())
        except json.JSONDecodeError:
            return JSONResponse({"message": "Only application/json request content is supported"}, status_code=400)
        try:
            self.engine.raise_event(instance_id, request.path_params["event"], data)
        except KeyError:
            return Response(status_code=404, media_type="application/json")
        except InstanceGone:
            return Response(status_code=410, media_type="application/json")
        return Response(status_code=202, media_type="application/json")

    async def terminate(self, request: Request) -> Response:
        try:
            self.engine.terminate(request.path_params["instance_id"], request.query_params.get("reason", ""))
        except KeyError:
            return Response(status_code=404, media_type="application/json")
        except InstanceGone:
            return Response(status_code=410, media_type="application/json")
        return Response(status_code=202, media_type="application/json")

    async def not_implemented(self, request: Request) -> Response:
        operation = request.path_params["operation"]
        body: dict[str, Any] = {"message": f"'{operation}' is not implemented by the local runner"}
        return JSONResponse(body, status_code=501)
