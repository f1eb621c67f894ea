"""Provider webhooks: Conekta events and SPEI (STP-style) abono notifications.

Fast and durable: check the content type, verify, validate, write the inbox row, send the payments queue message,
answer. Applying the money happens in the `apply_payment` queue function.

Routing to a tenant: configure each provider with the tenant's own URL, `/api/v1/webhooks/{tenant}/conekta` and
`/api/v1/webhooks/{tenant}/spei`. The tenant-less `/api/v1/webhooks/conekta` (and `?tenant=<slug>`) still works
while the deployment has exactly one tenant. A verified delivery whose tenant cannot be found is held (202 for
Conekta; SPEI gets its usual answer) in `webhook_unrouted` for an operator to redrive
(`manage.py webhooks unrouted`, `manage.py webhooks redrive --id N --tenant <slug>`), never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from functions.api.problems import PROBLEM_JSON, ProblemError
from shared.application import payments, queues
from shared.platform.config import get_settings

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Enqueue = Callable[[dict[str, Any]], None]
JSON_MEDIA_TYPE = "application/json"


def _send_to_payments_queue(message: dict[str, Any]) -> None:
    queues.send(queue=get_settings().QUEUE_PAYMENTS, message=message)


def payments_enqueue() -> Enqueue:
    """The handoff to the payments queue (tests override this dependency)."""
    return _send_to_payments_queue


def require_json(request: Request) -> None:
    """Conekta and STP post `application/json` (parameters such as charset allowed); anything else is 415."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise ProblemError(
            415,
            "unsupported_media_type",
            "La notificación debe enviarse con Content-Type: application/json.",
        )


_ERRORS: dict[int | str, dict[str, Any]] = {
    202: {"description": "Verificada pero sin organismo identificable: retenida para reenvío"},
    400: {"description": "Cuerpo mal formado, o datos rechazados (quedan registrados)", "content": {PROBLEM_JSON: {}}},
    401: {"description": "Firma o origen no verificados; no se guardó nada", "content": {PROBLEM_JSON: {}}},
    404: {"description": "Slug de organismo imposible (no se guardó nada)", "content": {PROBLEM_JSON: {}}},
    415: {"description": "Content-Type distinto de application/json", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Slug de organismo con caracteres no permitidos", "content": {PROBLEM_JSON: {}}},
}
Json = Annotated[None, Depends(require_json)]
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
TenantPath = Annotated[str, Path(max_length=63, pattern=SLUG_PATTERN, description="Slug del organismo operador")]
TenantQuery = Annotated[str | None, Query(max_length=63, pattern=SLUG_PATTERN)]


def _bad_request(exc: payments.MalformedDelivery) -> ProblemError:
    """Providers expect 400 for a body they sent wrong (not the API's 422); unverified deliveries (401) are
    answered by the app's error-kind handler."""
    return ProblemError(400, exc.code, exc.detail_es)


async def _conekta(request: Request, enqueue: Enqueue, tenant: str | None) -> JSONResponse:
    body = await request.body()
    try:
        result = await run_in_threadpool(
            payments.receive_conekta,
            body=body,
            digest=request.headers.get("digest"),
            tenant_slug=tenant,
            enqueue=enqueue,
        )
    except payments.MalformedDelivery as exc:
        raise _bad_request(exc) from exc
    if result.outcome == "rejected":
        raise ProblemError(
            400,
            "webhook_rejected",
            f"La notificación fue rechazada y quedó registrada: {result.reason}",
            extra={"event_id": result.event_id},
        )
    answer: dict[str, Any] = {"received": True, "outcome": result.outcome, "event_id": result.event_id}
    if result.outcome == "held":
        return JSONResponse({**answer, "held_id": result.held_id}, status_code=202)
    return JSONResponse(answer)


async def _spei(request: Request, enqueue: Enqueue, tenant: str | None) -> JSONResponse:
    body = await request.body()
    client_ip = request.client.host if request.client else None
    try:
        result = await run_in_threadpool(
            payments.receive_spei,
            body=body,
            signature=request.headers.get(payments.SPEI_SIGNATURE_HEADER),
            client_ip=client_ip,
            tenant_slug=tenant,
            enqueue=enqueue,
        )
    except payments.MalformedDelivery as exc:
        raise _bad_request(exc) from exc
    return JSONResponse(result.answer)


@router.post("/{tenant}/conekta", summary="Eventos de Conekta de un organismo operador", responses=_ERRORS)
async def conekta_tenant_webhook(
    request: Request, _json: Json, tenant: TenantPath, enqueue: Annotated[Enqueue, Depends(payments_enqueue)]
) -> JSONResponse:
    return await _conekta(request, enqueue, tenant)


@router.post("/{tenant}/spei", summary="Abonos SPEI (STP) de un organismo operador", responses=_ERRORS)
async def spei_tenant_webhook(
    request: Request, _json: Json, tenant: TenantPath, enqueue: Annotated[Enqueue, Depends(payments_enqueue)]
) -> JSONResponse:
    return await _spei(request, enqueue, tenant)


@router.post("/conekta", summary="Eventos de Conekta (despliegue de un solo organismo)", responses=_ERRORS)
async def conekta_webhook(
    request: Request,
    _json: Json,
    enqueue: Annotated[Enqueue, Depends(payments_enqueue)],
    tenant: TenantQuery = None,
) -> JSONResponse:
    return await _conekta(request, enqueue, tenant)


@router.post("/spei", summary="Abonos SPEI (despliegue de un solo organismo)", responses=_ERRORS)
async def spei_webhook(
    request: Request,
    _json: Json,
    enqueue: Annotated[Enqueue, Depends(payments_enqueue)],
    tenant: TenantQuery = None,
) -> JSONResponse:
    return await _spei(request, enqueue, tenant)
