"""Provider webhooks: Conekta events and SPEI (STP-style) abono notifications.

Fast and durable: verify, validate, write the inbox row, send the payments queue message, answer. Applying the
money happens in the `apply_payment` queue function. Add `?tenant=<slug>` to the URL configured at the provider
when the deployment serves more than one tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from functions.api.problems import PROBLEM_JSON, ProblemError
from shared.application import payments, queues
from shared.platform.config import get_settings

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Enqueue = Callable[[dict[str, Any]], None]


def _send_to_payments_queue(message: dict[str, Any]) -> None:
    queues.send(queue=get_settings().QUEUE_PAYMENTS, message=message)


def payments_enqueue() -> Enqueue:
    """The handoff to the payments queue (tests override this dependency)."""
    return _send_to_payments_queue


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Firma o origen no verificados; no se guardó nada", "content": {PROBLEM_JSON: {}}},
    400: {"description": "Cuerpo mal formado", "content": {PROBLEM_JSON: {}}},
    404: {"description": "Tenant desconocido", "content": {PROBLEM_JSON: {}}},
}


def _bad_request(exc: payments.MalformedDelivery) -> ProblemError:
    """Providers expect 400 for a body they sent wrong (not the API's 422); unverified deliveries (401) and unknown
    tenants (404) are answered by the app's error-kind handler."""
    return ProblemError(400, exc.code, exc.detail_es)


@router.post("/conekta", summary="Eventos de Conekta (pagos con tarjeta, OXXO y SPEI)", responses=_ERRORS)
async def conekta_webhook(
    request: Request,
    enqueue: Annotated[Enqueue, Depends(payments_enqueue)],
    tenant: Annotated[str | None, Query(max_length=63)] = None,
) -> JSONResponse:
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
    return JSONResponse({"received": True, "outcome": result.outcome, "event_id": result.event_id})


@router.post("/spei", summary="Notificaciones de abonos SPEI (STP)", responses=_ERRORS)
async def spei_webhook(
    request: Request,
    enqueue: Annotated[Enqueue, Depends(payments_enqueue)],
    tenant: Annotated[str | None, Query(max_length=63)] = None,
) -> JSONResponse:
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
