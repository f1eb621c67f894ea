"""Billing runs and read batches through the real HTTP trigger (local runner), with bearer tokens."""

import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from devtools.local_runner.host import LocalHost
from shared.application.access.tokens import issue_token, reset_tenant_cache
from shared.platform.secrets import reset_secret_cache
from tests.billing.builders import add_account, make_utility, monthly

REPO = Path(__file__).resolve().parents[2]
KEY = "billing-api-test-key-0123456789abcdef0123"


@pytest.fixture
def api(fresh_db, azurite, monkeypatch):
    monkeypatch.setenv("JWT_SIGNING_KEY", KEY)
    reset_secret_cache()
    reset_tenant_cache()
    u = make_utility(fresh_db, "cea-api")
    for i in range(8):
        add_account(fresh_db, u, sector="S01", reads=monthly(date(2025, 3, 1), [10 * i + 18 * m for m in range(13)]))
    host = LocalHost(
        "function_app:app",
        host_json=REPO / "host.json",
        app_dir=REPO,
        activity_workers=1,
        duplicate_start="extension",
        env={
            "DATABASE_URL": fresh_db.app_url,
            "AzureWebJobsStorage": azurite,
            "JWT_SIGNING_KEY": KEY,
            "TASKHUB_NAME": "billingapi",
            "BILLING_CHUNK_SIZE": "500",
        },
    )
    host.start()
    now = datetime.now(UTC)
    tokens = {role: issue_token(tenant=u.slug, roles=[role], now=now) for role in ("billing_admin", "operator")}
    with httpx.Client(base_url=f"{host.base_url}/api/v1", timeout=60) as client:
        yield client, tokens, u
    host.stop()
    reset_secret_cache()


def auth(tokens, role):
    return {"Authorization": f"Bearer {tokens[role]}"}


def test_start_follow_and_approve_a_run(api):
    client, tokens, _ = api
    started = client.post("/billing-runs", json={"period": "2026-03"}, headers=auth(tokens, "billing_admin"))
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    for _ in range(200):
        progress = client.get(f"/billing-runs/{run_id}", headers=auth(tokens, "billing_admin")).json()
        if progress["status"] in ("completed", "failed"):
            break
        time.sleep(0.1)
    assert progress["status"] == "completed" and progress["invoices"] == 8
    again = client.post("/billing-runs", json={"period": "2026-03"}, headers=auth(tokens, "billing_admin"))
    assert again.status_code == 202 and again.json()["run_id"] == run_id and again.json()["launched"] is False
    issued = client.post(f"/billing-runs/{run_id}/approve", headers=auth(tokens, "billing_admin"))
    assert issued.status_code == 200 and issued.json()["issued"] == 8


def test_operators_cannot_run_billing_and_bad_periods_are_problems(api):
    client, tokens, _ = api
    denied = client.post("/billing-runs", json={"period": "2026-03"}, headers=auth(tokens, "operator"))
    assert denied.status_code == 403
    bad = client.post("/billing-runs", json={"period": "2026-13"}, headers=auth(tokens, "billing_admin"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    no_tariff = client.post("/billing-runs", json={"period": "2019-01"}, headers=auth(tokens, "billing_admin"))
    assert no_tariff.status_code == 422 and no_tariff.json()["code"] == "no_tariff_in_force"
    missing = client.get("/billing-runs/999", headers=auth(tokens, "billing_admin"))
    assert missing.status_code == 404


def test_read_batch_reports_per_row(api):
    client, tokens, _ = api
    r = client.post(
        "/readings/batch",
        headers=auth(tokens, "operator"),
        json={
            "reads": [
                {
                    "meter_serial": "M000001",
                    "read_at": "2026-04-05T09:00:00-06:00",
                    "value": "226",
                    "source": "handheld",
                    "source_id": "b-1",
                },
                {
                    "meter_serial": "M999999",
                    "read_at": "2026-03-21T09:00:00-06:00",
                    "value": "1",
                    "source": "handheld",
                    "source_id": "b-2",
                },
            ]
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert "medidor desconocido" in body["rows"][0]["errors"][0]
