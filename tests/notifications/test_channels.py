"""WhatsApp both ways and the conversation loop, over real HTTP: the WhatsApp stand-in posts signed webhooks to
the API (served by uvicorn), the notifications queue on Azurite carries them to the bot, replies go back to the
stand-in, and Chatwoot (AGORA) is the operators' inbox with handoff."""

import json
import threading
import time
from datetime import UTC, date, datetime

import httpx
import pytest

from devtools.demo_conversation import channel_env, run_conversation_demo
from shared.adapters.whatsapp import sign
from shared.application import outbox
from shared.application.notifications import sender, whatsapp, worker
from shared.application.outbox import Consumer
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache
from tests.billing.builders import add_account, make_utility, monthly

CUSTOMER = "5214421234567"  # wa_id with the old mobile "1": the same number as the account's 442 123 4567


@pytest.fixture
def world(fresh_db):
    u = make_utility(fresh_db, "cea-canales", sectors=("S01",))
    account = add_account(fresh_db, u, sector="S01", reads=monthly(date(2026, 1, 1), [1, 2]))
    with fresh_db.owner() as conn:
        conn.execute(
            "UPDATE persons SET phone = '442 123 4567' WHERE id = (SELECT person_id FROM accounts WHERE id = %s)",
            (account,),
        )
        conn.execute(
            """INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, total, due_date)
               VALUES (%s, %s, '2026-03-01', 'issued', 'A', 1, 245.50, '2026-04-20')""",
            (u.tenant_id, account),
        )
        number = conn.execute("SELECT account_number FROM accounts WHERE id = %s", (account,)).fetchone()[0]
    return u, account, number


def count(db_, table):
    with db_.owner() as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def now():
    return datetime.now(UTC)


def texts_to(fake, to):
    return [m["text"]["body"] for m in fake.sent if m["to"] == to and m["type"] == "text"]


def test_the_verification_get_echoes_the_challenge_only_for_our_token(api_server):
    url = f"{api_server}/api/v1/channels/whatsapp"
    ok = httpx.get(
        url, timeout=60, params={"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "123abc"}
    )
    assert ok.status_code == 200 and ok.text == "123abc"
    bad = httpx.get(
        url, timeout=60, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "123abc"}
    )
    assert bad.status_code == 403 and bad.headers["content-type"].startswith("application/problem+json")


def test_unsigned_badly_signed_and_malformed_deliveries_store_nothing(fresh_db, fake, api_server, world, queue_env):
    body = fake.inbound_text(sender=CUSTOMER, text="hola")
    assert fake.post(body, signature="").status_code == 401
    assert fake.post(body, signature=sign(body=body, secret="otro-secreto")).status_code == 401
    assert fake.post(body + b" ", signature=sign(body=body, secret=fake.app_secret)).status_code == 401  # raw body
    for bad in (
        b"{no es json",
        json.dumps({"object": "page", "entry": []}).encode(),
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": [{"id": "x"}]}}]}]}',
    ):
        answer = fake.post(bad)
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert count(fresh_db, "conversation_messages") == 0 and count(fresh_db, "conversations") == 0
    assert list(queue_env.peek_messages(max_messages=32)) == []


def test_a_message_is_stored_once_answered_once_and_the_phone_proves_nothing(fresh_db, fake, api_server, pump, world):
    body = fake.inbound_text(sender=CUSTOMER, text="hola", message_id="wamid.in.1")
    first = fake.post(body)
    assert first.status_code == 200 and first.json()["messages"] == 1
    again = fake.post(body)  # the provider retries before the bot answered: enqueued again, stored once
    assert again.status_code == 200 and again.json()["messages"] == 1 and again.json()["duplicates"] == 1
    pump(now(), redeliver=True)
    late = fake.post(body).json()  # a retry after the answer: nothing to do
    assert (late["messages"], late["duplicates"]) == (0, 1)
    pump(now())
    assert len(texts_to(fake, "524421234567")) == 1 and "1. Consultar mi saldo" in texts_to(fake, "524421234567")[0]
    with fresh_db.owner() as conn:
        person, account, last_inbound = conn.execute(
            "SELECT person_id, account_id, last_inbound_at FROM conversations WHERE external_id = '524421234567'"
        ).fetchone()
        contacts = conn.execute("SELECT channel, direction FROM contacts").fetchall()
    assert person is None and account is None and last_inbound is not None  # the number matches an account holder
    assert contacts == [("whatsapp", "inbound")]


def test_business_scoped_user_ids_without_a_phone_are_conversations_too(fresh_db, fake, api_server, pump, world):
    assert fake.deliver_text(sender="MX.8f3a2c1d9b", text="hola") == 200
    pump(now())
    assert [m["to"] for m in fake.sent] == ["MX.8f3a2c1d9b"]


