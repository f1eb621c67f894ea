"""Twilio Voice webhooks (form-encoded, X-Twilio-Signature): the incoming call, each speech transcript and the
reply polls, all answered with TwiML (es-MX). Configure `POST {public base}/api/v1/channels/voice?tenant=<slug>`
as the number's voice URL."""

from __future__ import annotations

from datetime import UTC, datetime
from time import perf_counter
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from functions.api.problems import PROBLEM_JSON, ProblemError
from shared.application.conversations import intake, voice
from shared.application.conversations.errors import MalformedChannelDelivery
from shared.platform.config import get_settings

router = APIRouter(
    prefix=voice.BASE_PATH,
    tags=["channels"],
    responses={
        400: {"description": "Solicitud mal formada; no se guardó nada", "content": {PROBLEM_JSON: {}}},
        401: {"description": "Firma de Twilio no verificada; no se guardó nada", "content": {PROBLEM_JSON: {}}},
        404: {"description": "Tenant desconocido", "content": {PROBLEM_JSON: {}}},
    },
)
TWIML = "application/xml"


def voice_enqueue() -> intake.Enqueue:
    return intake.enqueue_inbound


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    """The POST parameters and the URLs Twilio may have signed (the public one behind Front Door, the app's own)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    params = dict(parse_qsl(body, keep_blank_values=True))
    urls = [str(request.url)]
    base = get_settings().PUBLIC_BASE_URL.rstrip("/")
    if base:
        query = f"?{request.url.query}" if request.url.query else ""
        urls.append(f"{base}{request.url.path}{query}")
    return params, urls


def _twiml(xml: str) -> Response:
    return Response(content=xml, media_type=TWIML)


@router.post("", summary="Llamada entrante (Twilio): menú por voz", response_class=Response)
async def voice_call(request: Request, tenant: Annotated[str | None, Query(max_length=63)] = None) -> Response:
    params, urls = await _form(request)
    try:
        xml = await run_in_threadpool(
            voice.call_started,
            params=params,
            urls=urls,
            signature=request.headers.get("x-twilio-signature"),
            tenant_slug=tenant,
            now=datetime.now(UTC),
        )
    except MalformedChannelDelivery as exc:
        raise ProblemError(400, exc.code, exc.detail_es) from exc
    return _twiml(xml)


@router.post("/speech", summary="Transcripción de lo que dijo el cliente (Gather)", response_class=Response)
async def voice_speech(
    request: Request,
    enqueue: Annotated[intake.Enqueue, Depends(voice_enqueue)],
    tenant: Annotated[str | None, Query(max_length=63)] = None,
) -> Response:
    started = perf_counter()
    params, urls = await _form(request)
    try:
        xml = await run_in_threadpool(
            voice.speech_received,
            params=params,
            urls=urls,
            signature=request.headers.get("x-twilio-signature"),
            idempotency_token=request.headers.get("i-twilio-idempotency-token"),
            tenant_slug=tenant,
            now=datetime.now(UTC),
            enqueue=enqueue,
        )
    except MalformedChannelDelivery as exc:
        raise ProblemError(400, exc.code, exc.detail_es) from exc
    intake.record_ack(channel="voice", seconds=perf_counter() - started)
    return _twiml(xml)


@router.post("/reply", summary="Respuesta del asistente, cuando esté lista", response_class=Response)
async def voice_reply(
    request: Request,
    message_id: Annotated[int, Query(ge=1)],
    poll: Annotated[int, Query(ge=0, le=100)] = 0,
    tenant: Annotated[str | None, Query(max_length=63)] = None,
) -> Response:
    params, urls = await _form(request)
    try:
        xml = await run_in_threadpool(
            voice.reply_ready,
            params=params,
            urls=urls,
            signature=request.headers.get("x-twilio-signature"),
            tenant_slug=tenant,
            message_id=message_id,
            poll=poll,
        )
    except MalformedChannelDelivery as exc:
        raise ProblemError(400, exc.code, exc.detail_es) from exc
    return _twiml(xml)
