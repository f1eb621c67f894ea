"""Bearer tokens, API keys (hashed, scoped, revocable), token exchange, rate limits, Front Door, CLI token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import psycopg
from typer.testing import CliRunner

from cli.token import build_app
from functions.api import ratelimit
from shared.application.access.tokens import MAX_TTL, decode_token
from tests.api_v1.conftest import SIGNING_KEY, Token, problem
from tests.api_v1.world import World


def test_requests_without_valid_credentials_are_401(client, world: World):
    path = f"/api/v1/accounts/{world.a.account_id}"
    assert problem(client.get(path))["code"] == "authentication_required"
    assert problem(client.get(path, headers={"Authorization": "Bearer nope"}))["code"] == "invalid_token"
    expired = jwt.encode(
        {
            "iss": "supra-water",
            "aud": "supra-water-api",
            "sub": "u",
            "tenant": "cea",
            "roles": ["admin"],
            "iat": 0,
            "exp": 10,
        },
        SIGNING_KEY,
        algorithm="HS256",
    )
    assert client.get(path, headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    forged = jwt.encode(
        {
            "iss": "supra-water",
            "aud": "supra-water-api",
            "sub": "u",
            "tenant": "cea",
            "roles": ["admin"],
            "iat": int(datetime.now(UTC).timestamp()),
            "exp": int((datetime.now(UTC) + timedelta(hours=1)).timestamp()),
        },
        "other-key-" * 4,
        algorithm="HS256",
    )
    r = client.get(path, headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")


def test_unknown_tenant_in_token_is_401(client, world: World, auth: Token):
    r = client.get("/api/v1/accounts", headers=auth("admin", tenant="nadie"))
    assert r.status_code == 401 and problem(r)["code"] == "unknown_tenant"


def test_repeated_failed_authentication_is_rate_limited(client, world: World):
    codes = [client.get("/api/v1/accounts", headers={"Authorization": "Bearer bad"}).status_code for _ in range(35)]
    assert codes[:30] == [401] * 30 and set(codes[30:]) == {429}


def test_failed_attempts_never_block_a_valid_credential_from_the_same_ip(client, world: World, auth: Token):
    """An office NAT: one client keeps sending a stale token; everyone else's valid token from that IP works."""
    stale = {"Authorization": "Bearer stale-token"}
    codes = [client.get("/api/v1/accounts", headers=stale).status_code for _ in range(31)]
    assert codes[-1] == 429
    assert client.get("/api/v1/accounts", headers=auth("admin")).status_code == 200
    assert client.get("/api/v1/accounts", headers={"X-API-Key": "sw_000000000000_x"}).status_code == 401
    assert client.get("/api/v1/accounts", headers=stale).status_code == 429


