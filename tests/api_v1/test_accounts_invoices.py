"""Balance, statement, payment references, invoices with explained lines, pagination and self-reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.api_v1.conftest import Token, problem
from tests.api_v1.world import World


def test_balance_is_the_sum_of_the_ledger(client, world: World, as_a):
    body = client.get(f"/api/v1/accounts/{world.a.account_id}/balance", headers=as_a).json()
    assert Decimal(body["balance"]) == Decimal("127.50") - Decimal("100")
    assert body["last_invoice_id"] == world.a.invoice_id and Decimal(body["last_payment_amount"]) == 100
    assert body["last_payment_at"].endswith("-06:00")  # local time of Querétaro


def test_statement_has_opening_running_and_closing_balances(client, world: World, as_a):
    url = f"/api/v1/accounts/{world.a.account_id}/statement"
    body = client.get(url, params={"from": "2026-01-15", "to": "2026-02-01"}, headers=as_a).json()
    assert Decimal(body["opening_balance"]) == Decimal("127.50")
    assert [m["kind"] for m in body["movements"]] == ["payment"]
    assert Decimal(body["closing_balance"]) == Decimal("27.50") == Decimal(body["movements"][-1]["balance_after"])
    bad = client.get(url, params={"from": "2026-02-01", "to": "2026-01-01"}, headers=as_a)
    assert bad.status_code == 422 and problem(bad)["code"] == "invalid_range"


def test_payment_references_are_the_accounts(client, world: World, as_a):
    body = client.get(f"/api/v1/accounts/{world.a.account_id}/payment-references", headers=as_a).json()
    assert len(body["oxxo_reference"]) == 12 and len(body["clabe"]) == 18


def test_invoice_detail_explains_every_line(client, world: World, as_a):
    body = client.get(f"/api/v1/invoices/{world.a.invoice_id}", headers=as_a).json()
    assert [line["line_no"] for line in body["lines"]] == [1, 2, 3]
    assert sum(Decimal(line["amount"]) for line in body["lines"]) == Decimal(body["total"])
    assert "tarifa Domestico 2026 v1" in body["lines"][0]["explanation"]
    assert "consumo estimado" in body["lines"][1]["explanation"]
    assert Decimal(body["outstanding"]) == Decimal(body["total"])


def test_cursor_pagination_walks_every_row_once(client, world: World, as_op):
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/invoices", params=params, headers=as_op).json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    everything = [i["id"] for i in client.get("/api/v1/invoices", headers=as_op).json()["items"]]
    assert seen == everything and len(seen) == 4
    bad = client.get("/api/v1/invoices", params={"cursor": "nonsense!"}, headers=as_op)
    assert bad.status_code == 400 and problem(bad)["code"] == "invalid_cursor"


def test_self_read_is_stored_once_per_natural_key(fresh_client, fresh_world: World, auth: Token):
    headers = auth("customer", person=fresh_world.a.person_id)
    at = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0).isoformat()
    url = f"/api/v1/accounts/{fresh_world.a.account_id}/readings"
    first = fresh_client.post(url, json={"value": "123.5", "read_at": at}, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["source"] == "self" and first.json()["duplicate"] is False
    again = fresh_client.post(url, json={"value": "123.5", "read_at": at}, headers=headers)
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]
    listed = fresh_client.get(url, headers=headers).json()["items"]
    assert [r["id"] for r in listed] == [first.json()["id"]]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert (
        problem(fresh_client.post(url, json={"value": "1", "read_at": future}, headers=headers))["code"]
        == "read_at_out_of_range"
    )
    assert problem(fresh_client.post(url, json={"value": "100000"}, headers=headers))["code"] == "value_exceeds_dials"


def test_idempotency_key_replays_the_first_response(fresh_client, fresh_world: World, auth: Token):
    headers = {**auth("operator"), "Idempotency-Key": "alta-1"}
    body = {
        "person_id": fresh_world.a.person_id,
        "toma_id": fresh_world.a.toma_id,
        "tariff_class": "domestico",
        "opened_on": "2026-03-01",
    }
    first = fresh_client.post("/api/v1/accounts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    replay = fresh_client.post("/api/v1/accounts", json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    listed = fresh_client.get("/api/v1/accounts", params={"toma_id": fresh_world.a.toma_id}, headers=headers)
    assert len(listed.json()["items"]) == 2  # the seeded account and exactly one new one
    other = fresh_client.post("/api/v1/accounts", json={**body, "household_size": 2}, headers=headers)
    assert other.status_code == 422 and problem(other)["code"] == "idempotency_key_reused"


def test_tariff_versions_and_quote(fresh_client, fresh_world: World, auth: Token):
    admin = auth("billing_admin")
    old = fresh_client.get(f"/api/v1/tariffs/{fresh_world.tariff_id}", headers=admin).json()
    new_def = {**old["definition"], "effective_from": "2026-07-01"}
    created = fresh_client.post("/api/v1/tariffs", json=new_def, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["version"] == 2
    assert (
        fresh_client.get(f"/api/v1/tariffs/{fresh_world.tariff_id}", headers=admin).json()["effective_to"]
        == "2026-07-01"
    )
    quote = fresh_client.post(
        "/api/v1/tariffs/simulate", json={"tariff_class": "domestico", "m3": "15", "on": "2026-03-01"}, headers=admin
    ).json()
    assert Decimal(quote["total"]) == Decimal("10") * Decimal("5.50") + 5 * Decimal("8.75") + Decimal("45.00")
    forbidden = fresh_client.post("/api/v1/tariffs", json=new_def, headers=auth("operator"))
    assert forbidden.status_code == 403
    invalid = fresh_client.post("/api/v1/tariffs", json={**new_def, "taxes": {"iva_rates": {}}}, headers=admin)
    assert invalid.status_code == 422


def test_self_read_below_the_last_actual_read_is_held_by_the_vee(
    fresh_db, fresh_client, fresh_world: World, auth: Token
):
    earlier = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=0)
    with fresh_db.owner() as conn:
        conn.execute(
            """INSERT INTO meter_readings (tenant_id, meter_id, account_id, read_at, value, source, source_id)
               VALUES (%s, %s, %s, %s, 500, 'handheld', 'h-1')""",
            (fresh_world.tenant_id, fresh_world.a.meter_id, fresh_world.a.account_id, earlier),
        )
    headers = auth("customer", person=fresh_world.a.person_id)
    url = f"/api/v1/accounts/{fresh_world.a.account_id}/readings"
    low = fresh_client.post(url, json={"value": "100"}, headers=headers)
    assert low.status_code == 201, low.text
    assert low.json()["status"] == "exception"
    assert "NEGATIVE_CONSUMPTION" in low.json()["exception_codes"]
    ok = fresh_client.post(
        url, json={"value": "512", "read_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}, headers=headers
    )
    assert ok.json()["status"] == "valid"


def test_billing_admin_credits_an_invoice_once_per_key(fresh_db, fresh_client, fresh_world: World, auth: Token):
    url = f"/api/v1/invoices/{fresh_world.a.invoice_id}/credits"
    body = {"amount": "10.00", "reason": "Ajuste por fuga reparada"}
    admin = {**auth("billing_admin"), "Idempotency-Key": "cred-1"}
    first = fresh_client.post(url, json=body, headers=admin)
    assert first.status_code == 201, first.text
    assert fresh_client.post(url, json=body, headers=admin).json() == first.json()
    assert (
        fresh_client.post(url, json=body, headers={**auth("operator"), "Idempotency-Key": "cred-2"}).status_code == 403
    )
    too_much = fresh_client.post(
        url, json={**body, "amount": "99999999.00"}, headers={**auth("billing_admin"), "Idempotency-Key": "cred-3"}
    )
    assert too_much.status_code == 422 and problem(too_much)["code"] == "invoice_not_creditable"
    with fresh_db.owner() as conn:
        assert conn.execute(
            "SELECT count(*), sum(amount) FROM adjustments WHERE invoice_id = %s", (fresh_world.a.invoice_id,)
        ).fetchone() == (1, Decimal("-10.00"))
