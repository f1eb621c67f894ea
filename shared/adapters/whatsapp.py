"""WhatsApp Business client for Meta's Cloud API and 360dialog (same message body; chosen by `provider`), the
webhook signature check (X-Hub-Signature-256 over the raw body, constant time) and the webhook body parser.

Meta: POST {base}/{phone_number_id}/messages with `Authorization: Bearer <key>`. 360dialog: POST {base}/messages
with `D360-API-KEY: <key>`. Messages: free text, interactive reply buttons (up to 3), approved templates
(name, language, body parameters, optional image header).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

__all__ = [
    "InboundMessage",
    "MalformedWebhook",
    "StatusUpdate",
    "WhatsAppClient",
    "WhatsAppError",
    "parse_webhook",
    "sign",
    "verify_signature",
]

Provider = Literal["meta", "360dialog"]


class WhatsAppError(RuntimeError):
    """The message was not accepted; `retryable` for timeouts, 429 and 5xx."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class WhatsAppClient:
    def __init__(
        self,
        *,
        base_url: str,
        phone_number_id: str,
        api_key: str,
        provider: Provider = "meta",
        timeout: float = 10.0,
        max_connections: int = 32,
    ) -> None:
        base = base_url.rstrip("/")
        if provider == "360dialog":
            self._url = f"{base}/messages"
            headers = {"D360-API-KEY": api_key}
        else:
            self._url = f"{base}/{phone_number_id}/messages"
            headers = {"Authorization": f"Bearer {api_key}"}
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.Client(timeout=timeout, headers=headers, limits=limits)

    def _post(self, payload: dict[str, Any]) -> str:
        try:
            response = self._http.post(self._url, json={"messaging_product": "whatsapp", **payload})
        except httpx.TransportError as exc:
            raise WhatsAppError(f"whatsapp unreachable: {exc}", retryable=True) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise WhatsAppError(f"whatsapp {response.status_code}", retryable=True)
        if response.status_code >= 400:
            raise WhatsAppError(f"whatsapp refused: {response.text[:200]}", retryable=False)
        try:
            return str(response.json()["messages"][0]["id"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise WhatsAppError(
                f"whatsapp answered without a message id: {response.text[:200]}", retryable=False
            ) from exc

    def send_text(self, *, to: str, body: str, reference: str | None = None) -> str:
        """Free text (only inside the 24-hour window); returns the provider's message id. `reference` comes back
        in status webhooks (biz_opaque_callback_data)."""
        payload: dict[str, Any] = {"recipient_type": "individual", "to": to, "type": "text", "text": {"body": body}}
        if reference:
            payload["biz_opaque_callback_data"] = reference
        return self._post(payload)

    def send_image(self, *, to: str, link: str, caption: str, reference: str | None = None) -> str:
        """An image by URL with a caption (inside the 24-hour window), e.g. the crew's photo of a repair."""
        payload: dict[str, Any] = {
            "recipient_type": "individual",
            "to": to,
            "type": "image",
            "image": {"link": link, "caption": caption},
        }
        if reference:
            payload["biz_opaque_callback_data"] = reference
        return self._post(payload)

    def send_buttons(self, *, to: str, body: str, buttons: Sequence[tuple[str, str]]) -> str:
        """Interactive reply buttons (id, title), at most 3, titles of at most 20 characters."""
        if not 1 <= len(buttons) <= 3:
            raise ValueError("WhatsApp reply buttons: 1 to 3")
        action = {"buttons": [{"type": "reply", "reply": {"id": i, "title": t[:20]}} for i, t in buttons]}
        interactive = {"type": "button", "body": {"text": body}, "action": action}
        return self._post({"recipient_type": "individual", "to": to, "type": "interactive", "interactive": interactive})

    def send_template(
        self,
        *,
        to: str,
        name: str,
        language: str,
        params: Sequence[str],
        image_url: str | None = None,
        reference: str | None = None,
    ) -> str:
        components: list[dict[str, Any]] = []
        if image_url:
            components.append({"type": "header", "parameters": [{"type": "image", "image": {"link": image_url}}]})
        if params:
            components.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in params]})
        payload: dict[str, Any] = {
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": {"name": name, "language": {"code": language}, "components": components},
        }
        if reference:
            payload["biz_opaque_callback_data"] = reference
        return self._post(payload)

    def close(self) -> None:
        self._http.close()


