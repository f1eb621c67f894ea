"""Issue 13 item 8: with two tenants, webhooks are routed per tenant by path; a verified delivery no tenant can be
found for is held (not dropped) and an operator redrives it exactly once."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from functions.api.app import create_app
from functions.api.routes import webhooks
from shared.application.payments import apply, intake
from shared.domain.payments.references import make_clabe
from tests.payments.conftest import SPEI_SECRET

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def two_tenants(fresh_db, tenant_factory, payment_secrets):
    a, b = tenant_factory("cea"), tenant_factory("otro")
    app = create_app()
    sent: list[dict] = []
    app.dependency_overrides[webhooks.payments_enqueue] = lambda: sent.append
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, sent, a, b


def _rows(db, sql, params=()):
    with db.owner() as c:
        return c.execute(sql, params).fetchall()


def _spei(ident: int) -> bytes:
    clabe = make_clabe(bank="646", plaza="180", account="70000000001")
    return json.dumps(
        {"id": ident, "monto": "50.00", "cuentaBeneficiario": clabe, "claveRastreo": f"CR{ident}",
         "tsLiquidacion": "1769540000000"}
    ).encode()  # fmt: skip


def test_path_routes_each_delivery_to_its_tenant(two_tenants, fresh_db, payment_secrets):
    client, sent, a, b = two_tenants
    fake = payment_secrets
    ev_a = fake.charge_paid(fake.charge(amount="10.00"))
    ev_b = fake.charge_paid(fake.charge(amount="20.00"))
    assert fake.deliver("/api/v1/webhooks/cea/conekta", ev_a, client=client).json()["outcome"] == "stored"
    assert fake.deliver("/api/v1/webhooks/otro/conekta", ev_b, client=client).json()["outcome"] == "stored"
    body = _spei(901)
    sig = intake.spei_signature(body=body, secret=SPEI_SECRET)
    r = client.post("/api/v1/webhooks/otro/spei", content=body, headers={"X-Spei-Signature": sig, **JSON})
    assert r.json() == {"mensaje": "confirmar"}
    stored = _rows(fresh_db, "SELECT event_id, tenant_id FROM webhook_inbox ORDER BY id")
    assert stored == [(ev_a["id"], a), (ev_b["id"], b), ("901", b)]
    assert [m["tenant_id"] for m in sent] == [str(a), str(b), str(b)]


def test_tenantless_delivery_is_held_listed_and_redriven_once(two_tenants, fresh_db, payment_secrets):
    client, sent, _a, b = two_tenants
    fake = payment_secrets
    event = fake.charge_paid(fake.charge(amount="10.00"))
    r = fake.deliver("/api/v1/webhooks/conekta", event, client=client)
    assert r.status_code == 202 and r.json()["outcome"] == "held"
    again = fake.deliver("/api/v1/webhooks/conekta", event, client=client)  # provider retry: the same held row
    assert again.status_code == 202 and again.json()["held_id"] == r.json()["held_id"]
    unknown = fake.charge_paid(fake.charge(amount="30.00"))
    assert fake.deliver("/api/v1/webhooks/nadie/conekta", unknown, client=client).status_code == 202
    body = _spei(902)
    sig = intake.spei_signature(body=body, secret=SPEI_SECRET)
    spei = client.post("/api/v1/webhooks/spei", content=body, headers={"X-Spei-Signature": sig, **JSON})
    assert spei.status_code == 200 and spei.json() == {"mensaje": "confirmar"}  # kept, so the money stays
    assert _rows(fresh_db, "SELECT count(*) FROM webhook_inbox") == [(0,)] and sent == []

    held = intake.unrouted_deliveries()
    assert [(h.provider, h.event_id, h.route_hint, h.status) for h in held] == [
        ("conekta", event["id"], None, "held"),
        ("conekta", unknown["id"], "nadie", "held"),
        ("spei", "902", None, "held"),
    ]
    assert "2 tenants" in held[0].reason and "unknown tenant 'nadie'" in held[1].reason

    result = intake.redrive_unrouted(unrouted_id=held[0].id, tenant_slug="otro", operator="ana", enqueue=sent.append)
    assert result.outcome == "stored" and result.tenant_id == b
    assert [m["inbox_id"] for m in sent] == [result.inbox_id]
    with pytest.raises(intake.UnroutedNotFound):  # exactly once
        intake.redrive_unrouted(unrouted_id=held[0].id, tenant_slug="otro", operator="ana", enqueue=sent.append)
    assert apply.process_inbox(tenant_id=b, inbox_id=result.inbox_id, now=fake_now()).outcome == "processed"
    after = _rows(fresh_db, "SELECT status, tenant_id, inbox_id, redriven_by FROM webhook_unrouted ORDER BY id")
    assert after[0] == ("redriven", b, result.inbox_id, "ana") and after[1][0] == "held"
    # the provider redelivers the original to the tenant's own URL later: a duplicate, nothing new
    assert fake.deliver("/api/v1/webhooks/otro/conekta", event, client=client).json()["outcome"] == "duplicate"
    assert len(intake.unrouted_deliveries()) == 2 and len(intake.unrouted_deliveries(include_redriven=True)) == 3


def test_redrive_of_an_event_already_in_the_tenant_links_it(two_tenants, fresh_db, payment_secrets):
    client, sent, a, _b = two_tenants
    fake = payment_secrets
    event = fake.charge_paid(fake.charge(amount="10.00"))
    assert fake.deliver("/api/v1/webhooks/conekta", event, client=client).status_code == 202
    stored = fake.deliver("/api/v1/webhooks/cea/conekta", event, client=client).json()
    assert stored["outcome"] == "stored"
    held = intake.unrouted_deliveries()[0]
    result = intake.redrive_unrouted(unrouted_id=held.id, tenant_slug="cea", operator="ana", enqueue=sent.append)
    assert result.outcome == "duplicate" and len(sent) == 1  # not queued twice
    with pytest.raises(intake.UnroutedEventElsewhere):  # another held copy cannot be redriven into the other tenant
        other = fake.charge_paid(fake.charge(amount="11.00"))
        fake.deliver("/api/v1/webhooks/conekta", other, client=client)
        fake.deliver("/api/v1/webhooks/cea/conekta", other, client=client)
        row = next(h for h in intake.unrouted_deliveries() if h.event_id == other["id"])
        intake.redrive_unrouted(unrouted_id=row.id, tenant_slug="otro", operator="ana", enqueue=sent.append)
    assert _rows(fresh_db, "SELECT count(*) FROM webhook_inbox WHERE tenant_id = %s", (a,)) == [(2,)]


def test_held_rejected_delivery_is_redriven_as_rejected(two_tenants, fresh_db, payment_secrets):
    client, sent, _a, _b = two_tenants
    fake = payment_secrets
    charge = fake.charge(amount="10.00")
    charge["amount"] = -1000
    r = fake.deliver("/api/v1/webhooks/conekta", fake.charge_paid(charge), client=client)
    assert r.status_code == 202
    held = intake.unrouted_deliveries()[0]
    assert "rejected" in held.reason
    result = intake.redrive_unrouted(unrouted_id=held.id, tenant_slug="otro", operator="ana", enqueue=sent.append)
    assert result.outcome == "rejected" and sent == []
    assert _rows(fresh_db, "SELECT status FROM webhook_inbox") == [("rejected",)]


def test_cli_lists_and_redrives(two_tenants, fresh_db, payment_secrets, monkeypatch):
    from cli import webhooks as cli_webhooks

    client, sent, _a, _b = two_tenants
    fake = payment_secrets
    event = fake.charge_paid(fake.charge(amount="10.00"))
    fake.deliver("/api/v1/webhooks/conekta", event, client=client)
    monkeypatch.setattr(cli_webhooks, "_enqueue", sent.append)
    runner = CliRunner()
    listed = runner.invoke(cli_webhooks.webhooks_app, ["unrouted"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert [r["event_id"] for r in rows] == [event["id"]] and "payload" not in rows[0]
    done = runner.invoke(cli_webhooks.webhooks_app, ["redrive", "--id", str(rows[0]["id"]), "--tenant", "otro"])
    assert done.exit_code == 0 and json.loads(done.output)["outcome"] == "stored"
    assert len(sent) == 1
    bad = runner.invoke(cli_webhooks.webhooks_app, ["redrive", "--id", str(rows[0]["id"]), "--tenant", "otro"])
    assert bad.exit_code == 2
    nope = runner.invoke(cli_webhooks.webhooks_app, ["redrive", "--id", "1", "--tenant", "nadie"])
    assert nope.exit_code == 2


def fake_now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
