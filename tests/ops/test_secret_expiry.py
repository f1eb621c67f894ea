"""Rotation reminders: the daily check counts the secrets that expire within 30 days, never expire or are missing,
records the gauge the keyvault-secrets-expiring alert reads, and checks nothing when no Key Vault is configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.application import secret_expiry
from shared.platform import secrets
from shared.platform.secrets import SECRET_INVENTORY, ExpiryUnknown, SecretNotFound

NOW = datetime(2026, 12, 3, 14, tzinfo=UTC)


def test_due_secrets_are_counted_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: list[float] = []
    monkeypatch.setattr(
        secret_expiry.keyvault_secrets_expiring, "set", lambda value, attributes=None: recorded.append(value)
    )
    names = list(SECRET_INVENTORY)
    soon, never, gone = names[0], names[1], names[2]

    def expiry(name: str) -> datetime | None:
        if name == soon:
            return NOW + timedelta(days=12)
        if name == never:
            return None
        if name == gone:
            raise SecretNotFound(name)
        return NOW + timedelta(days=200)

    due = secret_expiry.check_secret_expiry(now=NOW, read_expiry=expiry)
    assert due is not None
    assert {(d.name, d.reason) for d in due} == {(soon, "expires_soon"), (never, "no_expiry"), (gone, "missing")}
    assert next(d.days_left for d in due if d.name == soon) == 12
    assert recorded == [3]


def test_all_fresh_records_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: list[float] = []
    monkeypatch.setattr(
        secret_expiry.keyvault_secrets_expiring, "set", lambda value, attributes=None: recorded.append(value)
    )
    assert secret_expiry.check_secret_expiry(now=NOW, read_expiry=lambda name: NOW + timedelta(days=31)) == []
    assert recorded == [0]


def test_without_a_key_vault_nothing_is_checked_or_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded: list[float] = []
    monkeypatch.setattr(
        secret_expiry.keyvault_secrets_expiring, "set", lambda value, attributes=None: recorded.append(value)
    )
    assert secret_expiry.check_secret_expiry(now=NOW) is None  # the test settings have no KEY_VAULT_URL
    assert recorded == []
    with pytest.raises(ExpiryUnknown):
        secrets.secret_expiry("jwt-signing-key")