def sign(*, body: bytes, secret: str) -> str:
    """The X-Hub-Signature-256 header value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(*, body: bytes, header: str | None, secret: str) -> bool:
    """Constant-time check of X-Hub-Signature-256 against the raw body."""
    if not header or not secret or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(body=body, secret=secret), header.strip())


class MalformedWebhook(ValueError):
    """The webhook body is not a WhatsApp Business notification."""


@dataclass(frozen=True)
class InboundMessage:
    message_id: str  # wamid..., the idempotency key
    sender: str  # wa_id (phone digits) or a business-scoped user id; never proof of identity
    phone_number_id: str
    kind: str  # text, interactive, image, audio, location, ...
    text: str  # text body, button title or media caption ("" when none)
    reply_id: str | None  # the id of the pressed reply button / list row
    media_id: str | None
    at: datetime
    profile_name: str | None


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str
    status: Literal["sent", "delivered", "read", "failed"]
    recipient: str
    reference: str | None  # biz_opaque_callback_data
    error: str | None
    at: datetime


_STATUSES = ("sent", "delivered", "read", "failed")


def _at(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError) as exc:
        raise MalformedWebhook(f"bad timestamp {value!r}") from exc


def _message(m: dict[str, Any], *, phone_number_id: str, names: dict[str, str]) -> InboundMessage:
    kind = str(m.get("type") or "")
    sender = str(m.get("from") or m.get("from_user_id") or m.get("user_id") or "")
    if not m.get("id") or not sender or not kind:
        raise MalformedWebhook("message without id, sender or type")
    text, reply_id, media_id = "", None, None
    if kind == "text":
        text = str((m.get("text") or {}).get("body") or "")
    elif kind == "interactive":
        inter = m.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        text, reply_id = str(reply.get("title") or ""), (str(reply["id"]) if reply.get("id") else None)
    elif kind == "button":
        text = str((m.get("button") or {}).get("text") or "")
        reply_id = (m.get("button") or {}).get("payload")
    elif kind in ("image", "video", "document", "audio", "sticker"):
        media = m.get(kind) or {}
        text, media_id = str(media.get("caption") or ""), (str(media["id"]) if media.get("id") else None)
    elif kind == "location":
        loc = m.get("location") or {}
        text = f"{loc.get('latitude')},{loc.get('longitude')} {loc.get('address') or ''}".strip()
    return InboundMessage(
        str(m["id"]),
        sender,
        phone_number_id,
        kind,
        text,
        reply_id,
        media_id,
        _at(m.get("timestamp")),
        names.get(sender),
    )


def parse_webhook(payload: Any) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """Messages and statuses of a notification body; raises MalformedWebhook when it is not one."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise MalformedWebhook("not a whatsapp_business_account notification")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise MalformedWebhook("entry must be a list")
    try:
        for entry in entries:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
                names = {
                    str(c.get("wa_id") or c.get("user_id")): str((c.get("profile") or {}).get("name") or "")
                    for c in value.get("contacts") or []
                }
                for m in value.get("messages") or []:
                    messages.append(_message(m, phone_number_id=phone_number_id, names=names))
                for s in value.get("statuses") or []:
                    status = s.get("status")
                    if status not in _STATUSES or not s.get("id"):
                        raise MalformedWebhook(f"unknown status {status!r}")
                    errors = s.get("errors") or []
                    error = "; ".join(f"{e.get('code')}: {e.get('title') or e.get('message')}" for e in errors) or None
                    recipient = str(s.get("recipient_id") or s.get("recipient_user_id") or "")
                    statuses.append(
                        StatusUpdate(
                            str(s["id"]),
                            status,
                            recipient,
                            s.get("biz_opaque_callback_data"),
                            error,
                            _at(s.get("timestamp")),
                        )
                    )
    except (AttributeError, TypeError) as exc:
        raise MalformedWebhook(f"unexpected shape: {exc}") from exc
    return messages, statuses
