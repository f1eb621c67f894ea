"""Secrets: Key Vault through azure-identity when KEY_VAULT_URL is set, else environment variables.

A Key Vault secret `jwt-signing-key` is read locally from the environment variable `JWT_SIGNING_KEY`.
The environment wins when both exist, so a platform-resolved value or a local override is honoured.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from functools import lru_cache
from typing import Any

from shared.platform.config import get_settings

# Every secret the application reads. The IaC declares the same names in Key Vault.
SECRET_INVENTORY: dict[str, str] = {
    "csd-certificate": "Tenant CSD certificate (base64 DER) used to sign CFDI",
    "csd-private-key": "Tenant CSD private key (base64 DER, encrypted)",
    "csd-password": "Password of the CSD private key",
    "finkok-username": "Finkok PAC user",
    "finkok-password": "Finkok PAC password",
    "conekta-api-key": "Conekta private API key (reconciliation re-fetch)",
    "conekta-webhook-public-key": "Conekta webhook public key (PEM) that verifies the digest header",
    "spei-webhook-secret": "Shared secret for SPEI (STP-style) abono notifications",
    "jwt-signing-key": "HMAC key that signs API bearer tokens",
    "whatsapp-api-key": "WhatsApp Business API key",
    "whatsapp-app-secret": "Meta app secret that signs WhatsApp webhooks (X-Hub-Signature-256)",
    "whatsapp-verify-token": "Token Meta echoes in the WhatsApp webhook verification GET",
    "chatwoot-api-token": "Chatwoot (AGORA) agent-bot api_access_token",
    "chatwoot-webhook-secret": "Chatwoot (AGORA) webhook signing secret",
    "twilio-account-sid": "Twilio account SID (voice)",
    "twilio-auth-token": "Twilio auth token (X-Twilio-Signature)",
    "anthropic-api-key": "Claude API key",
}


class SecretNotFound(LookupError):
    """Raised when a secret is in neither the environment nor Key Vault and has no default."""


def env_name(secret_name: str) -> str:
    return secret_name.replace("-", "_").upper()


_client_lock = threading.Lock()


@lru_cache(maxsize=1)
def _vault_client() -> Any | None:
    settings = get_settings()
    if not settings.KEY_VAULT_URL:
        return None
    from azure.identity import DefaultAzureCredential
    from azure.keyvault.secrets import SecretClient

    credential = DefaultAzureCredential(
        managed_identity_client_id=settings.AZURE_CLIENT_ID or None,
        exclude_interactive_browser_credential=True,
    )
    return SecretClient(vault_url=settings.KEY_VAULT_URL, credential=credential)


@lru_cache(maxsize=64)
def get_secret(name: str, default: str | None = None) -> str:
    value = os.environ.get(env_name(name))
    if value is not None:
        return value
    with _client_lock:
        client = _vault_client()
    if client is not None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            secret = client.get_secret(name)
            if secret.value is not None:
                return str(secret.value)
        except ResourceNotFoundError:
            pass  # fall through to the default; auth and network errors propagate
    if default is not None:
        return default
    raise SecretNotFound(f"secret {name!r} not found (env {env_name(name)} or Key Vault)")


class ExpiryUnknown(LookupError):
    """No Key Vault is configured (local runs): secret expiry dates exist only in Key Vault."""


def secret_expiry(name: str) -> datetime | None:
    """When the current version of a Key Vault secret expires (None: it never does), without reading its value.
    A secret missing from the vault raises SecretNotFound; no vault configured raises ExpiryUnknown."""
    with _client_lock:
        client = _vault_client()
    if client is None:
        raise ExpiryUnknown(name)
    from azure.core.exceptions import ResourceNotFoundError

    try:
        properties = client.get_secret(name).properties
    except ResourceNotFoundError as exc:
        raise SecretNotFound(name) from exc
    expires: datetime | None = properties.expires_on
    return expires


def reset_secret_cache() -> None:
    get_secret.cache_clear()
    _vault_client.cache_clear()
