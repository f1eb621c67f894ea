"""Twilio Voice into the same conversation model and bot: the incoming call is answered with a speech
<Gather language="es-MX">; each transcript (SpeechResult) is stored as an inbound message and answered by the
notifications queue worker like any other channel, while the call waits on short <Pause>/<Redirect> polls (the
responder never runs in the webhook's request path); the reply is spoken with <Say>, and a handoff ("hablar con
un asesor") dials the call centre. Every webhook is checked against X-Twilio-Signature."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

from shared.adapters.twilio import Twiml, verify_signature
from shared.application.conversations.errors import ChannelNotConfigured, MalformedChannelDelivery, WebhookNotVerified
from shared.application.conversations.intake import Enqueue, enqueue_inbound
from shared.application.conversations.menu import MENU_TEXT
from shared.application.payments.intake import resolve_tenant
from shared.data import conversations as store
from shared.data import db
from shared.platform.config import get_settings
from shared.platform.metrics import conversation_inbound_messages_total
from shared.platform.secrets import SecretNotFound, get_secret

__all__ = ["BASE_PATH", "call_started", "reply_ready", "speech_received"]

log = logging.getLogger(__name__)
BASE_PATH = "/api/v1/channels/voice"
MAX_POLLS = 15
_MARKERS = re.compile(r"\s*\[[^\]]*\]")  # one-second pauses while the bot answers


def speakable(text: str) -> str:
    """The bot's text for the ear: options are said, not typed."""
    spoken = _MARKERS.sub("", text).replace("Escriba", "Diga").replace("escriba", "diga")
    return " ".join(spoken.split())


def _verify(*, urls: Sequence[str], params: Mapping[str, str], signature: str | None) -> None:
    try:
        token = get_secret("twilio-auth-token")
    except SecretNotFound as exc:
        raise ChannelNotConfigured("twilio-auth-token") from exc
    # Twilio signs the URL it called: the public one (Front Door) or, locally, the app's own.
    if not any(verify_signature(url=u, params=params, signature=signature, auth_token=token) for u in urls):
        raise WebhookNotVerified("bad or missing X-Twilio-Signature")


def _url(path: str, tenant_slug: str | None, **query: str | int) -> str:
    q = {**({"tenant": tenant_slug} if tenant_slug else {}), **{k: str(v) for k, v in query.items()}}
    return f"{BASE_PATH}{path}" + (f"?{urlencode(q)}" if q else "")


def _call_sid(params: Mapping[str, str]) -> str:
    sid = params.get("CallSid", "")
    if not sid.startswith("CA") or len(sid) > 64:
        raise MalformedChannelDelivery("CallSid missing or malformed")
    return sid


def call_started(
    *, params: Mapping[str, str], urls: Sequence[str], signature: str | None, tenant_slug: str | None, now: datetime
) -> str:
    _verify(urls=urls, params=params, signature=signature)
    sid = _call_sid(params)
    tenant_id = resolve_tenant(slug=tenant_slug)
    with db.tenant_transaction(tenant_id) as conn:
        store.open_conversation(conn, channel="voice", external_id=sid, now=now)
    prompt = "Bienvenido a la CEA Querétaro. " + speakable(MENU_TEXT.split("\n", 1)[1])
    return Twiml().gather(action=_url("/speech", tenant_slug), prompt=prompt).redirect(_url("", tenant_slug)).xml()


def speech_received(
    *,
    params: Mapping[str, str],
    urls: Sequence[str],
    signature: str | None,
    idempotency_token: str | None,
    tenant_slug: str | None,
    now: datetime,
    enqueue: Enqueue | None = None,
) -> str:
    _verify(urls=urls, params=params, signature=signature)
    sid = _call_sid(params)
    transcript = params.get("SpeechResult", "").strip()
    gather = _url("/speech", tenant_slug)
    if not transcript:
        return Twiml().gather(action=gather, prompt="No le escuché. ¿Qué desea hacer?").xml()
    tenant_id = resolve_tenant(slug=tenant_slug)
    key = idempotency_token or hashlib.sha256(f"{sid}|{sorted(params.items())}".encode()).hexdigest()
    with db.tenant_transaction(tenant_id) as conn:
        conversation, _ = store.open_conversation(conn, channel="voice", external_id=sid, now=now)
        message_id = store.insert_message(
            conn,
            conversation_id=conversation.id,
            direction="inbound",
            author="customer",
            text=transcript[:2000],
            at=now,
            provider_message_id=f"twilio:{key}",
        )
        if message_id is None:  # Twilio retried this webhook: poll the same message again
            message_id = store.unanswered(conn, conversation_id=conversation.id, provider_message_id=f"twilio:{key}")
    if message_id is None:
        return Twiml().gather(action=gather, prompt="¿Algo más en que le podamos ayudar?").xml()
    conversation_inbound_messages_total.add(1, {"channel": "voice"})
    (enqueue or enqueue_inbound)({"type": "inbound", "tenant_id": str(tenant_id), "message_id": message_id})
    return (
        Twiml().say("Un momento, por favor.").redirect(_url("/reply", tenant_slug, message_id=message_id, poll=0)).xml()
    )


def reply_ready(
    *,
    params: Mapping[str, str],
    urls: Sequence[str],
    signature: str | None,
    tenant_slug: str | None,
    message_id: int,
    poll: int,
) -> str:
    """Speak the bot's reply once the worker stored it; until then pause and poll again."""
    _verify(urls=urls, params=params, signature=signature)
    sid = _call_sid(params)
    tenant_id = resolve_tenant(slug=tenant_slug)
    with db.tenant_transaction(tenant_id) as conn:
        reply = store.reply_to(conn, message_id=message_id)
        conversation = store.conversation(conn, conversation_id=reply.conversation_id) if reply else None
    gather = _url("/speech", tenant_slug)
    if reply is None or conversation is None or conversation.external_id != sid:
        if poll >= MAX_POLLS:
            return Twiml().gather(action=gather, prompt="Lo sentimos, no pudimos responder. Intente de nuevo.").xml()
        return Twiml().pause(1).redirect(_url("/reply", tenant_slug, message_id=message_id, poll=poll + 1)).xml()
    text = speakable(reply.text)
    if conversation.status == "human":
        number = get_settings().CALL_CENTER_NUMBER
        if not number:
            log.error("voice handoff without CALL_CENTER_NUMBER")
            return Twiml().say(text).say("Por ahora no hay asesores disponibles. Llame más tarde.").hangup().xml()
        return Twiml().say(text).dial(number).xml()
    return Twiml().gather(action=gather, prompt=text).xml()
