"""A local stand-in for the WhatsApp Business Cloud API: POST /{phone_number_id}/messages with a bearer key
records the message and answers {"messages": [{"id": "wamid..."}]}. `fail_next(n, status)` makes the next n sends
fail (e.g. 503). Loopback only."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WhatsAppFake:
    def __init__(self, *, api_key: str = "test-whatsapp-key", phone_number_id: str = "1055500000") -> None:
        self.api_key = api_key
        self.phone_number_id = phone_number_id
        self.sent: list[dict[str, Any]] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="whatsapp-fake")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> WhatsAppFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._answer(401, {"error": {"message": "invalid token"}})
                    return
                if self.path != f"/{fake.phone_number_id}/messages":
                    self._answer(404, {"error": {"message": "unknown phone number id"}})
                    return
                with fake._lock:
                    failure = fake._failures.pop(0) if fake._failures else None
                if failure is not None:
                    self._answer(failure, {"error": {"message": "injected failure"}})
                    return
                message_id = f"wamid.{uuid.uuid4().hex}"
                with fake._lock:
                    fake.sent.append({"id": message_id, **payload})
                self._answer(200, {"messaging_product": "whatsapp", "messages": [{"id": message_id}]})

        return Handler
