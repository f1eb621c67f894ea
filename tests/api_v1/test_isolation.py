"""A customer never reaches another customer's data (404, not 403) and no tenant sees another tenant's data."""

from __future__ import annotations

import pytest

from tests.api_v1.conftest import Token, problem
from tests.api_v1.world import Customer, World

# (path template, Customer attribute) for every resource a customer can read.
CUSTOMER_READABLE = [
    ("/api/v1/persons/{}", "person_id"),
    ("/api/v1/persons/{}/versions", "person_id"),
    ("/api/v1/persons/{}/opt-outs", "person_id"),
    ("/api/v1/addresses/{}", "address_id"),
    ("/api/v1/tomas/{}", "toma_id"),
    ("/api/v1/meters/{}", "meter_id"),
    ("/api/v1/accounts/{}", "account_id"),
    ("/api/v1/accounts/{}/balance", "account_id"),
    ("/api/v1/accounts/{}/statement?from=2026-01-01&to=2026-03-01", "account_id"),
    ("/api/v1/accounts/{}/payment-references", "account_id"),
    ("/api/v1/accounts/{}/payments", "account_id"),
    ("/api/v1/accounts/{}/payment-plans", "account_id"),
    ("/api/v1/accounts/{}/readings", "account_id"),
    ("/api/v1/invoices/{}", "invoice_id"),
    ("/api/v1/work-orders/{}", "work_order_id"),
    ("/api/v1/contacts/{}", "contact_id"),
    ("/api/v1/arco-requests/{}", "arco_request_id"),
]
STAFF_ONLY = [("/api/v1/fraud-cases/{}", "fraud_case_id")]


def _url(template: str, who: Customer, attr: str) -> str:
    return template.format(getattr(who, attr))


@pytest.mark.parametrize(("template", "attr"), CUSTOMER_READABLE)
def test_customer_sees_own_but_never_another_customers(client, world: World, as_a, as_b, template, attr):
    assert client.get(_url(template, world.a, attr), headers=as_a).status_code == 200
    other = client.get(_url(template, world.b, attr), headers=as_a)
    assert other.status_code == 404, other.text
    assert problem(other)["code"] == "not_found"
    assert client.get(_url(template, world.b, attr), headers=as_b).status_code == 200


@pytest.mark.parametrize(("template", "attr"), CUSTOMER_READABLE + STAFF_ONLY)
def test_tenants_are_isolated(client, world: World, auth: Token, template, attr):
    ours = auth("admin")
    theirs = auth("admin", tenant="otro")
    assert client.get(_url(template, world.a, attr), headers=ours).status_code == 200
    assert client.get(_url(template, world.a, attr), headers=theirs).status_code == 404
    assert client.get(_url(template, world.c, attr), headers=theirs).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/persons",
        "/api/v1/addresses",
        "/api/v1/tomas",
        "/api/v1/meters",
        "/api/v1/accounts",
        "/api/v1/invoices",
        "/api/v1/work-orders",
        "/api/v1/contacts",
        "/api/v1/arco-requests",
    ],
)
def test_lists_show_a_customer_only_their_own(client, world: World, as_a, as_op, path):
    mine = client.get(path, headers=as_a)
    assert mine.status_code == 200
    items = mine.json()["items"]
    assert items, "the customer has data of every kind"
    staff = client.get(path, headers=as_op).json()["items"]
    assert len(staff) > len(items)
    theirs = {i["id"] for i in staff} - {i["id"] for i in items}
    assert theirs, "the operator sees the other customer's rows"


def test_customer_filters_cannot_widen_the_scope(client, world: World, as_a):
    r = client.get(f"/api/v1/accounts?person_id={world.b.person_id}", headers=as_a)
    assert r.status_code == 200 and r.json()["items"] == []
    r = client.get(f"/api/v1/invoices?account_id={world.b.account_id}", headers=as_a)
    assert r.status_code == 200 and r.json()["items"] == []


def test_staff_only_resources_are_forbidden_to_customers(client, world: World, as_a):
    assert problem(client.get("/api/v1/fraud-cases", headers=as_a))["status"] == 403
    assert client.get(f"/api/v1/fraud-cases/{world.a.fraud_case_id}", headers=as_a).status_code == 403


def test_customer_cannot_write_for_another_customer(client, world: World, as_a):
    r = client.post(f"/api/v1/accounts/{world.b.account_id}/readings", json={"value": "120"}, headers=as_a)
    assert r.status_code == 404
    r = client.post(
        "/api/v1/work-orders",
        json={"kind": "leak_report", "account_id": world.b.account_id, "reason": "Fuga"},
        headers=as_a,
    )
    assert r.status_code == 404
    r = client.post(
        "/api/v1/arco-requests",
        json={
            "person_id": world.b.person_id,
            "arco_right": "access",
            "channel": "web",
            "description": "x",
            "requester_name": "Ana",
        },
        headers=as_a,
    )
    assert r.status_code == 404


def test_customer_never_sees_draft_invoices(client, world: World, as_a, as_op):
    periods = [i["status"] for i in client.get("/api/v1/invoices", headers=as_a).json()["items"]]
    assert periods == ["issued"]
    staff = client.get(f"/api/v1/invoices?account_id={world.a.account_id}", headers=as_op).json()["items"]
    assert {i["status"] for i in staff} == {"issued", "draft"}
