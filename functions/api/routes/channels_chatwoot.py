"""Chatwoot (AGORA) agent-bot webhook: operators' replies, conversation status changes (open = a human owns it,
resolved = closed) and web-widget messages. Signed with X-Chatwoot-Signature over "{timestamp}.{raw body}";
deliveries with a stale X-Chatwoot-Timestamp are refused (401). Stores and enqueues; answers at once."""

from __future__ import annotations

from datetime import UTC, datetime
from time import perf_counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from functions.api.problems import PROBLEM_JSON, ProblemError
from shared.application.conversations import agora, intake
from shared.application.conversations.errors import MalformedChannelDelivery

router = APIRouter(prefix="/api/v1/channels/chatwoot", tags=["channels"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Firma no verificada o entrega vencida; no se guardó nada", "content": {PROBLEM_JSON: {}}},
    400: {"description": "Cuerpo mal formado; no se guardó nada", "content": {PROBLEM_JSON: {}}},
}


def chatwoot_enqueue() -> intake.Enqueue:
    return intake.enqueue_inbound


@router.post("", summary="Webhook del agente bot de Chatwoot (AGORA)", responses=_ERRORS)
async def chatwoot_webhook(
    request: Request,
    enqueue: Annotated[intake.Enqueue, Depends(chatwoot_enqueue)],
    tenant: Annotated[str | None, Query(max_length=63)] = None,
) -> JSONResponse:
    started = perf_counter()
    body = await request.body()
    try:
        result = await run_in_threadpool(
            agora.receive_chatwoot,
            body=body,
            signature=request.headers.get("x-chatwoot-signature"),
            timestamp=request.headers.get("x-chatwoot-timestamp"),
            tenant_slug=tenant,
            now=datetime.now(UTC),
            enqueue=enqueue,
        )
    except MalformedChannelDelivery as exc:
        raise ProblemError(400, exc.code, exc.detail_es) from exc
    intake.record_ack(channel="chatwoot", seconds=perf_counter() - started)
    return JSONResponse({"received": True, "outcome": result.outcome})
