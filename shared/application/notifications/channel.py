"""The process's WhatsApp client (Meta Cloud API or 360dialog, by WHATSAPP_PROVIDER), or None when WhatsApp is not
configured (WHATSAPP_API_URL empty): notices are then recorded as skipped `channel_not_configured`."""

from __future__ import annotations

import threading

from shared.adapters.whatsapp import WhatsAppClient
from shared.platform.config import get_settings
from shared.platform.secrets import get_secret

__all__ = ["client", "reset_client"]

_lock = threading.Lock()
_client: WhatsAppClient | None = None


def client() -> WhatsAppClient | None:
    global _client
    settings = get_settings()
    if not settings.WHATSAPP_API_URL:
        return None
    with _lock:
        if _client is None:
            _client = WhatsAppClient(
                base_url=settings.WHATSAPP_API_URL,
                phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID,
                api_key=get_secret("whatsapp-api-key"),
                provider=settings.WHATSAPP_PROVIDER,
            )
        return _client


def reset_client() -> None:
    global _client
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
