"""The Claude responder behind the real channel: a signed WhatsApp delivery through the API, the notifications
worker, the agent (real SDK against the fake Messages API), the reply sent to WhatsApp and the verified identity
stored on the conversation — with no personal data in any model request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devtools.fakes.claude_server import ClaudeFake
from shared.adapters.claude import reset_clients
from shared.application.conversations import replies
from shared.domain.agents.pii_tokens import find_leaks
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache
from tests.notifications.conftest import api_server, fake, pump, queue_env  # noqa: F401 (fixtures)
from tests.notifications.test_channels import CUSTOMER, texts_to, world  # noqa: F401 (world is a fixture)


@pytest.fixture
def claude_responder(monkeypatch: pytest.MonkeyPatch, claude_fake: ClaudeFake):
    monkeypatch.setenv("BOT_RESPONDER", "claude")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", claude_fake.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", claude_fake.api_key)
    monkeypatch.setenv("AGENT_MAX_RETRIES", "1")
    reset_settings_cache()
    reset_secret_cache()
    reset_clients()
    replies.reset_responder()
    yield claude_fake
    replies.reset_responder()
    reset_clients()


def test_whatsapp_message_answered_by_the_agent(fresh_db, fake, api_server, pump, world, claude_responder) -> None:  # noqa: F811
    _utility, account, number = world
    claude_responder.script(
        "*",
        [
            {
                "tool": "verify_identity",
                "input": {"account_number": "{{tok:CUENTA}}", "last_bill_amount": "{{amount}}"},
            },
            {"tool": "get_payment_references", "input": {}},
            {"text": "Pague en OXXO con la referencia {{result:oxxo_reference}}."},
        ],
    )
    assert fake.deliver_text(sender=CUSTOMER, text=f"Mi cuenta es {number} y mi último recibo fue de $245.50") == 200
    pump(datetime.now(UTC))
    with fresh_db.owner() as conn:
        reference, person = conn.execute(
            "SELECT payment_reference, person_id FROM accounts WHERE id = %s", (account,)
        ).fetchone()
        verified = conn.execute("SELECT person_id, account_id FROM conversations").fetchone()
    sent = texts_to(fake, "524421234567")
    assert len(sent) == 1 and reference in sent[0]
    assert verified == (person, account)
    assert claude_responder.raw_bodies
    for body in claude_responder.raw_bodies:
        assert find_leaks(text=body, known_values=[number, reference, "4421234567"]) == []
