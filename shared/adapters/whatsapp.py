"""WhatsApp Business Cloud API client: send a text message (POST /{phone_number_id}/messages, bearer key)."""

from __future__ import annotations

import httpx


class WhatsAppError(RuntimeError):
    """The message was not accepted; `retryable` for timeouts, 429 and 5xx."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class WhatsAppClient:
    def __init__(self, *, base_url: str, phone_number_id: str, api_key: str, timeout: float = 10.0) -> None:
        self._url = f"{base_url.rstrip('/')}/{phone_number_id}/messages"
        self._http = httpx.Client(timeout=timeout, headers={"Authorization": f"Bearer {api_key}"})

    def send_text(self, *, to: str, body: str) -> str:
        """Send and return the provider's message id."""
        payload = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}
        try:
            response = self._http.post(self._url, json=payload)
        except httpx.TransportError as exc:
            raise WhatsAppError(f"whatsapp unreachable: {exc}", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise WhatsAppError(f"whatsapp {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise WhatsAppError(f"whatsapp refused: {response.text[:200]}", retryable=False)
        return str(response.json()["messages"][0]["id"])

    def close(self) -> None:
        self._http.close()
