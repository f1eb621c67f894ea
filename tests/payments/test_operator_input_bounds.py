"""Issue 13 item 4 (payments and API inputs): unbounded or mistyped operator inputs are 4xx problems.

Payment plans bound `first_due` to the signing window; a suspended USD payment is never posted to an MXN account;
JSON `true`, `1.0` and `"1"` are not ids; amounts in other scripts' digits are refused; free-form read rows with
NUL or lone surrogates and bodies nested deeper than the limit are 4xx, never 500."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from shared.application.access.tokens import issue_token, reset_tenant_cache
from shared.application.payments import apply, intake, ledger
from shared.platform.secrets import reset_secret_cache
from tests.payments.helpers import balance, make_account, make_invoice

KEY = "operator-bounds-test-key-0123456789abcdef0123"


@pytest.fixture
def api(fresh_db, tenant_factory, payment_secrets, monkeypatch):
    monkeypatch.setenv("JWT_SIGNING_KEY", KEY)
    reset_secret_cache()
    reset_tenant_cache()
    tenant = tenant_factory("cea-bounds")
    token = issue_token(tenant="cea-bounds", roles=["operator"], now=datetime.now(UTC))
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client, {"Authorization": f"Bearer {token}"}, tenant
    reset_secret_cache()


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_plan_first_due_must_fall_in_the_signing_window(fresh_db, api):
    client, auth, tenant = api
    acct = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="1200.00")
    url = f"/api/v1/accounts/{acct.id}/payment-plans"
    today = datetime.now(UTC).date()
    for first_due in [date(1900, 2, 28), date(2999, 1, 31), today, today - timedelta(days=1), today + timedelta(91)]:
        body = {"down_payment": "240.00", "installments": 6, "first_due": first_due.isoformat()}
        problem = _problem(client.post(url, json=body, headers=auth), 422)
        assert problem["code"] == "plan_not_eligible" and "primera parcialidad" in problem["detail"], first_due
    for first_due_value in [1767225600, "٢٠٢٦-12-01", "2026-12-01T00:00:00", True]:
        body = {"down_payment": "240.00", "installments": 6, "first_due": first_due_value}
        assert _problem(client.post(url, json=body, headers=auth), 422)["code"] == "validation_error", first_due_value
    with fresh_db.owner() as c:
        assert c.execute("SELECT count(*) FROM payment_plans").fetchone()[0] == 0
    edge = {"down_payment": "240.00", "installments": 6, "first_due": (today + timedelta(days=90)).isoformat()}
    assert client.post(url, json=edge, headers=auth).status_code == 201


def test_mistyped_numbers_are_not_ids_counts_or_amounts(fresh_db, api):
    client, auth, tenant = api
    acct = make_account(fresh_db, tenant)
    first_due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    plan_url = f"/api/v1/accounts/{acct.id}/payment-plans"
    cases = [
        ("/api/v1/payments/1/assign", {"account_id": True}),
        ("/api/v1/payments/1/assign", {"account_id": 1.0}),
        ("/api/v1/payments/1/assign", {"account_id": "1"}),
        ("/api/v1/payments/1/assign", {"account_id": 2**63}),
        (plan_url, {"down_payment": "240.00", "installments": True, "first_due": first_due}),
        (plan_url, {"down_payment": "240.00", "installments": "6", "first_due": first_due}),
        (plan_url, {"down_payment": "٢٤٠", "installments": 6, "first_due": first_due}),
        (plan_url, {"down_payment": "２４０", "installments": 6, "first_due": first_due}),
        (plan_url, {"down_payment": True, "installments": 6, "first_due": first_due}),
        (plan_url, {"down_payment": "NaN", "installments": 6, "first_due": first_due}),
    ]
    for url, body in cases:
        problem = _problem(client.post(url, json=body, headers=auth), 422)
        assert problem["code"] == "validation_error", (url, body)


def test_suspended_usd_payment_is_never_posted_as_pesos(fresh_db, api, payment_secrets):
    client, auth, tenant = api
    acct = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="75.00")
    fake = payment_secrets
    charge = fake.charge(amount="75.00", reference=acct.reference)
    charge["currency"] = "USD"
    queue: list[dict] = []
    body, digest = fake.signed(fake.charge_paid(charge))
    intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)
    apply.process_inbox(tenant_id=tenant, inbox_id=queue[0]["inbox_id"], now=datetime.now(UTC))
    suspense = client.get("/api/v1/payments/suspense", headers=auth).json()
    assert [(p["suspense_reason"]) for p in suspense] == ["currency USD"]
    before = balance(fresh_db, acct.id)
    r = client.post(f"/api/v1/payments/{suspense[0]['id']}/assign", json={"account_id": acct.id}, headers=auth)
    problem = _problem(r, 409)
    assert problem["code"] == "payment_not_in_mxn" and "USD" in problem["detail"]
    assert balance(fresh_db, acct.id) == before
    with fresh_db.owner() as c:
        assert c.execute("SELECT status, currency FROM payments").fetchall() == [("unmatched", "USD")]
    assert ledger.check_tenant(tenant_id=tenant).ok


def test_read_batch_rows_with_nul_or_lone_surrogates_are_422(api):
    client, auth, _ = api
    row = {"meter_serial": "M1", "read_at": "2026-04-05T09:00:00-06:00", "value": "1", "source": "handheld"}
    for field, bad in [
        ("meter_serial", "M\x001"),
        ("source_id", "b\ud800"),
        ("meter_serial", "\udfff"),
        ("x\x00", "1"),
    ]:
        body = json.dumps({"reads": [{**row, "source_id": "b-1", field: bad}]})
        r = client.post("/api/v1/readings/batch", content=body, headers={**auth, "Content-Type": "application/json"})
        assert _problem(r, 422)["code"] == "validation_error", (field, bad)


def test_any_json_body_nested_too_deep_is_400_before_parsing(api):
    client, auth, _ = api
    for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
        body = b'{"reads":' + opener * 100_000 + b"1" + closer * 100_000 + b"}"
        r = client.post("/api/v1/readings/batch", content=body, headers={**auth, "Content-Type": "application/json"})
        assert _problem(r, 413 if len(body) > 1_000_000 else 400)["code"] in ("json_too_deep", "payload_too_large")
    shallow = b'{"reads":' + b"[" * 70 + b"]" * 70 + b"}"
    r = client.post("/api/v1/readings/batch", content=shallow, headers={**auth, "Content-Type": "application/json"})
    assert _problem(r, 400)["code"] == "json_too_deep"
