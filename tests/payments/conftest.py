"""Fixtures of the payments tests: a Conekta fake (signing key) wired into the secrets, SPEI secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.fakes.conekta_server import ConektaFake
from shared.application.payments import intake
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache

SPEI_SECRET = "spei-test-secret"


@pytest.fixture(scope="session")
def conekta_fake() -> Iterator[ConektaFake]:
    fake = ConektaFake()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def payment_secrets(conekta_fake: ConektaFake, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConektaFake]:
    monkeypatch.setenv("CONEKTA_WEBHOOK_PUBLIC_KEY", conekta_fake.public_pem)
    monkeypatch.setenv("SPEI_WEBHOOK_SECRET", SPEI_SECRET)
    monkeypatch.setenv("CONEKTA_API_KEY", conekta_fake.api_key)
    monkeypatch.setenv("SPEI_ALLOWED_IPS", "")
    reset_secret_cache()
    reset_settings_cache()
    intake._conekta_key.cache_clear()
    yield conekta_fake
    reset_secret_cache()
    reset_settings_cache()
