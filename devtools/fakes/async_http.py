"""A small HTTP/1.1 server on an asyncio event loop in a background thread, for fakes that must serve many calls
cheaply (the PAC simulator answers one request per invoice of a 400,000-account billing run).

`http.server.ThreadingHTTPServer` costs about 0.3 ms of CPU per keep-alive request (a thread per connection
fighting for the GIL, header parsing through the `email` package); here one event loop serves every connection
and httptools (the llhttp C parser) reads the requests. Requests are handled one at a time on the loop, in
arrival order; a handler may ask for its answer to be held back (`Reply.delay`) to simulate a slow server
without blocking the other connections. Loopback only.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httptools

LOOPBACK = ("127.0.0.1", "localhost", "::1")
_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "text/xml; charset=utf-8"
    delay: float = 0.0  # seconds to hold the answer back
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers, e.g. (("Retry-After", "1"),)


Handler = Callable[[str, str, bytes], Reply]
"""(method, path, body) -> Reply; runs on the event loop thread."""


class _Connection(asyncio.Protocol):
    def __init__(self, handler: Handler, live: set[_Connection]) -> None:
        self._handler = handler
        self._live = live
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._live.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._write(Reply(400, b"bad request", "text/plain"), keep_alive=False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._live.discard(self)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # httptools callbacks
    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        method = self._parser.get_method().decode("ascii", "replace")
        path = self._url.decode("utf-8", "replace")
        body = b"".join(self._body)
        keep_alive = self._parser.should_keep_alive()
        self._url, self._body = b"", []
        try:
            reply = self._handler(method, path, body)
        except Exception as exc:
            reply = Reply(500, f"{type(exc).__name__}: {exc}".encode(), "text/plain")
        if reply.delay > 0:
            asyncio.get_running_loop().call_later(reply.delay, self._write, reply, keep_alive)
        else:
            self._write(reply, keep_alive)

    def _write(self, reply: Reply, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # the client gave up (e.g. a simulated timeout): nothing to answer
        connection = "" if keep_alive else "Connection: close\r\n"
        extra = "".join(f"{name}: {value}\r\n" for name, value in reply.headers)
        head = (
            f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
            f"Content-Type: {reply.content_type}\r\nContent-Length: {len(reply.body)}\r\n"
            f"{extra}{connection}\r\n"
        ).encode("latin-1")
        transport.write(head + reply.body)
        if not keep_alive:
            transport.close()


class AsyncHttpServer:
    """`AsyncHttpServer(handler, host, port).start()`; `.address` is (host, port) once started; `.stop()`."""

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK:
            raise ValueError("this fake server listens on loopback only")
        self._handler = handler
        self._host, self._port = host, port
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._live: set[_Connection] = set()
        self.address: tuple[str, int] = (host, port)

    def start(self) -> AsyncHttpServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._server = self._loop.run_until_complete(
                    self._loop.create_server(
                        lambda: _Connection(self._handler, self._live), self._host, self._port, backlog=512
                    )
                )
                sock = self._server.sockets[0]
                self.address = sock.getsockname()[:2]
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="async-http", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop listening, close every open connection and end the loop's thread."""
        if self._thread is None:
            return

        def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for connection in list(self._live):
                connection.close()
            self._loop.call_soon(self._loop.stop)  # after the transports' close callbacks

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(timeout=5)
        self._thread = None
        self._loop.close()
