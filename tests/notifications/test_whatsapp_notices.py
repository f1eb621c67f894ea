"""WhatsApp notices from domain events: sent once, skipped with a reason when opted out or without a phone,
retried when the provider is down (through a real local HTTP stand-in of the Cloud API)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from devtools.fakes.whatsapp_server import WhatsAppFake
from shared.adapters.whatsapp import WhatsAppError
from shared.application import outbox
from shared.application.consumers import CONSUMERS
from shared.application.notifications import whatsapp
from shared.domain.notifications.messages import whatsapp_number
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache
from tests.billing.builders import add_account, make_utility, monthly


def handle(envelope):
    """Deliver an event as the domain-events queue trigger does."""
    return outbox.handle(envelope, now=datetime.now(UTC))


@pytest.fixture
def fake(monkeypatch):
    server = WhatsAppFake().start()
    monkeypatch.setenv("WHATSAPP_API_URL", server.url)
    monkeypatch.setenv("WHATSAPP_PHONE_NUMBER_ID", server.phone_number_id)
    monkeypatch.setenv("WHATSAPP_API_KEY", server.api_key)
    reset_settings_cache()
    reset_secret_cache()
    whatsapp.reset_client()
    yield server
    whatsapp.reset_client()
    server.stop()


@pytest.fixture(autouse=True)
def only_these_consumers():
    """Run just the notification consumers (and the event log) of the app's table: other capabilities' consumers
    of the same events (CFDI complements) are tested with their own services."""
    before = outbox.registered_consumers()
    outbox.register_consumers(c for c in CONSUMERS if c.name in (whatsapp.CONSUMER, "event-log"))
    yield
    outbox.register_consumers(before)


@pytest.fixture
def world(fresh_db):
    u = make_utility(fresh_db, "cea-avisos", sectors=("S01",))
    accounts = [add_account(fresh_db, u, sector="S01", reads=monthly(date(2026, 1, 1), [1, 2])) for _ in range(3)]
    with fresh_db.owner() as conn:
        phones = ["442 123 4567", "+52 1 442 765 4321", None]
        for account_id, phone in zip(accounts, phones, strict=True):
            conn.execute(
                "UPDATE persons SET phone = %s WHERE id = (SELECT person_id FROM accounts WHERE id = %s)",
                (phone, account_id),
            )
            conn.execute(
                """INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, total, due_date)
                   VALUES (%s, %s, '2026-03-01', 'issued', 'A', %s, 245.50, '2026-04-20')""",
                (u.tenant_id, account_id, account_id),
            )
        conn.execute(
            """INSERT INTO purpose_opt_outs (tenant_id, person_id, purpose)
                        SELECT %s, person_id, 'whatsapp_notices' FROM accounts WHERE id = %s""",
            (u.tenant_id, accounts[1]),
        )
        invoices = [r[0] for r in conn.execute("SELECT id FROM invoices ORDER BY account_id")]
    return u, accounts, invoices


def issued(tenant_id, invoice_id):
    return {
        "tenant_id": str(tenant_id),
        "type": "invoice.issued",
        "key": f"invoice.issued:{invoice_id}",
        "payload": {"invoice_id": invoice_id},
    }


def decisions(db):
    with db.owner() as conn:
        return dict(conn.execute("SELECT natural_key, coalesce(skip_reason, status) FROM notifications"))


def test_bills_are_announced_once_to_people_who_did_not_opt_out(fresh_db, fake, world):
    u, _accounts, invoices = world
    for invoice_id in invoices:
        assert handle(issued(u.tenant_id, invoice_id)) >= 1
        assert handle(issued(u.tenant_id, invoice_id)) == 0  # a redelivered event sends nothing
    assert [m["to"] for m in fake.sent] == ["524421234567"]
    assert "$245.50" in fake.sent[0]["text"]["body"] and "marzo 2026" in fake.sent[0]["text"]["body"]
    assert decisions(fresh_db) == {
        f"invoice.issued:{invoices[0]}": "sent",
        f"invoice.issued:{invoices[1]}": "opted_out",
        f"invoice.issued:{invoices[2]}": "no_valid_phone",
    }


def test_a_provider_outage_rolls_back_and_the_redelivery_sends(fresh_db, fake, world):
    u, accounts, _invoices = world
    with fresh_db.owner() as conn:
        payment_id = conn.execute(
            """INSERT INTO payments (tenant_id, provider, provider_payment_id, channel, amount, paid_at, account_id,
                                     status)
               VALUES (%s, 'conekta', 'ord_1', 'oxxo', 100.00, now(), %s, 'applied') RETURNING id""",
            (u.tenant_id, accounts[0]),
        ).fetchone()[0]
    fake.fail_next(1, status=503)
    event = {
        "tenant_id": str(u.tenant_id),
        "type": "payment.applied",
        "key": f"payment.applied:{payment_id}",
        "payload": {"payment_id": payment_id, "account_id": accounts[0], "amount": "100.00"},
    }
    with pytest.raises(WhatsAppError):
        handle(event)
    assert fake.sent == [] and decisions(fresh_db) == {}
    assert handle(event) >= 1  # the queue delivers it again
    assert len(fake.sent) == 1 and "$100.00" in fake.sent[0]["text"]["body"]
    assert decisions(fresh_db) == {f"payment.applied:{payment_id}": "sent"}


def test_without_a_configured_channel_the_decision_is_still_recorded(fresh_db, world, monkeypatch):
    monkeypatch.delenv("WHATSAPP_API_URL", raising=False)
    reset_settings_cache()
    whatsapp.reset_client()
    u, _accounts, invoices = world
    handle(issued(u.tenant_id, invoices[0]))
    assert decisions(fresh_db) == {f"invoice.issued:{invoices[0]}": "channel_not_configured"}


@pytest.mark.parametrize(
    "phone,expected",
    [
        ("442 123 4567", "524421234567"),
        ("+52 442 123 4567", "524421234567"),
        ("5214421234567", "524421234567"),
        ("12345", None),
        (None, None),
        ("+1 415 555 0100", None),
    ],
)
def test_whatsapp_numbers(phone, expected):
    assert whatsapp_number(phone=phone) == expected


def test_money_in_texts_is_rounded_to_centavos():
    from shared.domain.notifications.messages import payment_applied

    assert "$1,234.50" in payment_applied(account_number="1", amount=Decimal("1234.5"))
