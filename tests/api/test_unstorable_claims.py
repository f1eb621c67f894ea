"""Issue 13 item 6: signed tokens whose tenant claim carries NUL, lone surrogates or text no slug can be are 4xx
problems, never 500s (PostgreSQL refuses NUL; a lone surrogate is not UTF-8): shared.data.db.resolve_tenant answers
"no tenant" without a query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from functions.api.app import create_app
from shared.application.access.tokens import reset_tenant_cache
from shared.platform.config import get_settings
from shared.platform.secrets import reset_secret_cache

KEY = "unstorable-claims-test-key-0123456789abcdef0123"


@pytest.fixture
def client(fresh_db, tenant_factory, monkeypatch):
    monkeypatch.setenv("JWT_SIGNING_KEY", KEY)
    reset_secret_cache()
    reset_tenant_cache()
    tenant_factory("cea")
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c
    reset_secret_cache()


def _token(**overrides):
    settings = get_settings()
    now = datetime.now(UTC)
    claims = {
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "sub": "user:x",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "jti": "j1",
        "tenant": "cea",
        "roles": ["operator"],
        **overrides,
    }
    return jwt.encode(claims, KEY, algorithm="HS256")


def test_tokens_with_unstorable_claims_are_4xx_problems(client):
    for claim, bad in [
        ("tenant", "cea\x00"),
        ("tenant", "cea\ud800"),
        ("tenant", "\udfff"),
        ("tenant", "CEA"),
        ("tenant", "٣"),
        ("tenant", "x" * 64),
        ("tenant", ""),
    ]:
        r = client.get("/api/v1/payments/suspense", headers={"Authorization": f"Bearer {_token(**{claim: bad})}"})
        assert 400 <= r.status_code < 500, (claim, bad, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), (claim, bad)
