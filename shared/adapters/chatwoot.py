"""Chatwoot (the seed's AGORA CRM) as the operators' inbox: the application API (header `api_access_token`) to
mirror conversations and messages and to hand a conversation to humans (toggle_status → open), and the agent-bot
webhook's signature: `X-Chatwoot-Signature: sha256=HMAC_SHA256(secret, "{timestamp}.{raw body}")` with
`X-Chatwoot-Timestamp` (Unix seconds); deliveries older than the tolerance are refused."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any, Literal

import httpx

__all__ = ["ChatwootClient", "ChatwootError", "sign", "verify_signature"]


class ChatwootError(RuntimeError):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class ChatwootClient:
    def __init__(self, *, base_url: str, account_id: str, api_token: str, timeout: float = 10.0) -> None:
        self._base = f"{base_url.rstrip('/')}/api/v1/accounts/{account_id}"
        self._http = httpx.Client(timeout=timeout, headers={"api_access_token": api_token})

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(f"{self._base}{path}", json=payload)
        except httpx.TransportError as exc:
            raise ChatwootError(f"chatwoot unreachable: {exc}", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise ChatwootError(f"chatwoot {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise ChatwootError(f"chatwoot refused: {response.text[:200]}", retryable=False)
        body = response.json()
        return body if isinstance(body, dict) else {}

    def create_contact(self, *, inbox_id: str, name: str, identifier: str) -> tuple[int, str]:
        """(contact id, source id of its contact inbox)."""
        body = self._post("/contacts", {"inbox_id": int(inbox_id), "name": name, "identifier": identifier})
        payload = body.get("payload") or {}
        return int(payload["contact"]["id"]), str(payload["contact_inbox"]["source_id"])

    def create_conversation(self, *, inbox_id: str, contact_id: int, source_id: str) -> int:
        body = self._post(
            "/conversations",
            {"inbox_id": int(inbox_id), "contact_id": contact_id, "source_id": source_id, "status": "pending"},
        )
        return int(body["id"])

    def post_message(
        self,
        *,
        conversation_id: int,
        content: str,
        message_type: Literal["incoming", "outgoing"],
        private: bool = False,
    ) -> int:
        body = self._post(
            f"/conversations/{conversation_id}/messages",
            {"content": content, "message_type": message_type, "private": private},
        )
        return int(body["id"])

    def toggle_status(self, *, conversation_id: int, status: Literal["open", "pending", "resolved"]) -> str:
        body = self._post(f"/conversations/{conversation_id}/toggle_status", {"status": status})
        return str((body.get("payload") or {}).get("current_status") or status)

    def close(self) -> None:
        self._http.close()


def sign(*, body: bytes, timestamp: str, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(
    *, body: bytes, signature: str | None, timestamp: str | None, secret: str, now: datetime, tolerance_s: int = 300
) -> bool:
    """Constant-time signature check and a fresh timestamp (within `tolerance_s` either way)."""
    if not signature or not timestamp or not secret:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now.timestamp() - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(body=body, timestamp=timestamp, secret=secret), signature.strip())
