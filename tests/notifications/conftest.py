"""Fixtures of the notification tests: a running WhatsApp stand-in, a private notifications queue on Azurite per
test, and `pump(now)`, which delivers the queue's messages to the worker as the queue trigger does."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from devtools.fakes.whatsapp_server import WhatsAppFake
from shared.adapters import storage
from shared.application.notifications import channel, worker
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache


@pytest.fixture
def queue_env(monkeypatch, azurite):
    name = f"notif-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("AzureWebJobsStorage", azurite)
    monkeypatch.setenv("QUEUE_NOTIFICATIONS", name)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://agua.example.mx")
    reset_settings_cache()
    client = storage.ensure_queue(name, azurite)
    yield client
    client.delete_queue()
    reset_settings_cache()


@pytest.fixture
def fake(monkeypatch, queue_env):
    server = WhatsAppFake().start()
    monkeypatch.setenv("WHATSAPP_API_URL", server.url)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", server.phone_number_id)
    monkeypatch.setenv("WHATSAPP_API_KEY", server.api_key)
    monkeypatch.setenv("WHATSAPP_APP_SECRET", server.app_secret)
    monkeypatch.setenv("WHATSAPP_VERIFY_TOKEN", "verify-me")
    reset_settings_cache()
    reset_secret_cache()
    channel.reset_client()
    yield server
    channel.reset_client()
    server.stop()
    reset_secret_cache()


@pytest.fixture
def pump(queue_env):
    """pump(now) -> the worker's results for every message now in the queue (each message deleted after)."""

    def run(now: datetime, *, redeliver: bool = False) -> list:
        results = []
        while True:
            batch = list(queue_env.receive_messages(max_messages=32, visibility_timeout=30))
            if not batch:
                return results
            for m in batch:
                message = json.loads(m.content)
                results.append(worker.handle(message, now=now))
                if redeliver:  # the host delivers it again (e.g. the ack was lost)
                    results.append(worker.handle(message, now=now))
                queue_env.delete_message(m)

    return run


@pytest.fixture
def api_server(fake, queue_env):
    """The real API app served by uvicorn on a free loopback port (the fakes post their webhooks to it)."""
    import socket
    import threading
    import time

    import uvicorn

    from functions.api.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    fake.webhook_url = f"{base}/api/v1/channels/whatsapp"
    yield base
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def agora(monkeypatch, api_server):
    """The Chatwoot stand-in, configured as the app's AGORA and delivering its webhooks to the app."""
    from devtools.fakes.chatwoot_server import ChatwootFake
    from shared.application.conversations import agora as agora_app

    server = ChatwootFake(webhook_url=f"{api_server}/api/v1/channels/chatwoot").start()
    monkeypatch.setenv("CHATWOOT_URL", server.url)
    monkeypatch.setenv("CHATWOOT_ACCOUNT_ID", str(server.account_id))
    monkeypatch.setenv("CHATWOOT_INBOX_ID", str(server.inbox_id))
    monkeypatch.setenv("CHATWOOT_API_TOKEN", server.api_token)
    monkeypatch.setenv("CHATWOOT_WEBHOOK_SECRET", server.webhook_secret)
    reset_settings_cache()
    reset_secret_cache()
    agora_app.reset_client()
    yield server
    agora_app.reset_client()
    server.stop()
