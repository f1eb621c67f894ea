"""Local Conekta stand-in: a real HTTP server that signs webhooks with a test RSA key and serves the events API.

* `ConektaFake()` makes a fresh RSA-2048 key; `public_pem` is what Conekta's POST /webhook_keys would return.
* Event builders (`charge_paid`, `order_paid`, `refund`, `chargeback`, `pending_payment`) return event dicts shaped
  like Conekta's (amounts in integer centavos) and remember them, newest first, for GET /events.
* `signed(event)` -> (raw body, digest header); `deliver(url, event)` POSTs it like Conekta does.
* HTTP: GET /events?limit=&next= (paged, newest first, `has_more`), GET /events/{id}. Requires
  `Authorization: Bearer <api_key>`. Loopback only.

Use: `with ConektaFake().serving() as fake: fake.base_url ...` or `python -m devtools.fakes.conekta_server --port 8798`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.adapters.conekta import sign

_ids = itertools.count(1)


def _hex_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(8)}{next(_ids):06d}"


class ConektaFake:
    def __init__(self, *, api_key: str = "key_test_fake", private_key: rsa.RSAPrivateKey | None = None) -> None:
        self.private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        self.api_key = api_key
        self.events: list[dict[str, Any]] = []  # oldest first; served newest first
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    @classmethod
    def load_or_create(cls, path: str | Path, **kwargs: Any) -> ConektaFake:
        """A fake whose signing key persists in `path` (PEM, created on first use), so a demo host can be started
        with CONEKTA_WEBHOOK_PUBLIC_KEY=fake.public_pem before the webhooks are sent."""
        file = Path(path)
        if file.exists():
            key = serialization.load_pem_private_key(file.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{file} is not an RSA private key")
            return cls(private_key=key, **kwargs)
        fake = cls(**kwargs)
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(
            fake.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        file.chmod(0o600)
        return fake

    # ---- events ---------------------------------------------------------------------------------------------------

    def _remember(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.events.append(event)
        return event

    @staticmethod
    def _centavos(amount: Decimal | str) -> int:
        return int((Decimal(str(amount)) * 100).to_integral_value())

    def charge(
        self,
        *,
        amount: Decimal | str,
        method: str = "cash",
        reference: str | None = None,
        clabe: str | None = None,
        paid_at: int | None = None,
        charge_id: str | None = None,
        order_id: str | None = None,
        status: str = "paid",
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        payment_method: dict[str, Any]
        if method == "cash":
            payment_method = {
                "object": "cash_payment",
                "type": "cash",
                "reference": reference,
                "service_name": "OxxoPay",
                "store_name": "OXXO",
            }
        elif method == "spei":
            payment_method = {
                "object": "bank_transfer_payment",
                "type": "spei",
                "clabe": clabe,
                "receiving_account_number": clabe,
                "bank": "STP",
            }
        else:
            payment_method = {"object": "card_payment", "type": "card", "last4": "4242", "brand": "visa"}
        return {
            "id": charge_id or _hex_id("6372"),
            "object": "charge",
            "status": status,
            "amount": self._centavos(amount),
            "currency": "MXN",
            "fee": 1203,
            "order_id": order_id or _hex_id("ord_"),
            "paid_at": paid_at or int(time.time()),
            "payment_method": payment_method,
            **({"metadata": metadata} if metadata else {}),
        }

    def event(self, event_type: str, obj: dict[str, Any], *, created_at: int | None = None) -> dict[str, Any]:
        return self._remember(
            {
                "id": _hex_id("evt_"),
                "object": "event",
                "type": event_type,
                "livemode": False,
                "created_at": created_at or int(time.time()),
                "data": {"object": obj},
                "webhook_status": "pending",
            }
        )

    def charge_paid(self, charge: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.event("charge.paid", charge, **kw)

    def order_paid(self, charge: dict[str, Any], *, account_number: str | None = None, **kw: Any) -> dict[str, Any]:
        order = {
            "id": charge["order_id"],
            "object": "order",
            "amount": charge["amount"],
            "currency": "MXN",
            "payment_status": "paid",
            "metadata": {"account_number": account_number} if account_number else {},
            "charges": {"object": "list", "data": [charge]},
        }
        return self.event("order.paid", order, **kw)

    def refund(self, charge: dict[str, Any], *, amount: Decimal | str | None = None, **kw: Any) -> dict[str, Any]:
        cents = self._centavos(amount) if amount is not None else charge["amount"]
        refunded = {
            **charge,
            "status": "refunded" if cents == charge["amount"] else "partially_refunded",
            "refunds": {
                "object": "list",
                "data": [{"id": _hex_id("ref_"), "object": "refund", "amount": -cents, "created_at": int(time.time())}],
            },
        }
        return self.event("charge.refunded", refunded, **kw)

    def chargeback(self, charge: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.event(
            "chargeback.created",
            {
                "id": _hex_id("cbk_"),
                "object": "chargeback",
                "charge": charge["id"],
                "amount": charge["amount"],
                "status": "pending",
            },
            **kw,
        )

    def pending_payment(self, charge: dict[str, Any], **kw: Any) -> dict[str, Any]:
        return self.event(
            "order.pending_payment",
            {
                "id": charge["order_id"],
                "object": "order",
                "charges": {"data": [{**charge, "status": "pending_payment"}]},
            },
            **kw,
        )

    # ---- signing and delivery -------------------------------------------------------------------------------------

    def signed(self, event: dict[str, Any]) -> tuple[bytes, str]:
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, sign(body=body, private_key=self.private_key)

    def deliver(self, url: str, event: dict[str, Any], *, client: httpx.Client | None = None) -> httpx.Response:
        body, digest = self.signed(event)
        headers = {"Content-Type": "application/json", "digest": digest}
        if client is not None:
            return client.post(url, content=body, headers=headers)
        return httpx.post(url, content=body, headers=headers, timeout=10)

    # ---- HTTP server ----------------------------------------------------------------------------------------------

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        limit = max(1, min(int(query.get("limit", ["20"])[0]), 250))
        after = query.get("next", [None])[0]
        with self._lock:
            newest_first = list(reversed(self.events))
        start = 0
        if after:
            ids = [e["id"] for e in newest_first]
            start = ids.index(after) + 1 if after in ids else len(ids)
        data = newest_first[start : start + limit]
        return {
            "object": "list",
            "has_more": start + limit < len(newest_first),
            "data": data,
            "next_page_url": None,
            "previous_page_url": None,
        }

    def start(self, port: int = 0) -> ConektaFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _send(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._send(401, {"object": "error", "type": "authentication_error"})
                    return
                url = urlparse(self.path)
                if url.path == "/events":
                    self._send(200, fake._page(parse_qs(url.query)))
                    return
                if url.path.startswith("/events/"):
                    wanted = url.path.removeprefix("/events/")
                    with fake._lock:
                        found = next((e for e in fake.events if e["id"] == wanted), None)
                    self._send(200 if found else 404, found or {"object": "error", "type": "resource_not_found"})
                    return
                self._send(404, {"object": "error", "type": "resource_not_found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="conekta-fake", daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @contextmanager
    def serving(self) -> Iterator[ConektaFake]:
        self.start()
        try:
            yield self
        finally:
            self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Conekta stand-in (events API + webhook signing key)")
    parser.add_argument("--port", type=int, default=8798)
    args = parser.parse_args()
    fake = ConektaFake().start(args.port)
    print(f"Conekta fake on {fake.base_url}; webhook public key:\n{fake.public_pem}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
