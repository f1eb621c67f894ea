"""A local stand-in for the WhatsApp Business API (Meta Cloud API and 360dialog), real HTTP on loopback.

Outbound: POST /{phone_number_id}/messages (Meta, `Authorization: Bearer <key>`) or POST /messages (360dialog,
`D360-API-KEY: <key>`) records the message and answers {"messages": [{"id": "wamid..."}]}; `fail_next(n, status)`
makes the next n sends fail. Inbound: `deliver_text(...)` / `deliver_status(...)` post signed webhooks
(X-Hub-Signature-256 with the app secret) to the app's webhook URL, as Meta does, and return the HTTP status.

The server is an asyncio loop with the httptools parser (thousands of sends per second on one core); run it in its
own process for benchmarks (`python -m devtools.fakes.whatsapp_server`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import uuid
from typing import Any

import httptools
import httpx

from shared.adapters.whatsapp import sign


class _Conn(asyncio.Protocol):
    def __init__(self, fake: WhatsAppFake) -> None:
        self.fake = fake
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._write(400, {"error": {"message": "bad request"}}, keep_alive=False)

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status, answer = self.fake.handle(
            self.parser.get_method().decode(), self.url.decode(), self.headers, b"".join(self.body)
        )
        keep = self.parser.should_keep_alive()
        self.url, self.headers, self.body = b"", {}, []
        self._write(status, answer, keep_alive=keep)

    def _write(self, status: int, answer: dict[str, Any], *, keep_alive: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        data = json.dumps(answer).encode()
        head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        self.transport.write((head + ("" if keep_alive else "Connection: close\r\n") + "\r\n").encode() + data)
        if not keep_alive:
            self.transport.close()


class WhatsAppFake:
    def __init__(
        self,
        *,
        api_key: str = "test-whatsapp-key",
        phone_number_id: str = "1055500000",
        app_secret: str = "test-whatsapp-app-secret",  # noqa: S107 (a fake's test secret)
        webhook_url: str | None = None,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.webhook_url = webhook_url
        self.sent: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self.address: tuple[str, int] = ("127.0.0.1", port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.address[1]}"

    def start(self) -> WhatsAppFake:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                self._loop.create_server(lambda: _Conn(self), "127.0.0.1", self._port, backlog=512)
            )
            self.address = self._server.sockets[0].getsockname()[:2]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="whatsapp-fake")
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._thread is None:
            return

        def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            self._loop.call_soon(self._loop.stop)

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(timeout=5)
        self._thread = None

    def stats(self) -> dict[str, int]:
        """Messages accepted, distinct references (biz_opaque_callback_data) and repeated references."""
        with self._lock:
            refs = [m.get("biz_opaque_callback_data") for m in self.sent]
        keyed = [r for r in refs if r]
        return {"sent": len(refs), "distinct_references": len(set(keyed)), "duplicates": len(keyed) - len(set(keyed))}

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    # ------------------------------------------------------------------ outbound (the app sends)
    def handle(  # noqa: PLR0911 (one answer per refusal, as the API gives)
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path.startswith("/_sent"):
            with self._lock:
                return 200, {"sent": list(self.sent)}
        if method == "GET" and path.startswith("/_stats"):
            return 200, self.stats()
        if method != "POST":
            return 404, {"error": {"message": "not found"}}
        meta = path == f"/{self.phone_number_id}/messages"
        d360 = path == "/messages"
        if not (meta or d360):
            return 404, {"error": {"message": "unknown phone number id"}}
        authorised = (
            headers.get("authorization") == f"Bearer {self.api_key}"
            if meta
            else headers.get("d360-api-key") == self.api_key
        )
        if not authorised:
            return 401, {"error": {"message": "invalid token"}}
        try:
            payload = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return 400, {"error": {"message": "invalid json"}}
        if payload.get("messaging_product") != "whatsapp" or not payload.get("to") or not payload.get("type"):
            return 400, {"error": {"message": "messaging_product, to and type are required"}}
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                return failure, {"error": {"message": "injected failure"}}
            message_id = f"wamid.{uuid.uuid4().hex}"
            self.sent.append({"id": message_id, **payload})
        return 200, {"messaging_product": "whatsapp", "messages": [{"id": message_id}]}

    # ------------------------------------------------------------------ inbound (the fake posts webhooks)
    def _envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": self.phone_number_id}, **value}
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
        }

    def inbound_text(self, *, sender: str, text: str, message_id: str | None = None, name: str = "Cliente") -> bytes:
        message = {
            "from": sender,
            "id": message_id or f"wamid.in.{uuid.uuid4().hex}",
            "timestamp": str(int(time.time())),
            "type": "text",
            "text": {"body": text},
        }
        body = self._envelope({"contacts": [{"wa_id": sender, "profile": {"name": name}}], "messages": [message]})
        return json.dumps(body).encode()

    def inbound_image(self, *, sender: str, caption: str, media_id: str = "media-1") -> bytes:
        message = {
            "from": sender,
            "id": f"wamid.in.{uuid.uuid4().hex}",
            "timestamp": str(int(time.time())),
            "type": "image",
            "image": {"id": media_id, "caption": caption, "mime_type": "image/jpeg"},
        }
        return json.dumps(self._envelope({"messages": [message]})).encode()

    def status_body(
        self, *, message_id: str, status: str, recipient: str, reference: str | None = None, error: str | None = None
    ) -> bytes:
        s: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(time.time())),
            "recipient_id": recipient,
        }
        if reference:
            s["biz_opaque_callback_data"] = reference
        if error:
            s["errors"] = [{"code": 131026, "title": error}]
        return json.dumps(self._envelope({"statuses": [s]})).encode()

    def post(self, body: bytes, *, signature: str | None = None, client: httpx.Client | None = None) -> httpx.Response:
        """POST a webhook body to the app, signed with the app secret (or with `signature` as given)."""
        if not self.webhook_url:
            raise RuntimeError("webhook_url is not set")
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature if signature is not None else sign(body=body, secret=self.app_secret),
        }
        if client is not None:
            return client.post(self.webhook_url, content=body, headers=headers)
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=30)

    def deliver_text(self, *, sender: str, text: str, message_id: str | None = None) -> int:
        return self.post(self.inbound_text(sender=sender, text=text, message_id=message_id)).status_code

    def deliver_status(
        self, *, message_id: str, status: str, recipient: str, reference: str | None = None, error: str | None = None
    ) -> int:
        body = self.status_body(
            message_id=message_id, status=status, recipient=recipient, reference=reference, error=error
        )
        return self.post(body).status_code


def main() -> None:
    """Run the fake as a process; it prints its URL and, on SIGTERM, exits (GET /_sent lists what it recorded)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="test-whatsapp-key")
    parser.add_argument("--phone-number-id", default="1055500000")
    args = parser.parse_args()
    fake = WhatsAppFake(api_key=args.api_key, phone_number_id=args.phone_number_id, port=args.port).start()
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
