"""The webhook endpoints over HTTP (FastAPI app): 401 stores nothing, 400 problem+json, unhandled types are
acknowledged and recorded, redeliveries change nothing, SPEI answers confirmar/devolver."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from functions.api.routes import webhooks
from shared.application.payments import intake
from shared.domain.payments.references import make_clabe
from tests.payments.conftest import SPEI_SECRET

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def api(fresh_db, tenant_factory, payment_secrets):
    tenant_factory("cea")
    app = create_app()
    sent: list[dict] = []
    app.dependency_overrides[webhooks.payments_enqueue] = lambda: sent.append
    with TestClient(app) as client:
        yield client, sent


def _inbox(db):
    with db.owner() as c:
        return c.execute("SELECT provider, event_type, status FROM webhook_inbox ORDER BY id").fetchall()


def test_conekta_signed_delivery_is_stored_once_and_queued(api, fresh_db, payment_secrets):
    client, sent = api
    event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00", reference="100000000017"))
    r1 = payment_secrets.deliver("/api/v1/webhooks/conekta", event, client=client)
    r2 = payment_secrets.deliver("/api/v1/webhooks/conekta", event, client=client)
    assert r1.status_code == 200 and r1.json()["outcome"] == "stored"
    assert r2.status_code == 200 and r2.json()["outcome"] == "duplicate"
    assert len(sent) == 1 and _inbox(fresh_db) == [("conekta", "charge.paid", "pending")]


def test_conekta_bad_signature_is_401_and_stores_nothing(api, fresh_db, payment_secrets):
    client, sent = api
    body, digest = payment_secrets.signed(payment_secrets.charge_paid(payment_secrets.charge(amount="10.00")))
    tampered = body.replace(b'"amount":1000', b'"amount":9000')
    for headers in ({"digest": digest}, {}, {"digest": "not base64!"}):
        r = client.post("/api/v1/webhooks/conekta", content=tampered, headers={**headers, **JSON})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "webhook_unverified"
    assert _inbox(fresh_db) == [] and sent == []


def test_conekta_malformed_body_is_400_problem(api, fresh_db, payment_secrets):
    client, _ = api
    for body in (
        b"{not json",
        json.dumps({"type": "charge.paid"}).encode(),
        json.dumps({"id": "evt_1", "type": "charge.paid"}).encode(),
    ):
        from shared.adapters.conekta import sign

        r = client.post(
            "/api/v1/webhooks/conekta",
            content=body,
            headers={"digest": sign(body=body, private_key=payment_secrets.private_key), **JSON},
        )
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "webhook_malformed" and r.json()["detail"].startswith("La notificación")
    assert _inbox(fresh_db) == []


def test_unhandled_event_type_is_acknowledged_and_recorded(api, fresh_db, payment_secrets):
    client, sent = api
    charge = payment_secrets.charge(amount="10.00")
    for event in (payment_secrets.pending_payment(charge), payment_secrets.event("customer.created", {"id": "cus"})):
        r = payment_secrets.deliver("/api/v1/webhooks/conekta", event, client=client)
        assert r.status_code == 200 and r.json()["outcome"] == "ignored"
    assert [row[2] for row in _inbox(fresh_db)] == ["ignored", "ignored"] and sent == []


def _abono(ident, clabe):
    return json.dumps(
        {
            "id": ident,
            "fechaOperacion": 20260127,
            "monto": 150.25,
            "cuentaBeneficiario": clabe,
            "claveRastreo": f"CR{ident}",
            "tsLiquidacion": "1769540000000",
        }
    ).encode()


def test_spei_confirm_return_and_authentication(api, fresh_db, monkeypatch):
    client, sent = api
    good = make_clabe(bank="646", plaza="180", account="70000000001")
    body = _abono(1, good)
    sig = intake.spei_signature(body=body, secret=SPEI_SECRET)
    r = client.post("/api/v1/webhooks/spei", content=body, headers={"X-Spei-Signature": sig, **JSON})
    assert r.status_code == 200 and r.json() == {"mensaje": "confirmar"}
    assert client.post("/api/v1/webhooks/spei", content=body, headers={"X-Spei-Signature": sig, **JSON}).json() == {
        "mensaje": "confirmar"
    }
    bad = _abono(2, good[:-1] + str((int(good[-1]) + 1) % 10))
    r = client.post(
        "/api/v1/webhooks/spei",
        content=bad,
        headers={"X-Spei-Signature": intake.spei_signature(body=bad, secret=SPEI_SECRET), **JSON},
    )
    assert r.json() == {"mensaje": "devolver", "id": 1}
    r = client.post("/api/v1/webhooks/spei", content=_abono(3, good), headers={"X-Spei-Signature": sig, **JSON})
    assert r.status_code == 401
    assert [row[2] for row in _inbox(fresh_db)] == ["pending", "ignored"] and len(sent) == 1
    # allowlist only (no secret): the test client's address is not in it
    monkeypatch.setenv("SPEI_WEBHOOK_SECRET", "")
    monkeypatch.setenv("SPEI_ALLOWED_IPS", "10.0.0.0/8")
    from shared.platform.config import reset_settings_cache
    from shared.platform.secrets import reset_secret_cache

    reset_secret_cache()
    reset_settings_cache()
    assert client.post("/api/v1/webhooks/spei", content=_abono(4, good), headers=JSON).status_code == 401
    monkeypatch.setenv("SPEI_ALLOWED_IPS", "10.0.0.0/8, testclient")
    reset_settings_cache()
    assert (
        client.post("/api/v1/webhooks/spei", content=_abono(5, good), headers=JSON).status_code == 401
    )  # not an address
    assert intake._ip_allowed("10.1.2.3", "10.0.0.0/8") and not intake._ip_allowed("11.1.2.3", "10.0.0.0/8")
