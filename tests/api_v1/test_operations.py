"""Work orders (status workflow and SLA), contacts, fraud cases with back-billing into the ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tests.api_v1.conftest import Token, problem
from tests.api_v1.world import World


def test_leak_report_by_customer_and_the_work_order_workflow(fresh_client, fresh_world: World, auth: Token):
    me = auth("customer", person=fresh_world.a.person_id)
    op = auth("operator")
    r = fresh_client.post(
        "/api/v1/work-orders",
        json={"kind": "leak_report", "priority": "urgent", "account_id": fresh_world.a.account_id, "reason": "Fuga"},
        headers={**me, "Idempotency-Key": "fuga-1"},
    )
    assert r.status_code == 201, r.text
    wo = r.json()
    assert wo["toma_id"] == fresh_world.a.toma_id and wo["status"] == "open"
    sla = datetime.fromisoformat(wo["due_at"]) - datetime.fromisoformat(wo["created_at"])
    assert sla.total_seconds() == 6 * 3600
    assert (
        fresh_client.post(
            "/api/v1/work-orders",
            json={"kind": "suspension", "account_id": fresh_world.a.account_id, "reason": "x"},
            headers=me,
        ).status_code
        == 403
    )
    url = f"/api/v1/work-orders/{wo['id']}/transitions"
    assert fresh_client.post(url, json={"status": "in_progress"}, headers=me).status_code == 403
    assert problem(fresh_client.post(url, json={"status": "done"}, headers=op))["code"] == "invalid_transition"
    assert problem(fresh_client.post(url, json={"status": "assigned"}, headers=op))["code"] == "assignee_required"
    fresh_client.post(url, json={"status": "assigned", "assigned_to": "cuadrilla-7"}, headers=op)
    started = fresh_client.post(url, json={"status": "in_progress"}, headers=op).json()
    done = fresh_client.post(url, json={"status": "done"}, headers=op).json()
    assert started["started_at"] and done["completed_at"] and done["assigned_to"] == "cuadrilla-7"


def test_contacts_link_interactions_and_validate_links(fresh_client, fresh_world: World, auth: Token):
    op = auth("operator")
    body = {
        "account_id": fresh_world.b.account_id,
        "channel": "phone",
        "direction": "outbound",
        "subject": "Aviso de adeudo",
    }
    assert fresh_client.post("/api/v1/contacts", json=body, headers=op).status_code == 201
    listed = fresh_client.get("/api/v1/contacts", params={"account_id": fresh_world.b.account_id}, headers=op)
    assert [c["subject"] for c in listed.json()["items"]] == ["Aviso de adeudo", "Consulta de saldo"]
    assert fresh_client.post("/api/v1/contacts", json={**body, "account_id": 999999}, headers=op).status_code == 404
    unlinked = {k: v for k, v in body.items() if k != "account_id"}
    assert problem(fresh_client.post("/api/v1/contacts", json=unlinked, headers=op))["code"] == "link_required"


def test_fraud_case_confirmed_with_back_billing_posts_to_the_ledger_once(fresh_client, fresh_world: World, auth: Token):
    op = auth("operator")
    billing = auth("billing_admin")
    body = {"source": "inspection", "account_id": fresh_world.b.account_id, "description": "Derivación"}
    case = fresh_client.post("/api/v1/fraud-cases", json=body, headers=op)
    assert case.status_code == 201
    url = f"/api/v1/fraud-cases/{case.json()['id']}/transitions"
    assert fresh_client.post(url, json={"status": "investigating"}, headers=op).status_code == 200
    no_right = fresh_client.post(
        url, json={"status": "confirmed", "outcome": "Confirmado", "back_billing_amount": "850.00"}, headers=op
    )
    assert no_right.status_code == 403  # back-billing needs billing:adjust
    confirmed = fresh_client.post(
        url, json={"status": "confirmed", "outcome": "Confirmado", "back_billing_amount": "850.00"}, headers=billing
    )
    assert confirmed.json()["back_billing_amount"] == "850.00"
    balance_url = f"/api/v1/accounts/{fresh_world.b.account_id}/balance"
    before = Decimal(fresh_client.get(balance_url, headers=op).json()["balance"])
    closed = fresh_client.post(url, json={"status": "closed"}, headers=op)
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert Decimal(fresh_client.get(balance_url, headers=op).json()["balance"]) == before + Decimal("850.00")
    assert fresh_client.post(url, json={"status": "closed"}, headers=op).status_code == 409
