"""Hostile webhook deliveries (issue 13 items 5, 6, 8, 9): every one is a 4xx problem+json or a stored, answered
delivery — never a 500, never a payment credited with the wrong sign.

Table-driven per defect family, plus a property test throwing adversarial values into a signed Conekta charge."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.api.app import create_app
from functions.api.routes import webhooks
from shared.adapters.conekta import sign
from shared.application.payments import intake
from shared.domain.payments.references import make_clabe
from tests.payments.conftest import SPEI_SECRET

JSON = {"Content-Type": "application/json"}
GOOD_CLABE = make_clabe(bank="646", plaza="180", account="70000000001")


@pytest.fixture
def api(fresh_db, tenant_factory, payment_secrets):
    tenant_factory("cea")
    app = create_app()
    sent: list[dict] = []
    app.dependency_overrides[webhooks.payments_enqueue] = lambda: sent.append
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, sent


def _inbox(db) -> list[tuple[str, str, str | None]]:
    with db.owner() as c:
        return c.execute("SELECT event_id, status, error FROM webhook_inbox ORDER BY id").fetchall()


def _unrouted(db) -> list[tuple[Any, ...]]:
    with db.owner() as c:
        return c.execute(
            "SELECT provider, event_id, route_hint, reason, status FROM webhook_unrouted ORDER BY id"
        ).fetchall()


def _post_conekta(client, fake, event_or_body, *, url="/api/v1/webhooks/conekta", headers=None):
    body = event_or_body if isinstance(event_or_body, bytes) else json.dumps(event_or_body).encode()
    digest = sign(body=body, private_key=fake.private_key)
    return client.post(url, content=body, headers={"digest": digest, **JSON, **(headers or {})})


def _post_spei(client, payload: dict[str, Any] | bytes, *, url="/api/v1/webhooks/spei"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        url, content=body, headers={"X-Spei-Signature": intake.spei_signature(body=body, secret=SPEI_SECRET), **JSON}
    )


def _is_problem(r, status: int) -> bool:
    return r.status_code == status and r.headers["content-type"].startswith("application/problem+json")


# ---- item 5: amounts --------------------------------------------------------------------------------------------

UNUSABLE_AMOUNTS = {
    "negative": -32400,
    "minus-one-centavo": -1,
    "zero": 0,
    "above-numeric-14-2": 10**14,
    "1e20": 10**20,
    "2^63": 2**63,
    "bool": True,
    "float": 10.5,
    "str": "32400",
    "null": None,
}


def test_conekta_unusable_amount_is_rejected_stored_and_never_queued(api, fresh_db, payment_secrets):
    client, sent = api
    for case, amount in UNUSABLE_AMOUNTS.items():
        charge = payment_secrets.charge(amount="324.00", reference="100000000017")
        charge["amount"] = amount
        event = payment_secrets.charge_paid(charge)
        r = _post_conekta(client, payment_secrets, event)
        assert _is_problem(r, 400), (case, r.text)
        assert r.json()["code"] == "webhook_rejected" and "registrada" in r.json()["detail"], case
        again = _post_conekta(client, payment_secrets, event)  # the provider retries: same answer, nothing new
        assert _is_problem(again, 400) and again.json()["code"] == "webhook_rejected", case
    rows = _inbox(fresh_db)
    assert [row[1] for row in rows] == ["rejected"] * len(UNUSABLE_AMOUNTS)
    assert all("amount" in row[2] for row in rows)
    assert sent == []


def test_conekta_negative_refund_amount_is_the_conekta_convention(api, fresh_db, payment_secrets):
    """Refunds are listed with negative centavos by Conekta; their magnitude is what goes back (not a rejection)."""
    client, sent = api
    charge = payment_secrets.charge(amount="100.00", reference="100000000017")
    r = _post_conekta(client, payment_secrets, payment_secrets.refund(charge, amount="40.00"))
    assert r.status_code == 200 and r.json()["outcome"] == "stored" and len(sent) == 1


UNUSABLE_MONTOS = {
    "float-1e20": 1e20,
    "str-1e20": "1e20",
    "zero": 0,
    "zero-str": "0.00",
    "negative": -5,
    "negative-str": "-5.00",
    "arabic-indic": "١٥٠.٢٥",
    "fullwidth": "１５０",
    "bool": True,
    "nan": "NaN",
    "infinity": "Infinity",
    "three-decimals": "150.255",
    "above-numeric-14-2": "1000000000000.00",
    "whitespace": "   ",
    "object": {"amount": 1},
}


def test_spei_unusable_monto_is_returned_and_stored_as_rejected(api, fresh_db):
    client, sent = api
    for n, (case, monto) in enumerate(UNUSABLE_MONTOS.items()):
        payload = {
            "id": 4200 + n,
            "fechaOperacion": 20260127,
            "monto": monto,
            "cuentaBeneficiario": GOOD_CLABE,
            "claveRastreo": f"CR{n}",
            "tsLiquidacion": "1769540000000",
        }
        r = _post_spei(client, payload)
        assert r.status_code == 200 and r.json() == {"mensaje": "devolver", "id": 14}, (case, r.text)
        assert _post_spei(client, payload).json() == {"mensaje": "devolver", "id": 14}, case  # redelivery
    rows = _inbox(fresh_db)
    assert [row[1] for row in rows] == ["rejected"] * len(UNUSABLE_MONTOS)
    assert all("monto" in row[2] for row in rows), rows
    assert sent == []


def test_spei_unusable_settlement_time_is_returned(api, fresh_db):
    client, sent = api
    stamps = ["١٧٦٩٥٤٠٠٠٠٠٠٠", "99999999999999999999", "-1", "1e12", "0"]
    for n, ts in enumerate(stamps):
        payload = {"id": 70 + n, "monto": "10.00", "cuentaBeneficiario": GOOD_CLABE, "claveRastreo": "CR"}
        payload["tsLiquidacion"] = ts
        assert _post_spei(client, payload).json() == {"mensaje": "devolver", "id": 14}, ts
    assert [row[1] for row in _inbox(fresh_db)] == ["rejected"] * len(stamps) and sent == []


# ---- item 6: dates, depth, NUL and surrogates -------------------------------------------------------------------


def test_conekta_out_of_range_moments_are_400_not_a_500(api, fresh_db, payment_secrets):
    client, sent = api
    for moment in [1e20, 2**63, 253402300800, -1, 10**400, True, "yesterday", 1.5e308]:
        event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00", reference="100000000017"))
        event["created_at"] = moment
        r = _post_conekta(client, payment_secrets, event)
        assert _is_problem(r, 400), (moment, r.text)
        assert r.json()["code"] in ("webhook_rejected", "webhook_malformed")
        charge = payment_secrets.charge(amount="10.00", reference="100000000017")
        charge["paid_at"] = moment
        assert _is_problem(_post_conekta(client, payment_secrets, payment_secrets.charge_paid(charge)), 400), moment
    assert sent == []


def test_conekta_non_json_number_literals_are_malformed(api, fresh_db, payment_secrets):
    client, _ = api
    for literal in ["Infinity", "-Infinity", "NaN"]:
        event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00"))
        body = json.dumps(event).replace(f'"created_at": {event["created_at"]}', f'"created_at": {literal}').encode()
        assert literal.encode() in body
        r = _post_conekta(client, payment_secrets, body)
        assert _is_problem(r, 400) and r.json()["code"] == "webhook_malformed", literal
    assert _inbox(fresh_db) == []


def test_signed_body_nested_200000_deep_is_400(api, fresh_db, payment_secrets, monkeypatch):
    monkeypatch.setenv("MAX_REQUEST_BYTES", str(2_000_000))
    from shared.platform.config import reset_settings_cache

    reset_settings_cache()
    app = create_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
            body = b'{"id":"evt_deep","type":"charge.paid","data":' + opener * 200_000 + b"1" + closer * 200_000 + b"}"
            r = _post_conekta(client, payment_secrets, body)
            assert _is_problem(r, 400) and r.json()["code"] in ("webhook_malformed", "json_too_deep"), r.text[:300]
    reset_settings_cache()
    assert _inbox(fresh_db) == []


def _with(event: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


UNSTORABLE = {"nul": "evt\x00x", "lone-high": "evt\ud800x", "lone-low": "\udfff"}
TEXT_PATHS = [("id",), ("data", "object", "id"), ("data", "object", "metadata", "note"), ("data", "object", "currency")]


def test_conekta_nul_and_lone_surrogates_are_400_and_store_nothing(api, fresh_db, payment_secrets):
    client, sent = api
    for case, bad in UNSTORABLE.items():
        for path in TEXT_PATHS:
            event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00", reference="100000000017"))
            event["data"]["object"]["metadata"] = {}
            r = _post_conekta(client, payment_secrets, _with(event, path, bad))
            assert _is_problem(r, 400) and r.json()["code"] == "webhook_malformed", (case, path, r.text)
        event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00"))
        event["data"]["object"]["metadata"] = {bad: "a key"}
        assert _is_problem(_post_conekta(client, payment_secrets, event), 400), case
    assert _inbox(fresh_db) == [] and sent == []


def test_impossible_tenant_slugs_are_4xx_problems_and_store_nothing(api, fresh_db, payment_secrets):
    client, _ = api
    for slug in ["cea\x00", "cea\ud800", "CEA", "٣", "cea%2F..%2Fx", "-cea", "x" * 64, " ", "cea\n"]:
        event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00"))
        body = json.dumps(event).encode()
        digest = sign(body=body, private_key=payment_secrets.private_key)
        query = quote(slug.encode("utf-8", "surrogatepass"), safe="%")
        for url in (f"/api/v1/webhooks/conekta?tenant={query}", f"/api/v1/webhooks/{query}/conekta"):
            r = client.post(url, content=body, headers={"digest": digest, **JSON})
            assert 400 <= r.status_code < 500, (slug, url, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), (slug, url)
    assert _inbox(fresh_db) == [] and _unrouted(fresh_db) == []


def test_impossible_slug_is_refused_by_the_use_case_too(fresh_db, tenant_factory, payment_secrets):
    tenant_factory("cea")
    body, digest = payment_secrets.signed(payment_secrets.charge_paid(payment_secrets.charge(amount="10.00")))
    with pytest.raises(intake.TenantNotResolved):
        intake.receive_conekta(body=body, digest=digest, tenant_slug="cea\x00", enqueue=None)


def test_spei_nul_and_surrogates_are_400(api, fresh_db):
    client, _ = api
    for field in ["id", "claveRastreo", "cuentaBeneficiario", "nombreOrdenante", "conceptoPago"]:
        for bad in ["a\x00b", "a\ud83db"]:
            payload = {"id": 5, "monto": "10.00", "cuentaBeneficiario": GOOD_CLABE, "claveRastreo": "CR5"}
            payload["tsLiquidacion"] = "1769540000000"  # a usable notification but for the one bad field
            payload[field] = bad
            r = _post_spei(client, payload)
            assert _is_problem(r, 400) and r.json()["code"] == "webhook_malformed", (field, bad)
    assert _inbox(fresh_db) == []


# ---- item 9: content types --------------------------------------------------------------------------------------


def test_webhooks_require_application_json(api, fresh_db, payment_secrets):
    client, sent = api
    body, digest = payment_secrets.signed(payment_secrets.charge_paid(payment_secrets.charge(amount="10.00")))
    signed = {"digest": digest, "X-Spei-Signature": intake.spei_signature(body=body, secret=SPEI_SECRET)}
    for url in ["/api/v1/webhooks/conekta", "/api/v1/webhooks/spei", "/api/v1/webhooks/cea/conekta"]:
        for content_type in [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx", "json"]:
            headers = dict(signed) if content_type is None else {**signed, "Content-Type": content_type}
            r = client.post(url, content=body, headers=headers)
            assert _is_problem(r, 415) and r.json()["code"] == "unsupported_media_type", (url, content_type)
    assert _inbox(fresh_db) == [] and sent == []


def test_json_with_charset_parameter_is_accepted(api, fresh_db, payment_secrets):
    client, sent = api
    event = payment_secrets.charge_paid(payment_secrets.charge(amount="10.00", reference="100000000017"))
    r = _post_conekta(client, payment_secrets, event, headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert r.status_code == 200 and r.json()["outcome"] == "stored" and len(sent) == 1


# ---- property: adversarial values anywhere in a signed charge ----------------------------------------------------

_HOSTILE_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["\x00", "\ud800", "a\udfffb", "   ", "\u200b", "٢٠٢٦", "１２３", "𝟙𝟚𝟛", "' OR 1=1 --"]),
)
_HOSTILE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        _HOSTILE_TEXT,
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_HOSTILE_TEXT, children, max_size=3),
    max_leaves=8,
)
_FIELDS = st.sampled_from(
    [
        ("id",),
        ("type",),
        ("created_at",),
        ("data", "object", "id"),
        ("data", "object", "amount"),
        ("data", "object", "currency"),
        ("data", "object", "paid_at"),
        ("data", "object", "status"),
        ("data", "object", "metadata"),
        ("data", "object", "payment_method"),
        ("data", "object", "payment_method", "reference"),
    ]
)


def test_adversarial_signed_charges_never_reach_a_500(fresh_db, tenant_factory, payment_secrets):
    tenant_factory("cea")
    app = create_app()
    sent: list[dict] = []
    app.dependency_overrides[webhooks.payments_enqueue] = lambda: sent.append
    fake = payment_secrets

    with TestClient(app, raise_server_exceptions=True) as client:

        @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(changes=st.lists(st.tuples(_FIELDS, _HOSTILE), min_size=1, max_size=3))
        def check(changes: list[tuple[tuple[str, ...], Any]]) -> None:
            event = fake.charge_paid(fake.charge(amount="10.00", reference="100000000017"))
            for path, value in changes:
                try:
                    _with(event, path, value)
                except (KeyError, TypeError):  # an earlier change replaced a parent with a scalar
                    continue
            body = json.dumps(event).encode()
            r = _post_conekta(client, fake, body)
            assert r.status_code in (200, 400), (r.status_code, r.text, body[:300])
            if r.status_code == 400:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] in ("webhook_malformed", "webhook_rejected")

        check()
    with fresh_db.owner() as c:  # a stored payment event always carries a positive amount
        rows = c.execute(
            "SELECT payload FROM webhook_inbox WHERE status = 'pending' AND event_type IN ('charge.paid', 'order.paid')"
        ).fetchall()
    for (payload,) in rows:
        amount = payload["data"]["object"]["amount"]
        assert isinstance(amount, int) and not isinstance(amount, bool) and amount > 0
