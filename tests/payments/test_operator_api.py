"""Operators work the suspense queue and sign payment plans through the API (bearer tokens, problem+json)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from shared.application.access.tokens import issue_token, reset_tenant_cache
from shared.application.payments import apply, intake, ledger
from shared.platform.secrets import reset_secret_cache
from tests.payments.helpers import make_account, make_invoice, open_amounts

KEY = "operator-api-test-key-0123456789abcdef012345"


@pytest.fixture
def api(fresh_db, tenant_factory, payment_secrets, monkeypatch):
    monkeypatch.setenv("JWT_SIGNING_KEY", KEY)
    reset_secret_cache()
    reset_tenant_cache()
    tenant = tenant_factory("cea-ops")
    now = datetime.now(UTC)
    tokens = {
        r: {"Authorization": f"Bearer {issue_token(tenant='cea-ops', roles=[r], now=now)}"}
        for r in ("operator", "billing_admin")
    }
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client, tokens, tenant
    reset_secret_cache()


def _unmatched(fake, tenant, amount):
    queue: list[dict] = []
    body, digest = fake.signed(fake.charge_paid(fake.charge(amount=amount, reference="000000000000")))
    intake.receive_conekta(body=body, digest=digest, tenant_slug=None, enqueue=queue.append)
    for msg in queue:
        apply.process_inbox(tenant_id=tenant, inbox_id=msg["inbox_id"], now=datetime.now(UTC))


def test_operator_places_suspense_money_on_an_account(fresh_db, api, payment_secrets):
    client, tokens, tenant = api
    acct = make_account(fresh_db, tenant)
    invoice = make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="75.00")
    _unmatched(payment_secrets, tenant, "75.00")
    queue = client.get("/api/v1/payments/suspense", headers=tokens["operator"])
    assert queue.status_code == 200 and len(queue.json()) == 1
    payment_id = queue.json()[0]["id"]
    assert (
        client.post(
            f"/api/v1/payments/{payment_id}/assign", json={"account_id": acct.id}, headers=tokens["operator"]
        ).status_code
        == 204
    )
    assert open_amounts(fresh_db, acct.id)[invoice] == Decimal("0.00")
    again = client.post(
        f"/api/v1/payments/{payment_id}/assign", json={"account_id": acct.id}, headers=tokens["operator"]
    )
    assert again.status_code == 409 and again.json()["code"] == "not_in_suspense"
    missing = client.post("/api/v1/payments/999999/assign", json={"account_id": acct.id}, headers=tokens["operator"])
    assert missing.status_code == 404
    assert ledger.check_tenant(tenant_id=tenant).ok


def test_operator_signs_a_plan_and_bad_plans_are_refused(fresh_db, api):
    client, tokens, tenant = api
    acct = make_account(fresh_db, tenant)
    make_invoice(fresh_db, tenant, acct.id, period=date(2026, 1, 1), total="1200.00")
    url = f"/api/v1/accounts/{acct.id}/payment-plans"
    first_due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    bad = client.post(
        url, json={"down_payment": "5000.00", "installments": 6, "first_due": first_due}, headers=tokens["operator"]
    )
    assert bad.status_code == 422
    signed = client.post(
        url, json={"down_payment": "240.00", "installments": 6, "first_due": first_due}, headers=tokens["operator"]
    )
    assert signed.status_code == 201, signed.text
    plans = client.get(url, headers=tokens["operator"]).json()
    assert len(plans) == 1
    with fresh_db.owner() as conn:
        amounts = [
            r[0]
            for r in conn.execute(
                "SELECT amount FROM payment_plan_installments WHERE plan_id = %s ORDER BY seq",
                (signed.json()["plan_id"],),
            )
        ]
    assert amounts == [Decimal("240.00")] + [Decimal("160.00")] * 6
    assert ledger.check_tenant(tenant_id=tenant).ok