def test_delivery_statuses_advance_the_notice_and_failures_are_kept(fresh_db, fake, api_server, pump, world):
    u, _account, _number = world
    from shared.application import outbox
    from shared.application.notifications import whatsapp
    from shared.application.outbox import Consumer

    before = outbox.registered_consumers()
    outbox.register_consumers([Consumer("invoice.issued", whatsapp.CONSUMER, handler=whatsapp.on_event)])
    try:
        with fresh_db.owner() as conn:
            invoice = conn.execute("SELECT id FROM invoices").fetchone()[0]
        day = datetime(2026, 3, 10, 17, tzinfo=UTC)
        outbox.handle(
            {
                "tenant_id": str(u.tenant_id),
                "type": "invoice.issued",
                "key": f"i:{invoice}",
                "payload": {"invoice_id": invoice},
            },
            now=day,
        )
        pump(day)
    finally:
        outbox.register_consumers(before)
    sent = fake.sent[0]
    for status in ("delivered", "sent", "read", "read"):  # out of order and repeated, as webhooks come
        assert fake.deliver_status(message_id=sent["id"], status=status, recipient=sent["to"]) == 200
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT delivery_status FROM notifications").fetchone()[0] == "read"
    assert (
        fake.deliver_status(message_id=sent["id"], status="failed", recipient=sent["to"], error="Receiver is incapable")
        == 200
    )
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT delivery_status, delivery_error FROM notifications").fetchone() == (
            "failed",
            "131026: Receiver is incapable",
        )
        assert conn.execute("SELECT count(*) FROM notification_statuses").fetchone()[0] == 4


def converse(fake, pump, text):
    before = len(fake.sent)
    assert fake.deliver_text(sender=CUSTOMER, text=text) == 200
    pump(now())
    replies = [m for m in fake.sent[before:] if m["to"] == "524421234567"]
    assert len(replies) == 1, replies
    return replies[0]["text"]["body"]


def test_balance_needs_verification_then_leak_report_then_handoff_to_a_person(
    fresh_db, fake, api_server, pump, world, agora
):
    _u, account, number = world
    assert "número de cuenta" in converse(fake, pump, "1")
    assert "importe total de su último recibo" in converse(fake, pump, number)
    assert "no coinciden" in converse(fake, pump, "999.00")  # a wrong answer verifies nothing
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT person_id FROM conversations").fetchone()[0] is None
    converse(fake, pump, "1")
    converse(fake, pump, number)
    assert "Su saldo" in converse(fake, pump, "$245.50") or "adeudo" in fake.sent[-1]["text"]["body"]
    with fresh_db.owner() as conn:
        verified = conn.execute("SELECT account_id FROM conversations").fetchone()[0]
    assert verified == account
    assert "REF" in converse(fake, pump, "2")  # verified: references at once
    assert "Describa la fuga" in converse(fake, pump, "3")
    reply = converse(fake, pump, "Sale agua de la banqueta frente al número 12")
    assert "folio OT-" in reply
    with fresh_db.owner() as conn:
        kind, wo_account, reason = conn.execute("SELECT kind, account_id, reason FROM work_orders").fetchone()
    assert (kind, wo_account) == ("leak_report", account) and "banqueta" in reason
    assert "asesor" in converse(fake, pump, "quiero hablar con un asesor")
    ((chatwoot_id, conversation),) = agora.conversations.items()
    assert conversation.status == "open"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT status, chatwoot_conversation_id FROM conversations").fetchone() == (
            "human",
            chatwoot_id,
        )
    mirrored = [m["content"] for m in conversation.messages]
    assert number in mirrored and any("folio OT-" in c for c in mirrored)
    # A human owns it now: the bot stays silent, the operator sees the message and answers from Chatwoot.
    before = len(fake.sent)
    assert fake.deliver_text(sender=CUSTOMER, text="¿me pueden llamar?") == 200
    pump(now())
    assert len(fake.sent) == before and conversation.messages[-1]["content"] == "¿me pueden llamar?"
    assert agora.agent_reply(chatwoot_id, "Claro, le llamamos en 10 minutos.") == 200
    pump(now())
    assert fake.sent[-1]["text"]["body"] == "Claro, le llamamos en 10 minutos." and len(fake.sent) == before + 1
    assert agora.resolve(chatwoot_id) == 200
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT status FROM conversations").fetchone()[0] == "closed"
    assert "1. Consultar mi saldo" in converse(fake, pump, "hola de nuevo")  # the bot is back


def test_chatwoot_deliveries_need_a_fresh_valid_signature(fresh_db, agora, pump):
    cid = agora.open_widget_conversation()
    assert (
        agora.deliver(
            {
                "event": "message_created",
                "id": 1,
                "content": "hola",
                "message_type": "incoming",
                "conversation": {"id": cid},
                "sender": {"type": "contact"},
            },
            signature="sha256=00",
        )
        == 401
    )
    stale = int(time.time()) - 3600
    assert (
        agora.deliver(
            {
                "event": "message_created",
                "id": 2,
                "content": "hola",
                "message_type": "incoming",
                "conversation": {"id": cid},
                "sender": {"type": "contact"},
            },
            timestamp=stale,
        )
        == 401
    )
    assert count(fresh_db, "conversation_messages") == 0


