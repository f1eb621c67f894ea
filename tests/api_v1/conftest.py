"""API v1 fixtures: the two-tenant world, a TestClient on the real app, and bearer tokens per role.

`world`/`client` are per module (one cloned database, for tests that only read or whose writes do not disturb
other tests); `fresh_world`/`fresh_client` give a test its own database.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.devstack.postgres import Cluster, clone_database, drop_database
from functions.api import ratelimit
from functions.api.app import create_app
from shared.application.access.tokens import issue_token, reset_tenant_cache
from shared.data import db as app_db
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache
from tests.api_v1.world import World, build_world
from tests.fixtures.postgres import TEMPLATE, TestDatabase, create_tenant

SIGNING_KEY = "test-signing-key-0123456789abcdef0123456789"


@pytest.fixture
def signing_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("JWT_SIGNING_KEY", SIGNING_KEY)
    reset_secret_cache()
    reset_settings_cache()
    reset_tenant_cache()
    ratelimit.reset_all()
    yield SIGNING_KEY
    reset_secret_cache()
    reset_tenant_cache()


_counter = itertools.count()


def _reset_caches() -> None:
    reset_secret_cache()
    reset_settings_cache()
    reset_tenant_cache()
    app_db.close_pool()
    ratelimit.reset_all()


def _new_world(database: TestDatabase) -> World:
    return build_world(database.owner_url, create_tenant(database, "cea"), create_tenant(database, "otro"))


@pytest.fixture(scope="module")
def world(pg_cluster: Cluster) -> Iterator[World]:
    name = f"m_{os.getpid()}_{next(_counter)}"
    clone_database(pg_cluster, template=TEMPLATE, name=name)
    database = TestDatabase(cluster=pg_cluster, name=name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", database.app_url)
        mp.setenv("MIGRATIONS_DATABASE_URL", database.owner_url)
        mp.setenv("JWT_SIGNING_KEY", SIGNING_KEY)
        _reset_caches()
        try:
            yield _new_world(database)
        finally:
            _reset_caches()
    drop_database(pg_cluster, name)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    ratelimit.reset_all()
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def fresh_world(fresh_db: TestDatabase, signing_key: str) -> World:
    return _new_world(fresh_db)


@pytest.fixture
def fresh_client(fresh_world: World) -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


Token = Callable[..., dict[str, str]]


@pytest.fixture
def auth() -> Token:
    """auth("operator") / auth("customer", person=...) / auth("admin", tenant="otro") -> headers."""

    def make(*roles: str, person: int | None = None, tenant: str = "cea", subject: str | None = None) -> dict[str, str]:
        token = issue_token(
            tenant=tenant,
            roles=list(roles),
            person_id=person,
            now=datetime.now(UTC),
            subject=subject or f"user:{'-'.join(roles)}-{person}",
        )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def as_a(auth: Token, world: World) -> dict[str, str]:
    return auth("customer", person=world.a.person_id)


@pytest.fixture
def as_b(auth: Token, world: World) -> dict[str, str]:
    return auth("customer", person=world.b.person_id)


@pytest.fixture
def as_op(auth: Token) -> dict[str, str]:
    return auth("operator")


@pytest.fixture
def as_admin(auth: Token) -> dict[str, str]:
    return auth("admin")


def problem(response: Any) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    return body