def test_guessing_many_credentials_from_one_ip_is_throttled_but_valid_ones_pass(client, world: World, auth: Token):
    codes = [
        client.get("/api/v1/accounts", headers={"Authorization": f"Bearer guess-{i}"}).status_code
        for i in range(ratelimit.failed_auth_ip.limit + 3)
    ]
    assert set(codes[: ratelimit.failed_auth_ip.limit]) == {401} and set(codes[-3:]) == {429}
    r = client.get("/api/v1/accounts", headers={"Authorization": "Bearer guess-new"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert client.get("/api/v1/accounts", headers=auth("admin")).status_code == 200


def test_api_keys_are_scoped_hashed_and_revocable(fresh_client, fresh_world: World, fresh_db, auth: Token):
    admin = auth("admin")
    created = fresh_client.post(
        "/api/v1/api-keys", json={"name": "Chatwoot", "scopes": ["data:all", "contacts:write"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    key, client_id = created.json()["key"], created.json()["id"]
    with psycopg.connect(fresh_db.owner_url) as conn:
        stored = conn.execute("SELECT key_hash FROM api_clients WHERE id = %s", (client_id,)).fetchone()
    assert stored is not None and key.split("_", 2)[2] not in stored[0]  # only a hash is stored
    crm = {"X-API-Key": key}
    me = fresh_client.get("/api/v1/auth/me", headers=crm).json()
    assert me["permissions"] == ["contacts:write", "data:all"] and me["tenant"] == "cea"
    contact = {
        "person_id": fresh_world.b.person_id,
        "channel": "whatsapp",
        "direction": "inbound",
        "subject": "Reporte de fuga",
    }
    assert fresh_client.post("/api/v1/contacts", json=contact, headers=crm).status_code == 201
    assert fresh_client.get("/api/v1/fraud-cases", headers=crm).status_code == 403  # not in its scopes
    exchanged = fresh_client.post("/api/v1/auth/token", json={"api_key": key})
    assert exchanged.status_code == 200
    bearer = {"Authorization": f"Bearer {exchanged.json()['access_token']}"}
    assert fresh_client.get("/api/v1/auth/me", headers=bearer).json()["permissions"] == ["contacts:write", "data:all"]
    assert fresh_client.post(f"/api/v1/api-keys/{client_id}/revoke", headers=admin).json()["revoked_at"]
    assert problem(fresh_client.get("/api/v1/auth/me", headers=crm))["code"] == "invalid_api_key"
    assert fresh_client.get("/api/v1/api-keys", headers=auth("operator")).status_code == 403


def test_token_exchange_is_rate_limited(client, world: World):
    codes = [client.post("/api/v1/auth/token", json={"api_key": "sw_000000000000_nope"}).status_code for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_front_door_header_is_enforced_when_configured(client, world: World, as_op, monkeypatch):
    from shared.platform.config import reset_settings_cache

    monkeypatch.setenv("FRONT_DOOR_ID", "fd-123")
    reset_settings_cache()
    try:
        assert problem(client.get("/api/v1/accounts", headers=as_op))["code"] == "front_door_required"
        assert client.get("/api/v1/accounts", headers={**as_op, "X-Azure-FDID": "fd-123"}).status_code == 200
    finally:
        monkeypatch.delenv("FRONT_DOOR_ID")
        reset_settings_cache()


def test_cli_token_issues_a_verifiable_customer_token(fresh_world: World):
    result = CliRunner().invoke(build_app(), ["--tenant", "cea", "--role", "customer", "--person", "7"])
    assert result.exit_code == 0, result.output
    claims = decode_token(token=result.output.strip())
    assert claims["tenant"] == "cea" and claims["roles"] == ["customer"] and claims["person_id"] == 7
    missing = CliRunner().invoke(build_app(), ["--tenant", "cea", "--role", "customer"])
    assert missing.exit_code == 2 and "--person" in missing.output
    bad_role = CliRunner().invoke(build_app(), ["--tenant", "cea", "--role", "root"])
    assert bad_role.exit_code == 2

    unknown = CliRunner().invoke(build_app(), ["--tenant", "nope", "--role", "admin"])
    assert unknown.exit_code == 2 and "unknown tenant 'nope'" in unknown.output and "eyJ" not in unknown.output


def _signed(*, iat: int, exp: int | float) -> str:
    claims = {"iss": "supra-water", "aud": "supra-water-api", "sub": "u", "tenant": "cea", "roles": ["admin"]}
    return jwt.encode({**claims, "iat": iat, "exp": exp}, SIGNING_KEY, algorithm="HS256")


def test_tokens_living_longer_than_the_maximum_are_refused_at_decode(client, world: World):
    now = int(datetime.now(UTC).timestamp())
    longest = int(MAX_TTL.total_seconds())
    ok = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {_signed(iat=now, exp=now + longest)}"})
    assert ok.status_code == 200
    for exp in (now + longest + 1, now + 10 * 365 * 86400, 2**62):
        r = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {_signed(iat=now, exp=exp)}"})
        assert r.status_code == 401 and problem(r)["code"] == "invalid_token", exp
    future_iat = _signed(iat=now + 3600, exp=now + 3600 + 60)  # iat ahead of now: refused too (no long life)
    assert client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {future_iat}"}).status_code == 401
