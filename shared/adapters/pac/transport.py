"""HTTP/1.1 POST over one persistent connection per thread (raw socket, responses parsed by httptools/llhttp).

The PAC is called once per invoice, hundreds of thousands of times per billing run: a general-purpose client
spends more CPU per call than the signing itself. Even stdlib http.client builds the request header by header and
reads the response line by line through a buffered file, parsing the headers with the email package; here the
request is one formatted bytes object written with sendall and each received block is fed to llhttp (C, through
httptools), so the per-call cost is little more than the two system calls (about half of http.client's CPU).
This transport keeps a keep-alive connection per worker thread, verifies TLS with the system trust store for https
URLs, and reports timeouts and network failures as two exception types the PAC client maps to retryable incidences.
"""

from __future__ import annotations

import socket
import ssl
import threading
from typing import NamedTuple
from urllib.parse import urlsplit

import httptools


class Response(NamedTuple):
    status: int
    body: bytes
    retry_after: float | None  # seconds from a Retry-After header (429/503), when the server sent one in seconds


def _seconds(value: bytes | None) -> float | None:
    """Retry-After in delta-seconds (an HTTP-date is not followed: None)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class TransportTimeout(Exception):
    """The PAC did not answer within the timeout."""


class TransportFailure(Exception):
    """The connection could not be made or broke."""


class _ServerClosed(Exception):
    """The connection ended before any byte of the response: a reused keep-alive connection is reopened once."""


_STALE = (ConnectionError, ssl.SSLEOFError)
_RECV_SIZE = 65536


class _Connection:
    """A socket and its llhttp response parser, which also receives the parser's callbacks.

    The parser is reused for the next response only while the connection is kept alive: after any error, a
    close-delimited body or a `Connection: close` answer the connection is dropped with its parser.
    """

    __slots__ = ("body", "framed", "headers_done", "parser", "result", "retry_after", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.parser = httptools.HttpResponseParser(self)
        self.body: list[bytes] = []
        self.framed = False  # Content-Length or chunked: the end of the body is known without the close
        self.headers_done = False
        self.retry_after: bytes | None = None
        self.result: tuple[int, bytes, bool] | None = None  # set when the final response is complete

    def on_message_begin(self) -> None:  # also after an interim 1xx answer, which is skipped
        self.body = []
        self.framed = self.headers_done = False
        self.retry_after = None

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length" or (name == b"transfer-encoding" and b"chunked" in value.lower()):
            self.framed = True
        elif name == b"retry-after":
            self.retry_after = value.strip()

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, data: bytes) -> None:
        self.body.append(data)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status >= 200:  # keep-alive must be read now: it is False once the parser has moved past the message
            self.result = status, b"".join(self.body), self.parser.should_keep_alive()

    def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send the request, read the whole response: (status, body, whether the connection can be reused)."""
        try:
            self.sock.sendall(request)
            data = self.sock.recv(_RECV_SIZE)
        except _STALE as exc:
            raise _ServerClosed(str(exc) or type(exc).__name__) from exc
        if not data:
            raise _ServerClosed("connection closed before the response")
        self.result = None
        while True:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                if self.result is None:
                    raise
                status, body, _ = self.result  # bytes after a complete response: answer it, drop the connection
                return status, body, False
            if self.result is not None:
                return self.result
            data = self.sock.recv(_RECV_SIZE)
            if not data:
                if self.headers_done and not self.framed:  # the body is delimited by the close
                    return self.parser.get_status_code(), b"".join(self.body), False
                raise ConnectionAbortedError("connection closed in the middle of the response")


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
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port != (443 if self.https else 80):
            host = f"{host}:{self.port}"
        self._fixed_headers = f"Host: {host}\r\nAccept-Encoding: identity\r\n"
        self._local = threading.local()
        self._all: set[_Connection] = set()
        self._lock = threading.Lock()
        self._ssl = ssl.create_default_context() if self.https else None

    def _connection(self) -> tuple[_Connection, bool]:
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is not None and conn.sock.fileno() != -1:  # -1: closed by close(); open a new one
            return conn, True
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._ssl is not None:
                sock = self._ssl.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        conn = self._local.conn = _Connection(sock)
        with self._lock:
            self._all.add(conn)
        return conn, False

    def _drop(self) -> None:
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.sock.close()
            with self._lock:
                self._all.discard(conn)

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST and read the whole answer: (status, body)."""
        status, data, _ = self.exchange(path, body, headers)
        return status, data

    def exchange(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        """POST and read the whole answer, with its Retry-After; a keep-alive connection the server closed meanwhile
        is reopened once."""
        if any("\r" in s or "\n" in s for s in (path, *headers, *headers.values())):
            raise ValueError("CR or LF in the path or a header")
        fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"POST {self.prefix}{path} HTTP/1.1\r\n{self._fixed_headers}Content-Length: {len(body)}\r\n{fields}\r\n"
        request = head.encode("latin-1") + body
        for attempt in (1, 2):
            reused = False
            try:
                conn, reused = self._connection()
                status, data, keep_alive = conn.exchange(request)
            except _ServerClosed as exc:
                self._drop()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: reconnect and send again
                raise TransportFailure(str(exc)) from exc
            except TimeoutError as exc:
                self._drop()
                raise TransportTimeout(str(exc) or "timed out") from exc
            except (OSError, httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
                self._drop()
                raise TransportFailure(str(exc) or type(exc).__name__) from exc
            if not keep_alive:
                self._drop()
            return Response(status, data, _seconds(conn.retry_after))
        raise TransportFailure("unreachable")  # pragma: no cover - the loop returns or raises

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.sock.close()
            self._all.clear()
