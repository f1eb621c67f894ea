"""HTTP/1.1 POST over one persistent connection per thread (stdlib http.client).

The PAC is called once per invoice, hundreds of thousands of times per billing run: a general-purpose client
spends more CPU per call than the signing itself. This transport keeps a keep-alive connection per worker thread,
verifies TLS with the system trust store for https URLs, and reports timeouts and network failures as two
exception types the PAC client maps to retryable incidences.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from urllib.parse import urlsplit


class TransportTimeout(Exception):
    """The PAC did not answer within the timeout."""


class TransportFailure(Exception):
    """The connection could not be made or broke."""


_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class KeepAliveTransport:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._ssl = ssl.create_default_context() if self.https else None

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        if self.https:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self._ssl)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._local.conn = conn
        with self._lock:
            self._all.append(conn)
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST and read the whole answer; a keep-alive connection the server closed meanwhile is reopened once."""
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                conn.request("POST", self.prefix + path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.will_close:
                    self._drop()
                return response.status, data
            except TimeoutError as exc:
                self._drop()
                raise TransportTimeout(str(exc) or "timed out") from exc
            except _STALE as exc:
                self._drop()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: reconnect and send again
                raise TransportFailure(str(exc) or type(exc).__name__) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise TransportFailure(str(exc) or type(exc).__name__) from exc
        raise TransportFailure("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
