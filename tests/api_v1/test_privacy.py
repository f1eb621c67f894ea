"""Personal data: masking per role, the audit of staff reads, and each ARCO right end to end (with the erasure
timer for blocked data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg

from shared.application.privacy.erasure import erase_due
from tests.api_v1.conftest import Token, problem
from tests.api_v1.world import CURP_ANA, RFC_ANA, World


def _audit(db, person_id: int) -> list[tuple[str, str, list[str]]]:
    with psycopg.connect(db.owner_url) as conn:
        return conn.execute(
            "SELECT actor, action, fields FROM audit_log WHERE entity = 'person' AND entity_id = %s ORDER BY id",
            (str(person_id),),
        ).fetchall()


def test_identifiers_are_masked_unless_the_role_needs_them(fresh_client, fresh_world: World, fresh_db, auth: Token):
    url = f"/api/v1/persons/{fresh_world.a.person_id}"
    operator = fresh_client.get(url, headers=auth("operator")).json()
    assert operator["rfc"] == RFC_ANA[:4] + "******" + RFC_ANA[-3:] and operator["identifiers_masked"] is True
    assert operator["curp"] != CURP_ANA and operator["email"] == "ana@example.com"
    billing = fresh_client.get(url, headers=auth("billing_admin")).json()
    assert billing["rfc"] == RFC_ANA and billing["curp"] == CURP_ANA
    own = fresh_client.get(url, headers=auth("customer", person=fresh_world.a.person_id)).json()
    assert own["rfc"] != RFC_ANA  # masked for the assistant/portal too; full data through an ARCO access export
    audit = _audit(fresh_db, fresh_world.a.person_id)
    assert [(a[0], a[2]) for a in audit] == [
        ("user:operator-None", ["email", "phone"]),
        ("user:billing_admin-None", ["rfc", "curp", "email", "phone"]),
    ]


def test_staff_searches_are_audited_per_person(fresh_client, fresh_world: World, fresh_db, auth: Token):
    found = fresh_client.get("/api/v1/persons", params={"rfc": RFC_ANA.lower()}, headers=auth("operator")).json()
    assert [p["id"] for p in found["items"]] == [fresh_world.a.person_id]
    assert _audit(fresh_db, fresh_world.a.person_id)[0][1] == "list"
    assert _audit(fresh_db, fresh_world.b.person_id) == []


def test_person_creation_validates_check_digits(fresh_client, fresh_world: World, auth: Token):
    op = auth("operator")
    good = {"first_name": "Eva", "paternal_surname": "Luna", "rfc": RFC_ANA, "curp": CURP_ANA}
    assert fresh_client.post("/api/v1/persons", json=good, headers=op).status_code == 201
    bad_rfc = {**good, "rfc": RFC_ANA[:-1] + ("0" if RFC_ANA[-1] != "0" else "1")}
    r = fresh_client.post("/api/v1/persons", json=bad_rfc, headers=op)
    assert r.status_code == 422 and problem(r)["code"] == "invalid_rfc_check_digit" and "RFC" in problem(r)["detail"]
    bad_curp = {**good, "curp": CURP_ANA[:-1] + str((int(CURP_ANA[-1]) + 1) % 10)}
    assert (
        problem(fresh_client.post("/api/v1/persons", json=bad_curp, headers=op))["code"] == "invalid_curp_check_digit"
    )
    assert fresh_client.post("/api/v1/persons", json=good, headers=auth("customer", person=1)).status_code == 403


def _file(client, headers, person_id: int, **extra) -> dict:
    body = {
        "person_id": person_id,
        "channel": "web",
        "description": "Solicitud",
        "requester_name": "Ana López",
        **extra,
    }
    r = client.post("/api/v1/arco-requests", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _grant(client, op, request_id: int) -> dict:
    assert client.post(f"/api/v1/arco-requests/{request_id}/verify-identity", headers=op).status_code == 200
    r = client.post(
        f"/api/v1/arco-requests/{request_id}/resolve", json={"decision": "granted", "resolution": "Procede"}, headers=op
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_access_request_exports_everything_about_the_person(fresh_client, fresh_world: World, auth: Token):
    me = auth("customer", person=fresh_world.a.person_id)
    op = auth("operator")
    req = _file(fresh_client, me, fresh_world.a.person_id, arco_right="access")
    assert date.fromisoformat(req["due_on"]) > datetime.now(UTC).date() + timedelta(days=25)
    assert fresh_client.get(f"/api/v1/arco-requests/{req['id']}/export", headers=me).status_code == 404
    early = fresh_client.post(
        f"/api/v1/arco-requests/{req['id']}/resolve", json={"decision": "granted", "resolution": "x"}, headers=op
    )
    assert early.status_code == 409  # identity first
    done = _grant(fresh_client, op, req["id"])
    assert done["status"] == "completed" and done["result"]["sections"]["invoices"] == 1
    export = fresh_client.get(f"/api/v1/arco-requests/{req['id']}/export", headers=me).json()
    assert export["person"]["rfc"] == RFC_ANA
    assert {s: len(v) for s, v in export["sections"].items() if v}.keys() >= {
        "accounts",
        "tomas",
        "addresses",
        "invoices",
        "invoice_lines",
        "payments",
        "account_movements",
        "contacts",
        "work_orders",
        "arco_requests",
    }
    other = auth("customer", person=fresh_world.b.person_id)
    assert fresh_client.get(f"/api/v1/arco-requests/{req['id']}/export", headers=other).status_code == 404


def test_operators_extend_the_answer_term_once_with_a_reason(fresh_client, fresh_world: World, auth: Token):
    me = auth("customer", person=fresh_world.a.person_id)
    op = auth("operator")
    req = _file(fresh_client, me, fresh_world.a.person_id, arco_right="access")
    url = f"/api/v1/arco-requests/{req['id']}/extend"
    assert fresh_client.post(url, json={"reason": "Yo decido"}, headers=me).status_code == 403
    assert problem(fresh_client.post(url, json={"reason": ""}, headers=op))["status"] == 422
    r = fresh_client.post(url, json={"reason": "Se requiere consultar el archivo histórico de la toma."}, headers=op)
    assert r.status_code == 200, r.text
    extended = r.json()
    old, new = date.fromisoformat(req["due_on"]), date.fromisoformat(extended["due_on"])
    assert 14 <= (new - old).days <= 18  # ten business days (two weekends, maybe a rest day)
    assert extended["extended_at"] and extended["extension_reason"].startswith("Se requiere")
    again = fresh_client.post(url, json={"reason": "Otra vez"}, headers=op)
    assert again.status_code == 409 and problem(again)["code"] == "extension_already_extended"
    assert fresh_client.get(f"/api/v1/arco-requests/{req['id']}", headers=me).json()["due_on"] == extended["due_on"]
    closed = _file(fresh_client, me, fresh_world.a.person_id, arco_right="access")
    _grant(fresh_client, op, closed["id"])
    late = fresh_client.post(f"/api/v1/arco-requests/{closed['id']}/extend", json={"reason": "Tarde"}, headers=op)
    assert late.status_code == 409 and problem(late)["code"] == "extension_closed"


def test_rectification_is_versioned_with_its_evidence(fresh_client, fresh_world: World, auth: Token):
    me = auth("customer", person=fresh_world.a.person_id)
    op = auth("operator")
    bad = fresh_client.post(
        "/api/v1/arco-requests",
        json={
            "person_id": fresh_world.a.person_id,
            "arco_right": "rectification",
            "channel": "web",
            "description": "x",
            "requester_name": "Ana",
            "changes": {"rfc": RFC_ANA[:-1] + "0" if RFC_ANA[-1] != "0" else RFC_ANA[:-1] + "1"},
        },
        headers=me,
    )
    assert bad.status_code == 422
    req = _file(
        fresh_client,
        me,
        fresh_world.a.person_id,
        arco_right="rectification",
        changes={"maternal_surname": "Pardo", "email": "ana.lopez@example.com"},
        evidence=[{"kind": "id_document", "blob": "arco/1/ine.pdf"}],
    )
    _grant(fresh_client, op, req["id"])
    person = fresh_client.get(f"/api/v1/persons/{fresh_world.a.person_id}", headers=me).json()
    assert person["maternal_surname"] == "Pardo" and person["email"] == "ana.lopez@example.com"
    versions = fresh_client.get(f"/api/v1/persons/{fresh_world.a.person_id}/versions", headers=me).json()
    assert versions[0]["data"] == {"maternal_surname": "Pérez", "email": "ana@example.com"}
    assert versions[0]["evidence"][0]["blob"] == "arco/1/ine.pdf" and versions[0]["arco_request_id"] == req["id"]


def test_opposition_records_per_purpose_opt_outs(fresh_client, fresh_world: World, auth: Token):
    me = auth("customer", person=fresh_world.a.person_id)
    req = _file(fresh_client, me, fresh_world.a.person_id, arco_right="opposition", purposes=["whatsapp_notices"])
    _grant(fresh_client, auth("operator"), req["id"])
    outs = fresh_client.get(f"/api/v1/persons/{fresh_world.a.person_id}/opt-outs", headers=me).json()
    assert [o["purpose"] for o in outs] == ["whatsapp_notices"]


def test_cancellation_blocks_then_the_timer_erases_after_retention(
    fresh_client, fresh_world: World, fresh_db, auth: Token
):
    me = auth("customer", person=fresh_world.a.person_id)
    op = auth("billing_admin")
    req = _file(fresh_client, me, fresh_world.a.person_id, arco_right="cancellation")
    done = _grant(fresh_client, op, req["id"])
    until = date.fromisoformat(done["result"]["retain_until"])
    assert until.year == 2031  # five years after the January 2026 invoice and payment
    person = fresh_client.get(f"/api/v1/persons/{fresh_world.a.person_id}", headers=op).json()
    assert person["blocked_at"] and person["email"] is None and person["identifiers_masked"] is True
    assert erase_due(today=until - timedelta(days=1), now=datetime.now(UTC)) == 0
    assert erase_due(today=until, now=datetime.now(UTC)) == 1
    assert fresh_client.get(f"/api/v1/persons/{fresh_world.a.person_id}", headers=op).status_code == 404
    with psycopg.connect(fresh_db.owner_url) as conn:
        row = conn.execute(
            "SELECT rfc, curp, email, legal_name FROM persons WHERE id = %s", (fresh_world.a.person_id,)
        ).fetchone()
        kept = conn.execute(
            "SELECT count(*) FROM invoices WHERE account_id = %s", (fresh_world.a.account_id,)
        ).fetchone()
    assert row == (None, None, None, "DATOS SUPRIMIDOS") and kept == (2,)
    assert erase_due(today=until, now=datetime.now(UTC)) == 0  # idempotent


def test_audit_log_is_append_only_for_the_app(fresh_db, fresh_world: World):
    with fresh_db.app(fresh_world.tenant_id) as conn:
        try:
            conn.execute("DELETE FROM audit_log")
            raise AssertionError("the app role could delete audit rows")
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
