"""`make demo`'s conversation (issue 15): a customer writes on WhatsApp and gets the menu, reports a leak (a work
order is created), asks for a person (the conversation opens in the Chatwoot stand-in), an operator answers from
Chatwoot, and the crew's "reparado" notice with its photo goes out when the order is closed. Everything goes
through the running function host over HTTP and its queues; the WhatsApp and Chatwoot stand-ins are real HTTP."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import psycopg

from devtools.fakes.chatwoot_server import ChatwootFake
from devtools.fakes.whatsapp_server import WhatsAppFake
from shared.application.access.principal import ALL_DATA, WORK_ORDERS_MANAGE, Principal
from shared.application.operations import work_orders
from shared.data import db
from shared.domain.notifications.messages import whatsapp_number

__all__ = ["channel_env", "describe", "run_conversation_demo", "start_agora"]

PHOTO = "https://fotos.example.mx/cuadrilla-3/ot-reparada.jpg"


def start_agora(scope: ExitStack) -> ChatwootFake:
    agora = ChatwootFake().start()
    scope.callback(agora.stop)
    return agora


def channel_env(whatsapp: WhatsAppFake, agora: ChatwootFake) -> dict[str, str]:
    """Settings and secrets of the channels for the function host."""
    return {
        "WHATSAPP_APP_SECRET": whatsapp.app_secret,
        "WHATSAPP_VERIFY_TOKEN": "demo-verify-token",
        "CHATWOOT_URL": agora.url,
        "CHATWOOT_ACCOUNT_ID": str(agora.account_id),
        "CHATWOOT_INBOX_ID": str(agora.inbox_id),
        "CHATWOOT_API_TOKEN": agora.api_token,
        "CHATWOOT_WEBHOOK_SECRET": agora.webhook_secret,
        "CALL_CENTER_NUMBER": "+524422111000",
    }


def describe(message: dict[str, Any]) -> str:
    """One line for a message the WhatsApp stand-in received (text, template or image)."""
    kind = message.get("type")
    if kind == "text":
        return str(message["text"]["body"])
    if kind == "image":
        return f"[foto {message['image']['link']}] {message['image'].get('caption', '')}"
    if kind == "template":
        t = message["template"]
        values = [p.get("text") for c in t.get("components", []) for p in c.get("parameters", []) if "text" in p]
        return f"[plantilla {t['name']} {t['language']['code']}] {' | '.join(str(v) for v in values)}"
    return str(kind)


def _wait(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError("the demo conversation did not get its answer in time")


def run_conversation_demo(
    *, host: Any, slug: str, tenant_id: Any, owner_url: str, whatsapp: WhatsAppFake, agora: ChatwootFake
) -> dict[str, Any]:
    """Needs the host's queues running in the background (host.queues.start())."""
    whatsapp.webhook_url = f"{host.base_url}/api/v1/channels/whatsapp?tenant={slug}"
    agora.webhook_url = f"{host.base_url}/api/v1/channels/chatwoot?tenant={slug}"
    with psycopg.connect(owner_url) as conn:
        # The demo runs at any hour: no quiet hours for the demo utility (production default: 21:00-08:00).
        conn.execute(
            """UPDATE tenants SET config = jsonb_set(config, '{notifications}',
                   coalesce(config->'notifications', '{}'::jsonb) || '{"quiet_start": "00:00", "quiet_end": "00:00"}')
               WHERE slug = %s""",
            (slug,),
        )
    with psycopg.connect(owner_url) as conn:
        # The customer writes from the phone the account holder registered (notices go to that number).
        row = conn.execute(
            """UPDATE persons p SET phone = coalesce(nullif(p.phone, ''), '4429990001') FROM accounts a
               WHERE a.id = (SELECT min(id) FROM accounts WHERE tenant_id = (SELECT id FROM tenants WHERE slug = %s))
                 AND p.id = a.person_id RETURNING a.account_number, p.phone""",
            (slug,),
        ).fetchone()
    assert row is not None
    account_number = str(row[0])
    to = whatsapp_number(phone=str(row[1])) or "524429990001"
    customer = "521" + to[2:]  # WhatsApp's wa_id for a Mexican mobile may carry the old "1"
    transcript: list[dict[str, str]] = []

    def to_customer() -> list[dict[str, Any]]:
        return [m for m in whatsapp.sent if m.get("to") == to]

    def say(text: str) -> str:
        before = len(to_customer())
        transcript.append({"cliente": text})
        status = whatsapp.deliver_text(sender=customer, text=text)
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")
        answer = describe(_wait(lambda: to_customer()[before] if len(to_customer()) > before else None))
        transcript.append({"bot": answer})
        return answer

    say("Hola")
    say("3")
    say(account_number)
    leak = say("Hay una fuga de agua en la banqueta frente a mi casa")
    say("Quiero hablar con un asesor")
    chatwoot_id, conversation = _wait(lambda: next(iter(agora.conversations.items()), None))
    _wait(lambda: conversation.status == "open")
    before = len(to_customer())
    agora.agent_reply(chatwoot_id, "Hola, soy Ana de la CEA. La cuadrilla 3 va en camino.")
    transcript.append({"operadora (Chatwoot)": "Hola, soy Ana de la CEA. La cuadrilla 3 va en camino."})
    transcript.append(
        {"cliente recibe": describe(_wait(lambda: to_customer()[before] if len(to_customer()) > before else None))}
    )
    with db.tenant_transaction(tenant_id) as conn:
        wo = conn.execute("SELECT id FROM work_orders WHERE kind = 'leak_report' ORDER BY id DESC LIMIT 1").fetchone()
    assert wo is not None
    crew = Principal(
        tenant_id, slug, "user:cuadrilla-3", frozenset({"field"}), frozenset({ALL_DATA, WORK_ORDERS_MANAGE})
    )
    before = len(to_customer())
    for status in ("assigned", "in_progress", "done"):
        work_orders.change_status(
            principal=crew,
            work_order_id=int(wo[0]),
            status=status,
            assigned_to="Cuadrilla 3",
            now=datetime.now(UTC),
            photo_url=PHOTO if status == "done" else None,
        )
    host.fire_timer("outbox_relay")
    notices = _wait(
        lambda: to_customer()[before:] if any(m["type"] == "image" for m in to_customer()[before:]) else None, 60
    )
    transcript.extend({"aviso": describe(m)} for m in notices)
    return {
        "transcript": transcript,
        "work_order": {"id": int(wo[0]), "from_bot_reply": leak},
        "chatwoot": {
            "conversation": chatwoot_id,
            "status": conversation.status,
            "messages": len(conversation.messages),
        },
    }
