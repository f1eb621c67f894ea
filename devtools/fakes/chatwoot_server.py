"""A local stand-in for Chatwoot (AGORA): the application API the app calls (contacts, conversations, messages,
toggle_status; header api_access_token) and the agent-bot webhook it delivers, signed as newer Chatwoot does
(X-Chatwoot-Signature over "{timestamp}.{body}", X-Chatwoot-Timestamp, X-Chatwoot-Delivery).

Operators act through `take(conversation_id)` (toggle to open, as an agent assigning it to themselves),
`agent_reply(conversation_id, text)` and `resolve(conversation_id)`; a web-widget customer writes with
`customer_writes(conversation_id, text)`. Each posts the corresponding webhook to `webhook_url`. Loopback only.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from shared.adapters.chatwoot import sign


@dataclass
class FakeConversation:
    id: int
    inbox_id: int
    contact_id: int
    status: str
    messages: list[dict[str, Any]] = field(default_factory=list)


class ChatwootFake:
    def __init__(
        self,
        *,
        api_token: str = "test-chatwoot-token",  # noqa: S107 (a fake's test token)
        account_id: int = 1,
        inbox_id: int = 7,
        webhook_secret: str = "test-chatwoot-secret",  # noqa: S107 (a fake's test secret)
        webhook_url: str | None = None,
    ) -> None:
        self.api_token = api_token
        self.account_id = account_id
        self.inbox_id = inbox_id
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.contacts: dict[int, dict[str, Any]] = {}
        self.conversations: dict[int, FakeConversation] = {}
        self.deliveries: list[tuple[str, int]] = []  # (event, HTTP status the app answered)
        self._ids = itertools.count(100)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="chatwoot-fake")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ChatwootFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ the API the app calls
    def _api(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: PLR0911 (one answer per route)
        prefix = f"/api/v1/accounts/{self.account_id}"
        if not path.startswith(prefix):
            return 404, {"error": "account not found"}
        parts = path[len(prefix) :].strip("/").split("/")
        with self._lock:
            if parts == ["contacts"]:
                contact_id = next(self._ids)
                self.contacts[contact_id] = {"id": contact_id, **body}
                source = uuid.uuid4().hex
                return 200, {"payload": {"contact": {"id": contact_id}, "contact_inbox": {"source_id": source}}}
            if parts == ["conversations"]:
                if int(body.get("contact_id") or 0) not in self.contacts:
                    return 422, {"error": "contact not found"}
                cid = next(self._ids)
                self.conversations[cid] = FakeConversation(
                    cid, int(body["inbox_id"]), int(body["contact_id"]), str(body.get("status") or "pending")
                )
                return 200, {"id": cid, "status": self.conversations[cid].status}
            if len(parts) == 3 and parts[0] == "conversations" and parts[1].isdigit():
                conversation = self.conversations.get(int(parts[1]))
                if conversation is None:
                    return 404, {"error": "conversation not found"}
                if parts[2] == "messages":
                    if not str(body.get("content") or "").strip():
                        return 422, {"error": "content required"}
                    mid = next(self._ids)
                    conversation.messages.append({"id": mid, "sender": "api", **body})
                    return 200, {"id": mid, "content": body["content"], "message_type": body.get("message_type")}
                if parts[2] == "toggle_status":
                    if body.get("status") not in ("open", "pending", "resolved", "snoozed"):
                        return 422, {"error": "bad status"}
                    conversation.status = str(body["status"])
                    return 200, {"payload": {"success": True, "current_status": conversation.status}}
        return 404, {"error": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("api_access_token") != fake.api_token:
                    status, answer = 401, {"error": "invalid access token"}
                else:
                    try:
                        status, answer = fake._api(self.path, json.loads(raw or b"{}"))
                    except (json.JSONDecodeError, ValueError, KeyError) as exc:
                        status, answer = 422, {"error": str(exc)}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    # ------------------------------------------------------------------ operators and webhooks
    def deliver(self, payload: dict[str, Any], *, timestamp: int | None = None, signature: str | None = None) -> int:
        """POST a signed agent-bot webhook to the app; returns the app's HTTP status."""
        if not self.webhook_url:
            raise RuntimeError("webhook_url is not set")
        body = json.dumps(payload).encode()
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Chatwoot-Timestamp": ts,
            "X-Chatwoot-Delivery": uuid.uuid4().hex,
            "X-Chatwoot-Signature": signature or sign(body=body, timestamp=ts, secret=self.webhook_secret),
        }
        status = httpx.post(self.webhook_url, content=body, headers=headers, timeout=30).status_code
        self.deliveries.append((str(payload.get("event")), status))
        return status

    def _conversation_payload(self, conversation: FakeConversation) -> dict[str, Any]:
        return {"id": conversation.id, "status": conversation.status, "inbox_id": conversation.inbox_id}

    def take(self, conversation_id: int, *, agent: str = "Operadora Ana") -> int:
        conversation = self.conversations[conversation_id]
        conversation.status = "open"
        return self.deliver(
            {
                "event": "conversation_status_changed",
                "account": {"id": self.account_id},
                "conversation": self._conversation_payload(conversation),
                "changed_by": {"type": "user", "name": agent},
            }
        )

    def resolve(self, conversation_id: int) -> int:
        conversation = self.conversations[conversation_id]
        conversation.status = "resolved"
        return self.deliver(
            {
                "event": "conversation_status_changed",
                "account": {"id": self.account_id},
                "conversation": self._conversation_payload(conversation),
            }
        )

    def _message(self, conversation_id: int, text: str, *, message_type: str, sender_type: str) -> int:
        conversation = self.conversations[conversation_id]
        mid = next(self._ids)
        conversation.messages.append({"id": mid, "content": text, "message_type": message_type, "sender": sender_type})
        return self.deliver(
            {
                "event": "message_created",
                "id": mid,
                "content": text,
                "message_type": message_type,
                "private": False,
                "account": {"id": self.account_id},
                "conversation": self._conversation_payload(conversation),
                "sender": {
                    "type": sender_type,
                    "id": 1,
                    "name": "Operadora Ana" if sender_type == "user" else "Cliente",
                },
            }
        )

    def agent_reply(self, conversation_id: int, text: str) -> int:
        return self._message(conversation_id, text, message_type="outgoing", sender_type="user")

    def open_widget_conversation(self, *, name: str = "Cliente web") -> int:
        with self._lock:
            contact_id = next(self._ids)
            self.contacts[contact_id] = {"id": contact_id, "name": name}
            cid = next(self._ids)
            self.conversations[cid] = FakeConversation(cid, self.inbox_id, contact_id, "pending")
        return cid

    def customer_writes(self, conversation_id: int, text: str) -> int:
        return self._message(conversation_id, text, message_type="incoming", sender_type="contact")
