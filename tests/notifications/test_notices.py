"""Notices through the notifications queue: domain events record requests with natural keys, the queue worker
decides and sends through a real local HTTP stand-in of the WhatsApp API, and every decision is a row (sent,
skipped with the reason, failed with the reason, or queued with the moment it may go)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.application import outbox
from shared.application.notifications import producers, sender, whatsapp
from shared.application.notifications.worker import MalformedQueueMessage, handle
from shared.application.outbox import Consumer
from shared.data import db
from shared.data import notifications as store
from shared.platform.config import reset_settings_cache
from tests.billing.builders import add_account, make_utility, monthly

DAY = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 11:00 in Querétaro
NIGHT = datetime(2026, 3, 11, 4, 0, tzinfo=UTC)  # 22:00 in Querétaro
MORNING = datetime(2026, 3, 11, 14, 0, tzinfo=UTC)  # 08:00 in Querétaro


@pytest.fixture(autouse=True)
def notice_consumers():
    """Just the notice producers (the app's table also runs CFDI consumers of the same events, tested elsewhere)."""
    before = outbox.registered_consumers()
    outbox.register_consumers(Consumer(t, whatsapp.CONSUMER, handler=whatsapp.on_event) for t in whatsapp.EVENT_TYPES)
    yield
    outbox.register_consumers(before)


@pytest.fixture
def world(fresh_db):
    u = make_utility(fresh_db, "cea-avisos", sectors=("S01",))
    accounts = [add_account(fresh_db, u, sector="S01", reads=monthly(date(2026, 1, 1), [1, 2])) for _ in range(3)]
    with fresh_db.owner() as conn:
        for account_id, phone in zip(accounts, ["442 123 4567", "+52 1 442 765 4321", None], strict=True):
            conn.execute(
                "UPDATE persons SET phone = %s WHERE id = (SELECT person_id FROM accounts WHERE id = %s)",
                (phone, account_id),
            )
            conn.execute(
                """INSERT INTO invoices (tenant_id, account_id, period, status, serie, folio, total, due_date)
                   VALUES (%s, %s, '2026-03-01', 'issued', 'A', %s, 245.50, '2026-03-13')""",
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


def rows(db_, *columns):
    cols = ", ".join(columns)
    with db_.owner() as conn:
        return {
            r[0]: r[1:] if len(r) > 2 else r[1] for r in conn.execute(f"SELECT natural_key, {cols} FROM notifications")
        }


def decisions(db_):
    return rows(db_, "coalesce(skip_reason, split_part(failure_reason, ':', 1), status)")


def test_bills_go_out_once_as_approved_templates_and_every_decision_is_recorded(fresh_db, fake, pump, world):
    u, _accounts, invoices = world
    for invoice_id in invoices:
        assert outbox.handle(issued(u.tenant_id, invoice_id), now=DAY) >= 1
        assert outbox.handle(issued(u.tenant_id, invoice_id), now=DAY) == 0  # a redelivered event requests nothing
    assert set(rows(fresh_db, "status").values()) == {"queued"}
    pump(DAY, redeliver=True)  # each queue message is delivered twice
    assert [m["to"] for m in fake.sent] == ["524421234567"]
    template = fake.sent[0]["template"]
    assert template["name"] == "cea_bill_issued" and template["language"] == {"code": "es_MX"}
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values[1:4] == ["marzo 2026", "$245.50", "13 de marzo de 2026"]
    assert values[5] == f"https://agua.example.mx/api/v1/invoices/{invoices[0]}/bill.pdf"
    assert fake.sent[0]["biz_opaque_callback_data"] == f"bill_issued:{invoices[0]}"
    assert decisions(fresh_db) == {
        f"bill_issued:{invoices[0]}": "sent",
        f"bill_issued:{invoices[1]}": "opted_out",
        f"bill_issued:{invoices[2]}": "no_valid_phone",
    }
    pump(DAY)
    assert len(fake.sent) == 1


def test_quiet_hours_hold_notices_for_the_morning(fresh_db, fake, pump, world):
    u, _accounts, invoices = world
    outbox.handle(issued(u.tenant_id, invoices[0]), now=NIGHT)
    pump(NIGHT)
    assert fake.sent == []
    assert rows(fresh_db, "status", "send_after") == {f"bill_issued:{invoices[0]}": ("queued", MORNING)}
    assert sender.release_due(tenant_id=u.tenant_id, now=MORNING - timedelta(minutes=1)) == 0
    assert sender.release_due(tenant_id=u.tenant_id, now=MORNING) == 1
    pump(MORNING)
    assert len(fake.sent) == 1 and decisions(fresh_db) == {f"bill_issued:{invoices[0]}": "sent"}


def test_the_tenant_rate_limit_defers_the_excess_to_the_next_minute(fresh_db, fake, pump, world):
    u, _accounts, invoices = world
    with fresh_db.owner() as conn:
        conn.execute("UPDATE persons SET phone = '4421112233' WHERE phone IS NULL")
        conn.execute("DELETE FROM purpose_opt_outs")
        conn.execute(
            'UPDATE tenants SET config = config || \'{"notifications": {"rate_per_minute": 2}}\' WHERE id = %s',
            (u.tenant_id,),
        )
    for invoice_id in invoices:
        outbox.handle(issued(u.tenant_id, invoice_id), now=DAY)
    pump(DAY)
    assert len(fake.sent) == 2
    assert sorted(s for s, _ in rows(fresh_db, "status", "send_after").values()) == ["queued", "sent", "sent"]
    assert sender.release_due(tenant_id=u.tenant_id, now=DAY + timedelta(seconds=30)) == 0
    assert sender.release_due(tenant_id=u.tenant_id, now=DAY + timedelta(minutes=1)) == 1
    pump(DAY + timedelta(minutes=1))
    assert len(fake.sent) == 3 and set(decisions(fresh_db).values()) == {"sent"}


def test_a_provider_outage_is_retried_later_and_sends_once(fresh_db, fake, pump, world):
    u, accounts, _invoices = world
    with fresh_db.owner() as conn:
        payment_id = conn.execute(
            """INSERT INTO payments (tenant_id, provider, provider_payment_id, channel, amount, paid_at, account_id,
                                     status)
               VALUES (%s, 'conekta', 'ord_1', 'oxxo', 100.00, now(), %s, 'applied') RETURNING id""",
            (u.tenant_id, accounts[0]),
        ).fetchone()[0]
    event = {
        "tenant_id": str(u.tenant_id),
        "type": "payment.applied",
        "key": f"payment.applied:{payment_id}",
        "payload": {"payment_id": payment_id},
    }
    outbox.handle(event, now=DAY)
    fake.fail_next(1, status=503)
    pump(DAY)
    key = f"payment_received:{payment_id}"
    assert fake.sent == [] and rows(fresh_db, "status", "send_after")[key] == ("queued", DAY + timedelta(seconds=30))
    assert sender.release_due(tenant_id=u.tenant_id, now=DAY + timedelta(seconds=30)) == 1
    pump(DAY + timedelta(seconds=30))
    assert len(fake.sent) == 1 and fake.sent[0]["template"]["name"] == "cea_payment_received"
    assert decisions(fresh_db) == {key: "sent"}


def test_missing_parameters_and_unknown_kinds_fail_with_the_reason_and_send_nothing(
    fresh_db, fake, pump, world, monkeypatch
):
    u, accounts, invoices = world
    monkeypatch.setenv("PUBLIC_BASE_URL", "")  # no link to the PDF: the bill notice cannot be complete
    reset_settings_cache()
    outbox.handle(issued(u.tenant_id, invoices[0]), now=DAY)
    with db.tenant_transaction(u.tenant_id) as conn:
        producers.request(conn, kind="no_such_notice", key="x:1", account_id=accounts[0], params={}, now=DAY)
    pump(DAY)
    assert fake.sent == []
    assert decisions(fresh_db) == {f"bill_issued:{invoices[0]}": "missing_parameter", "x:1": "unknown_template"}
    assert "pdf_url" in rows(fresh_db, "failure_reason")[f"bill_issued:{invoices[0]}"]


def test_inside_the_24_hour_window_free_text_goes_and_outside_only_approved_templates(fresh_db, fake, pump, world):
    u, accounts, _invoices = world
    event = {
        "tenant_id": str(u.tenant_id),
        "type": "arco.answer_ready",
        "key": "arco.answer_ready:7",
        "payload": {"request_id": 7, "account_id": accounts[0], "folio": "ARCO-2026-7"},
    }
    outbox.handle(event, now=DAY)
    pump(DAY)  # the ARCO template is still pending approval at Meta: not sent
    assert fake.sent == [] and decisions(fresh_db) == {"arco_answer_ready:7": "template_not_approved"}
    with fresh_db.owner() as conn:
        conn.execute(
            """INSERT INTO conversations (tenant_id, channel, external_id, last_inbound_at, created_at, updated_at)
               VALUES (%s, 'whatsapp', '524421234567', %s, %s, %s)""",
            (u.tenant_id, DAY - timedelta(hours=2), DAY, DAY),
        )
    event = {**event, "key": "arco.answer_ready:8", "payload": {**event["payload"], "request_id": 8}}
    outbox.handle(event, now=DAY)
    pump(DAY)
    assert fake.sent[0]["type"] == "text" and "ARCO-2026-7" in fake.sent[0]["text"]["body"]


def test_a_repaired_leak_goes_with_the_crews_photo(fresh_db, fake, pump, world):
    u, accounts, _invoices = world
    for status in ("assigned", "done"):
        event = {
            "tenant_id": str(u.tenant_id),
            "type": "work_order.status_changed",
            "key": f"work_order.status_changed:5:{status}",
            "payload": {
                "work_order_id": 5,
                "kind": "leak_report",
                "account_id": accounts[0],
                "status": status,
                "photo_url": "https://fotos.example.mx/ot-5.jpg" if status == "done" else None,
            },
        }
        outbox.handle(event, now=DAY)
    pump(DAY)
    by_name = {m["template"]["name"]: m["template"] for m in fake.sent}
    assert set(by_name) == {"cea_work_order_status", "cea_work_order_repaired"}
    header = by_name["cea_work_order_repaired"]["components"][0]
    assert header == {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://fotos.example.mx/ot-5.jpg"}}],
    }
    assert by_name["cea_work_order_status"]["components"][0]["parameters"][1]["text"] == "asignado a una cuadrilla"


def test_a_worker_killed_mid_send_resends_after_the_lease_unless_a_status_proved_the_send(fresh_db, fake, pump, world):
    u, _accounts, invoices = world
    with fresh_db.owner() as conn:
        conn.execute("UPDATE persons SET phone = '4421112233' WHERE phone IS NULL")
    outbox.handle(issued(u.tenant_id, invoices[0]), now=DAY)
    outbox.handle(issued(u.tenant_id, invoices[2]), now=DAY)
    keys = [f"bill_issued:{invoices[0]}", f"bill_issued:{invoices[2]}"]
    with db.tenant_transaction(u.tenant_id) as conn:  # the dead worker's claim, committed before it sent
        assert len(store.claim(conn, keys=keys, now=DAY, lease=sender.LEASE)) == 2
    with db.tenant_transaction(u.tenant_id) as conn:  # the provider's status for the first one arrived
        store.record_status(
            conn, provider_message_id="wamid.lost", status="sent", error=None, at=DAY, reference=keys[0]
        )
    pump(DAY)  # the queue's own messages: both claimed by the dead worker, nothing to do yet
    assert fake.sent == []
    later = DAY + sender.LEASE + timedelta(seconds=1)
    assert sender.release_due(tenant_id=u.tenant_id, now=later) == 1
    pump(later)
    assert [m["biz_opaque_callback_data"] for m in fake.sent] == [keys[1]]
    assert rows(fresh_db, "status", "provider_message_id")[keys[0]] == ("sent", "wamid.lost")


def test_reminders_are_requested_once_for_invoices_due_in_the_configured_days(fresh_db, fake, pump, world):
    u, _accounts, invoices = world
    today = date(2026, 3, 10)  # the invoices are due on the 13th: three days ahead (the default)
    assert producers.queue_reminders(tenant_id=u.tenant_id, today=today, now=DAY) == 3
    assert producers.queue_reminders(tenant_id=u.tenant_id, today=today, now=DAY) == 0
    assert producers.queue_reminders(tenant_id=u.tenant_id, today=today + timedelta(days=1), now=DAY) == 0
    pump(DAY)
    assert [m["template"]["name"] for m in fake.sent] == ["cea_due_reminder"]
    assert decisions(fresh_db)[f"due_reminder:{invoices[0]}"] == "sent"


@pytest.mark.parametrize(
    "message",
    [
        None,
        [],
        {"type": "notices"},
        {"tenant_id": "t", "type": "notices", "keys": "a"},
        {"tenant_id": "t", "type": "x"},
    ],
)
def test_malformed_queue_messages_are_refused(message):
    with pytest.raises(MalformedQueueMessage):
        handle(message, now=DAY)
