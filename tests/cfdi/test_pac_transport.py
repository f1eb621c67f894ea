"""KeepAliveTransport (raw socket + httptools) against real servers on 127.0.0.1: a stdlib ThreadingHTTPServer for
well-behaved HTTP/1.1 and a tiny raw socket server where the exact bytes on the wire matter."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.adapters.pac.transport import KeepAliveTransport, TransportFailure, TransportTimeout

BODY = b"<soap>" + b"x" * 6000 + b"</soap>"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "stamp"}


# ------------------------------------------------------------------------------------------ stdlib server
class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.opened = 0
        self.closed = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_closed(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.closed < n and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.closed == n


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.opened += 1

    def finish(self) -> None:
        super().finish()
        with self.server.lock:
            self.server.closed += 1

    def _answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = self.rfile.read(int(self.headers["Content-Length"]))
        kind = self.path.rsplit("/", 1)[-1]
        if kind == "echo":
            info = {"path": self.path, "headers": dict(self.headers), "body": request.decode()}
            body = json.dumps(info).encode()
            self._answer(200, body, Content_Length=str(len(body)))
        elif kind == "chunked":
            self._answer(200, b"", Transfer_Encoding="chunked")
            for part in (b"<a>", request, b"</a>"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif kind == "until-close":  # no Content-Length, no chunking: the close ends the body
            self.close_connection = True
            self._answer(200, request[::-1])
        elif kind == "then-hang-up":  # a normal keep-alive answer, then the server silently closes the connection
            self.close_connection = True
            self._answer(200, b"bye", Content_Length="3")
        elif kind == "slow":
            time.sleep(1.0)
            self._answer(200, b"late", Content_Length="4")
        elif kind == "fail":
            self._answer(500, b"<fault/>", Content_Length="8")


@pytest.fixture()
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def transport(server: _Server) -> Iterator[KeepAliveTransport]:
    http = KeepAliveTransport(server.url + "/pac/", timeout=2.0)
    yield http
    http.close()


# ------------------------------------------------------------------------------------------ raw server
def _read_request(stream: io.BufferedReader) -> bytes | None:
    lines = []
    while (line := stream.readline()) not in (b"\r\n", b""):
        lines.append(line)
    if not lines:
        return None
    head = b"".join(lines)
    match = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
    return head + stream.read(int(match.group(1)) if match else 0)


class _RawServer:
    """Answers the n-th request (0-based, over all connections) with respond(n), a list of parts sent 50 ms apart;
    None closes without answering. The connection stays open after every answer, whatever the answer's headers
    say, unless close_after."""

    def __init__(self, respond: Callable[[int], list[bytes] | None], *, close_after: bool = False) -> None:
        self.respond = respond
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as stream:
            while (request := _read_request(stream)) is not None:
                answer = self.respond(len(self.requests))
                self.requests.append(request)
                if answer is None:
                    return
                for i, part in enumerate(answer):
                    if i:
                        time.sleep(0.05)
                    conn.sendall(part)
                if self.close_after:
                    return

    def close(self) -> None:
        self._listener.close()


@pytest.fixture()
def raw() -> Iterator[Callable[..., _RawServer]]:
    servers: list[_RawServer] = []

    def start(respond: Callable[[int], list[bytes] | None], **kwargs: bool) -> _RawServer:
        servers.append(_RawServer(respond, **kwargs))
        return servers[-1]

    yield start
    for srv in servers:
        srv.close()


def _ok(body: bytes, *extra: bytes, version: bytes = b"HTTP/1.1") -> list[bytes]:
    return [b"\r\n".join([version + b" 200 OK", b"Content-Length: %d" % len(body), *extra, b"", body])]


# ------------------------------------------------------------------------------------------ tests
def test_url_parsing() -> None:
    https = KeepAliveTransport("https://demo-facturacion.finkok.com/servicios/soap/", timeout=3)
    assert (https.https, https.host, https.port, https.prefix, https.timeout) == (
        True,
        "demo-facturacion.finkok.com",
        443,
        "/servicios/soap",
        3,
    )
    plain = KeepAliveTransport("http://127.0.0.1:8080", timeout=1.5)
    assert (plain.https, plain.host, plain.port, plain.prefix) == (False, "127.0.0.1", 8080, "")
    with pytest.raises(ValueError):
        KeepAliveTransport("ftp://example.com/", timeout=1)


def test_keep_alive_connection_serves_several_posts(server: _Server, transport: KeepAliveTransport) -> None:
    for i in range(3):
        status, content = transport.post("/echo", BODY + str(i).encode(), HEADERS)
        assert status == 200
        echoed = json.loads(content)
        assert echoed["path"] == "/pac/echo"
        assert echoed["body"] == (BODY + str(i).encode()).decode()
        assert echoed["headers"]["Host"] == server.url.removeprefix("http://")
        assert echoed["headers"]["Content-Length"] == str(len(BODY) + 1)
        assert echoed["headers"]["Content-Type"] == "text/xml; charset=utf-8"
        assert echoed["headers"]["SOAPAction"] == "stamp"
    assert server.opened == 1


def test_chunked_response(server: _Server, transport: KeepAliveTransport) -> None:
    assert transport.post("/chunked", BODY, HEADERS) == (200, b"<a>" + BODY + b"</a>")
    assert transport.post("/chunked", b"second", HEADERS) == (200, b"<a>second</a>")
    big = BODY * 50  # 300 KB: the answer arrives over many reads
    assert transport.post("/chunked", big, HEADERS) == (200, b"<a>" + big + b"</a>")
    assert server.opened == 1  # a chunked answer keeps the connection


def test_body_delimited_by_close(server: _Server, transport: KeepAliveTransport) -> None:
    assert transport.post("/until-close", BODY, HEADERS) == (200, BODY[::-1])
    assert transport.post("/until-close", b"abc", HEADERS) == (200, b"cba")
    assert server.opened == 2


def test_connection_close_answer_drops_the_connection(raw: Callable[..., _RawServer]) -> None:
    # the raw server would keep serving the same socket: only the client's own drop explains the second connection
    srv = raw(lambda n: _ok(b"first", b"Connection: close") if n == 0 else _ok(b"second"))
    http = KeepAliveTransport(srv.url, timeout=2)
    assert http.post("/a", BODY, HEADERS) == (200, b"first")
    assert http.post("/a", BODY, HEADERS) == (200, b"second")
    assert http.post("/a", BODY, HEADERS) == (200, b"second")
    assert srv.connections == 2
    http.close()


def test_http10_without_keep_alive_drops_the_connection(raw: Callable[..., _RawServer]) -> None:
    srv = raw(lambda n: _ok(b"old", version=b"HTTP/1.0") if n == 0 else _ok(b"new"))
    http = KeepAliveTransport(srv.url, timeout=2)
    assert http.post("/a", BODY, HEADERS) == (200, b"old")
    assert http.post("/a", BODY, HEADERS) == (200, b"new")
    assert srv.connections == 2
    http.close()


def test_interim_100_continue_is_skipped(raw: Callable[..., _RawServer]) -> None:
    # first in the same packet as the final answer, then as a separate write
    srv = raw(
        lambda n: (
            [b"HTTP/1.1 100 Continue\r\n\r\n" + _ok(b"final")[0]]
            if n == 0
            else [b"HTTP/1.1 100 Continue\r\n\r\n", *_ok(b"later")]
        )
    )
    http = KeepAliveTransport(srv.url, timeout=2)
    assert http.post("/a", BODY, HEADERS) == (200, b"final")
    assert http.post("/a", BODY, HEADERS) == (200, b"later")
    assert srv.connections == 1
    http.close()


def test_idle_connection_closed_by_server_is_reopened_once(server: _Server, transport: KeepAliveTransport) -> None:
    assert transport.post("/then-hang-up", BODY, HEADERS) == (200, b"bye")
    server.wait_closed(1)  # the server has closed the idle keep-alive connection the client still holds
    status, content = transport.post("/echo", BODY, HEADERS)
    assert status == 200 and json.loads(content)["body"] == BODY.decode()
    assert server.opened == 2


def test_reused_connection_is_retried_only_once(raw: Callable[..., _RawServer]) -> None:
    # request 0 answered; then every connection is closed as soon as a request arrives
    srv = raw(lambda n: _ok(b"one") if n == 0 else None)
    http = KeepAliveTransport(srv.url, timeout=2)
    assert http.post("/a", BODY, HEADERS) == (200, b"one")
    with pytest.raises(TransportFailure, match="closed before the response"):
        http.post("/a", BODY, HEADERS)
    assert len(srv.requests) == 3  # the answered one, the stale attempt and one retry on a fresh connection
    assert srv.connections == 2
    http.close()


def test_fresh_connection_closed_without_answer_is_a_failure(raw: Callable[..., _RawServer]) -> None:
    srv = raw(lambda n: None)
    http = KeepAliveTransport(srv.url, timeout=2)
    with pytest.raises(TransportFailure):
        http.post("/a", BODY, HEADERS)
    assert len(srv.requests) == 1 and srv.connections == 1  # no retry on a fresh connection


def test_read_timeout(server: _Server) -> None:
    slow = KeepAliveTransport(server.url, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(TransportTimeout):
        slow.post("/slow", BODY, HEADERS)
    assert time.monotonic() - started < 0.9
    status, _ = slow.post("/echo", BODY, HEADERS)  # the timed-out connection was dropped: a new one works
    assert status == 200
    assert server.opened == 2
    slow.close()


def test_connection_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    http = KeepAliveTransport(f"http://127.0.0.1:{port}", timeout=1)
    with pytest.raises(TransportFailure):
        http.post("/a", BODY, HEADERS)


def test_server_error_status_is_returned(server: _Server, transport: KeepAliveTransport) -> None:
    assert transport.post("/fail", BODY, HEADERS) == (500, b"<fault/>")
    assert transport.post("/fail", BODY, HEADERS) == (500, b"<fault/>")
    assert server.opened == 1


def test_malformed_response_is_a_failure(raw: Callable[..., _RawServer]) -> None:
    srv = raw(lambda n: [b"HTTP/1.1 2x0 Okay-ish\r\nContent-Length: 2\r\n\r\nhi"] if n == 0 else _ok(b"good"))
    http = KeepAliveTransport(srv.url, timeout=2)
    with pytest.raises(TransportFailure):
        http.post("/a", BODY, HEADERS)
    assert http.post("/a", BODY, HEADERS) == (200, b"good")  # the broken connection was dropped
    assert srv.connections == 2
    http.close()


def test_truncated_body_is_a_failure(raw: Callable[..., _RawServer]) -> None:
    srv = raw(lambda n: [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part"], close_after=True)
    http = KeepAliveTransport(srv.url, timeout=2)
    with pytest.raises(TransportFailure, match="middle of the response"):
        http.post("/a", BODY, HEADERS)


def test_bytes_after_a_complete_response_drop_the_connection(raw: Callable[..., _RawServer]) -> None:
    srv = raw(lambda n: [_ok(b"body")[0] + b"JUNK"] if n == 0 else _ok(b"clean"))
    http = KeepAliveTransport(srv.url, timeout=2)
    assert http.post("/a", BODY, HEADERS) == (200, b"body")
    assert http.post("/a", BODY, HEADERS) == (200, b"clean")
    assert srv.connections == 2
    http.close()


def test_header_injection_is_refused(transport: KeepAliveTransport) -> None:
    with pytest.raises(ValueError):
        transport.post("/echo", BODY, {"SOAPAction": "stamp\r\nX-Evil: 1"})


def test_one_connection_per_thread_and_close_closes_all(server: _Server, transport: KeepAliveTransport) -> None:
    threads = 3
    assert transport.post("/echo", BODY, HEADERS)[0] == 200  # the main thread has its own connection too
    barrier = threading.Barrier(threads)
    results: list[int] = []

    def work() -> None:
        barrier.wait()  # all threads post at the same time: each needs its own connection
        for _ in range(2):
            results.append(transport.post("/echo", BODY, HEADERS)[0])
        barrier.wait()  # keep every thread (and its thread-local connection) alive until all are done

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    assert results == [200] * 6
    assert server.opened == threads + 1
    assert server.closed == 0
    transport.close()
    server.wait_closed(threads + 1)  # the server saw every connection end
    # the transport stays usable after close(): the main thread's next post opens a new connection
    assert transport.post("/echo", BODY, HEADERS)[0] == 200
    assert server.opened == threads + 2


# ------------------------------------------------------------------------------------------ https
@pytest.fixture()
def tls_server(server: _Server, tmp_path: Path) -> tuple[_Server, Path]:
    """The stdlib server behind TLS with a throwaway self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server, cert_path


