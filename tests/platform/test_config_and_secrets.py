import pytest

from shared.platform import secrets
from shared.platform.config import Settings, get_settings, reset_settings_cache


@pytest.fixture(autouse=True)
def _clean():
    reset_settings_cache()
    secrets.reset_secret_cache()
    yield
    reset_settings_cache()
    secrets.reset_secret_cache()


def test_secret_from_environment_when_no_vault(monkeypatch):
    monkeypatch.delenv("KEY_VAULT_URL", raising=False)
    monkeypatch.setenv("JWT_SIGNING_KEY", "k1")
    assert secrets.get_secret("jwt-signing-key") == "k1"


def test_missing_secret_raises_unless_default(monkeypatch):
    monkeypatch.delenv("KEY_VAULT_URL", raising=False)
    monkeypatch.delenv("FINKOK_PASSWORD", raising=False)
    with pytest.raises(secrets.SecretNotFound):
        secrets.get_secret("finkok-password")
    assert secrets.get_secret("finkok-password", default="x") == "x"


def test_vault_is_used_when_configured(monkeypatch):
    monkeypatch.setenv("KEY_VAULT_URL", "https://kv-test.vault.azure.net/")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    class FakeSecret:
        value = "from-vault"

    class FakeClient:
        def get_secret(self, name):
            assert name == "anthropic-api-key"
            return FakeSecret()

    monkeypatch.setattr(secrets, "_vault_client", lambda: FakeClient())
    assert secrets.get_secret("anthropic-api-key") == "from-vault"


def test_settings_validate_ranges(monkeypatch):
    monkeypatch.setenv("BILLING_CHUNK_SIZE", "100")
    with pytest.raises(ValueError):
        Settings()


def test_settings_read_environment(monkeypatch):
    monkeypatch.setenv("CORS_ORIGINS", "https://a.mx, https://b.mx")
    assert get_settings().cors_origins == ["https://a.mx", "https://b.mx"]


def test_inventory_names_are_key_vault_compatible():
    import re

    assert all(re.fullmatch(r"[0-9a-zA-Z-]+", name) for name in secrets.SECRET_INVENTORY)
