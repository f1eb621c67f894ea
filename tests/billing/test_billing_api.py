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


def wait_status(client, tokens, run_id, statuses, tries=600):
    for _ in range(tries):
        progress = client.get(f"/billing-runs/{run_id}", headers=auth(tokens, "billing_admin")).json()
        if progress["status"] in statuses:
            return progress
        time.sleep(0.1)
    return progress


def test_start_follow_and_approve_a_run(api):
    client, tokens, _ = api
    admin = auth(tokens, "billing_admin")
    body = {"period": "2026-03", "back_billing": True}
    started = client.post("/billing-runs", json=body, headers=admin)
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    progress = wait_status(client, tokens, run_id, ("awaiting_approval", "failed"))
    assert progress["status"] == "awaiting_approval" and progress["invoices"] == 8
    assert progress["orchestration"]["custom_status"]["phase"] == "awaiting_approval"
    again = client.post("/billing-runs", json=body, headers=admin)
    assert again.status_code == 202 and again.json()["run_id"] == run_id and again.json()["launched"] is False
    unissued = client.post(f"/billing-runs/{run_id}/stamping-rounds", headers=admin)
    assert unissued.status_code == 409 and unissued.json()["code"] == "billing_run_not_issued"
    approved = client.post(f"/billing-runs/{run_id}/approve", headers=admin)
    assert approved.status_code == 202 and approved.json()["instance_id"] == progress["instance_id"]
    twice = client.post(f"/billing-runs/{run_id}/approve", headers=admin)
    assert twice.status_code == 409 and twice.headers["content-type"].startswith("application/problem+json")
    assert twice.json()["code"] == "billing_run_already_approved"
    issued = wait_status(client, tokens, run_id, ("issued",))
    assert issued["status"] == "issued" and issued["issued"] == 8 and issued["approved_by"]


def test_bad_run_input_is_a_problem_and_records_nothing(api):
    client, tokens, _ = api
    admin = auth(tokens, "billing_admin")
    future = client.post("/billing-runs", json={"period": "2099-01"}, headers=admin)
    assert future.status_code == 422 and future.json()["code"] == "period_not_ended"
    old = client.post("/billing-runs", json={"period": "2026-03"}, headers=admin)
    assert old.status_code == 422 and old.json()["code"] == "back_billing_required"
    sector = client.post(
        "/billing-runs", json={"period": "2026-03", "back_billing": True, "sector": "S99"}, headers=admin
    )
    assert sector.status_code == 404 and sector.json()["code"] == "sector_not_found"
    arabic = client.post("/billing-runs", json={"period": "٢٠٢٦-03"}, headers=admin)
    assert arabic.status_code == 422
    assert client.get("/billing-runs", headers=admin).json() == []
    assert client.get("/billing-runs/999999/exceptions", headers=admin).status_code == 404
    review = client.post("/invoices/999999/review", json={"action": "release"}, headers=admin)
    assert review.status_code == 404
    assert client.post("/billing-runs/999999/approve", headers=admin).status_code == 404
    assert client.post("/billing-runs/999999/stamping-rounds", headers=admin).status_code == 404
    cancel = client.post("/invoices/999999/cfdi/cancellation", json={"motivo": "02"}, headers=admin)
    assert cancel.status_code == 404
    no_substitute = client.post("/invoices/999999/cfdi/cancellation", json={"motivo": "01"}, headers=admin)
    assert no_substitute.status_code == 422 and no_substitute.json()["code"] == "substitute_required"
    bad_motivo = client.post("/invoices/1/cfdi/cancellation", json={"motivo": "05"}, headers=admin)
    assert bad_motivo.status_code == 422


def test_operators_cannot_run_billing_and_bad_periods_are_problems(api):
    client, tokens, _ = api
    denied = client.post("/billing-runs", json={"period": "2026-03"}, headers=auth(tokens, "operator"))
    assert denied.status_code == 403
    bad = client.post("/billing-runs", json={"period": "2026-13"}, headers=auth(tokens, "billing_admin"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    no_tariff = client.post(
        "/billing-runs", json={"period": "2019-01", "back_billing": True}, headers=auth(tokens, "billing_admin")
    )
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