def test_a_web_widget_conversation_in_chatwoot_is_answered_by_the_bot(fresh_db, world, agora, pump):
    cid = agora.open_widget_conversation()
    assert agora.customer_writes(cid, "hola") == 200
    assert agora.customer_writes(cid, "hola") == 200  # a separate message, also answered
    pump(now())
    bot = [m for m in agora.conversations[cid].messages if m["sender"] == "api"]
    assert len(bot) == 2 and "Consultar mi saldo" in bot[0]["content"]
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT channel, status FROM conversations").fetchone() == ("chatwoot", "bot")


def test_the_release_job_is_harmless_without_work(fresh_db, world):
    u, _account, _number = world
    assert sender.release_due(tenant_id=u.tenant_id, now=now()) == 0


def test_the_crews_repaired_notice_with_photo_follows_a_leak_reported_on_whatsapp(
    fresh_db, fake, api_server, pump, world
):
    from shared.application import outbox
    from shared.application.access.principal import ALL_DATA, WORK_ORDERS_MANAGE, Principal
    from shared.application.notifications import whatsapp
    from shared.application.operations import work_orders
    from shared.application.outbox import Consumer

    u, _account, number = world
    with fresh_db.owner() as conn:  # the test runs at any hour: no quiet hours for this tenant
        conn.execute(
            """UPDATE tenants SET config = config || '{"notifications": {"quiet_start": "00:00", "quiet_end": "00:00"}}'
               WHERE id = %s""",
            (u.tenant_id,),
        )
    converse(fake, pump, "3")
    converse(fake, pump, number)
    assert "folio OT-" in converse(fake, pump, "Fuga en la calle Hidalgo")
    with fresh_db.owner() as conn:
        wo = conn.execute("SELECT id FROM work_orders").fetchone()[0]
    crew = Principal(
        u.tenant_id, u.slug, "user:cuadrilla", frozenset({"staff"}), frozenset({ALL_DATA, WORK_ORDERS_MANAGE})
    )
    for status in ("assigned", "in_progress", "done"):
        work_orders.change_status(
            principal=crew,
            work_order_id=wo,
            status=status,
            assigned_to="Cuadrilla 3",
            now=now(),
            photo_url="https://fotos.example.mx/ot.jpg" if status == "done" else None,
        )
    before = outbox.registered_consumers()
    outbox.register_consumers(Consumer(t, whatsapp.CONSUMER, handler=whatsapp.on_event) for t in whatsapp.EVENT_TYPES)
    try:
        outbox.relay_pending(publish=lambda batch: [outbox.handle(e, now=now()) for e in batch])
    finally:
        outbox.register_consumers(before)
    sent_before = len(fake.sent)
    pump(now())
    notices = fake.sent[sent_before:]
    assert [m["type"] for m in notices] == ["text", "text", "image"]  # inside the 24-hour window: free form
    assert notices[-1]["image"]["link"] == "https://fotos.example.mx/ot.jpg"
    assert f"OT-{wo} quedó reparado" in notices[-1]["image"]["caption"]


# ---------------------------------------------------------------- the demo's conversation (devtools/demo_conversation.py)


class Host:
    """base_url and fire_timer("outbox_relay") as the local runner's host offers them."""

    def __init__(self, base_url):
        self.base_url = base_url

    def fire_timer(self, name):
        assert name == "outbox_relay"
        outbox.relay_pending(publish=lambda batch: [outbox.handle(e, now=datetime.now(UTC)) for e in batch])


def test_the_demo_conversation_runs_end_to_end(fresh_db, fake, agora, api_server, queue_env, world, monkeypatch):
    u, _account, _number = world
    for key, value in channel_env(fake, agora).items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    reset_secret_cache()
    stop = threading.Event()

    def queue_trigger():
        while not stop.is_set():
            for m in queue_env.receive_messages(max_messages=32, visibility_timeout=30):
                worker.handle(json.loads(m.content), now=datetime.now(UTC))
                queue_env.delete_message(m)
            stop.wait(0.1)

    before = outbox.registered_consumers()
    outbox.register_consumers(Consumer(t, whatsapp.CONSUMER, handler=whatsapp.on_event) for t in whatsapp.EVENT_TYPES)
    loop = threading.Thread(target=queue_trigger, daemon=True)
    loop.start()
    try:
        result = run_conversation_demo(
            host=Host(api_server),
            slug=u.slug,
            tenant_id=u.tenant_id,
            owner_url=fresh_db.owner_url,
            whatsapp=fake,
            agora=agora,
        )
    except TimeoutError:
        with fresh_db.owner() as conn:
            print(conn.execute("SELECT natural_key, status, skip_reason, failure_reason FROM notifications").fetchall())
            print(conn.execute("SELECT event_type, event_key, published_at FROM domain_events").fetchall())
        raise
    finally:
        stop.set()
        loop.join(timeout=10)
        outbox.register_consumers(before)
    said = [next(iter(turn.values())) for turn in result["transcript"]]
    assert "folio OT-" in result["work_order"]["from_bot_reply"]
    assert result["chatwoot"]["status"] == "open"
    assert any("La cuadrilla 3 va en camino." in s for s in said)
    assert any(s.startswith("[foto https://fotos.example.mx/") and "reparado" in s for s in said)