def test_https_verifies_with_the_system_trust_store(tls_server: tuple[_Server, Path]) -> None:
    server, _ = tls_server
    http = KeepAliveTransport(server.url.replace("http:", "https:"), timeout=2)
    with pytest.raises(TransportFailure, match="CERTIFICATE_VERIFY_FAILED"):
        http.post("/echo", BODY, HEADERS)


def test_https_keep_alive(tls_server: tuple[_Server, Path]) -> None:
    server, cert_path = tls_server
    http = KeepAliveTransport(server.url.replace("http:", "https:"), timeout=2)
    assert http._ssl is not None
    http._ssl.load_verify_locations(cert_path)  # trust the test certificate on top of the system store
    for _ in range(3):
        status, content = http.post("/echo", BODY, HEADERS)
        assert status == 200 and json.loads(content)["body"] == BODY.decode()
    assert http.post("/chunked", BODY, HEADERS) == (200, b"<a>" + BODY + b"</a>")
    assert server.opened == 1
    assert http.post("/then-hang-up", BODY, HEADERS) == (200, b"bye")
    server.wait_closed(1)  # a TLS connection closed by the server while idle is reopened too
    assert http.post("/chunked", b"again", HEADERS) == (200, b"<a>again</a>")
    assert server.opened == 2
    http.close()
    server.wait_closed(2)
