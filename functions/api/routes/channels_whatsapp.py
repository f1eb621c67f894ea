"""WhatsApp Business webhooks (Meta Cloud API and 360dialog send the same body).

GET: the subscription check (`hub.challenge` echoed when `hub.verify_token` is ours, else 403). POST: inbound
messages and delivery statuses, signed with X-Hub-Signature-256 over the raw body. The route only verifies,
stores and enqueues (the bot answers from the notifications queue), so the provider gets its 200 at once. Add
`?tenant=<slug>` to the URL configured at Meta when the deployment serves more than one tenant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from time import perf_counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse

from functions.api.problems import PROBLEM_JSON, ProblemError
from shared.application.conversations import intake
from shared.application.conversations.errors import MalformedChannelDelivery

router = APIRouter(prefix="/api/v1/channels/whatsapp", tags=["channels"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Firma no verificada; no se guardó nada", "content": {PROBLEM_JSON: {}}},
    400: {"description": "Cuerpo mal formado; no se guardó nada", "content": {PROBLEM_JSON: {}}},
    404: {"description": "Tenant desconocido", "content": {PROBLEM_JSON: {}}},
}


def inbound_enqueue() -> intake.Enqueue:
    """The handoff to the notifications queue (tests override this dependency)."""
    return intake.enqueue_inbound


@router.get(
    "",
    summary="Verificación de la suscripción del webhook (hub.challenge)",
    response_class=PlainTextResponse,
    responses={403: {"description": "Token de verificación incorrecto", "content": {PROBLEM_JSON: {}}}},
)
async def whatsapp_verify(
    mode: Annotated[str | None, Query(alias="hub.mode", max_length=32)] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token", max_length=256)] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge", max_length=256)] = None,
) -> PlainTextResponse:
    return PlainTextResponse(intake.verify_subscription(mode=mode, token=token, challenge=challenge))


@router.post("", summary="Mensajes entrantes y estados de entrega de WhatsApp", responses=_ERRORS)
async def whatsapp_webhook(
    request: Request,
    enqueue: Annotated[intake.Enqueue, Depends(inbound_enqueue)],
    tenant: Annotated[str | None, Query(max_length=63)] = None,
) -> JSONResponse:
    started = perf_counter()
    body = await request.body()
    try:
        result = await run_in_threadpool(
            intake.receive_whatsapp,
            body=body,
            signature=request.headers.get("x-hub-signature-256"),
            tenant_slug=tenant,
            now=datetime.now(UTC),
            enqueue=enqueue,
        )
    except MalformedChannelDelivery as exc:
        raise ProblemError(400, exc.code, exc.detail_es) from exc
    intake.record_ack(channel="whatsapp", seconds=perf_counter() - started)
    return JSONResponse(
        {"received": True, "messages": result.messages, "duplicates": result.duplicates, "statuses": result.statuses}
    )
