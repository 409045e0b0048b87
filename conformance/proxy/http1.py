"""The hop to the upstream: a pool of keep-alive HTTP/1.1 connections on asyncio protocols,
responses read by httptools' parser (llhttp, the one uvicorn serves the proxy's clients with).

httpx spent about 2 of the 3 ms of CPU the proxy took per 10-record page (docs/performance.md,
"The validating proxy": its pool scanned every connection per request, anyio wrapped each
read, httpcore tried to import `sniffio` per request and failed). A reverse proxy needs only
this: write a request, read the status, headers and body as they come, reuse the connection.

- One request at a time per connection (no pipelining); idle connections are reused newest
  first, and at most `max_idle` are kept; there is no bound on connections in use, so that no
  client waits behind another in the proxy.
- A connection the upstream closed while idle is noticed by the event loop and never reused;
  one that closes as a request is written on it (the race keep-alive allows) is retried once
  on a fresh connection when the method is idempotent (RFC 9110 9.2.2) and nothing came back.
- Every wait (connect, the head, each part of the body) is bounded by `timeout`, as httpx's
  per-operation timeouts were: `UpstreamError(timeout=True)` then, for a 504.
- The body is buffered up to `HIGH_WATER` bytes before reading from the upstream pauses, so
  that a slow client of a streamed answer holds that much, not the whole answer.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import httptools

HIGH_WATER = 1024 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
# Methods whose request always carries a length, even an empty body's.
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class UpstreamError(Exception):
    """No usable answer: `kind` names what failed (as httpx's exception names did)."""

    def __init__(self, kind: str, detail: str = "", timeout: bool = False) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.timeout = timeout


class Response:
    """The status and headers of an answer; its body read whole up to a limit or as it comes."""

    def __init__(self, connection: Connection, head_only: bool) -> None:
        self.connection = connection
        self.head_only = head_only
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.head_done = False
        self.done = False
        self.error: UpstreamError | None = None
        self.waiter: asyncio.Future[None] | None = None
        # Any byte of the answer arrived: the request cannot be retried on another connection.
        self.started = False

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self) -> None:
        """Until something arrives, the answer ends or breaks, or the timeout passes."""
        connection = self.connection
        loop = connection.loop
        self.waiter = loop.create_future()
        timer = loop.call_later(connection.timeout, connection.timed_out, self.waiter)
        try:
            await self.waiter
        finally:
            timer.cancel()
            self.waiter = None

    async def head(self) -> None:
        while not self.head_done:
            if self.error is not None:
                raise self.error
            await self._wait()

    def _take(self) -> bytes:
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.buffered < HIGH_WATER:
            self.connection.resume()
        return chunk

    async def read_up_to(self, limit: int) -> tuple[bytes, bool]:
        """The body as sent (still encoded), and whether it was all read within `limit`."""
        parts: list[bytes] = []
        size = 0
        while True:
            while self.chunks:
                chunk = self._take()
                parts.append(chunk)
                size += len(chunk)
                if size > limit:
                    return b"".join(parts), False
            if self.done:
                return b"".join(parts), True
            if self.error is not None:
                raise self.error
            await self._wait()

    async def rest(self) -> AsyncIterator[bytes]:
        """What is left of the body, part by part as it comes."""
        while True:
            while self.chunks:
                yield self._take()
            if self.done:
                return
            if self.error is not None:
                raise self.error
            await self._wait()

    async def aclose(self) -> None:
        """Done with the answer: a connection still receiving it cannot be reused."""
        if not self.done:
            self.connection.abort()


class Connection(asyncio.Protocol):
    """One keep-alive connection to the upstream and the answer it is receiving."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.timeout = pool.timeout
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.response: Response | None = None
        self.closed = False
        self.paused = False
        self.reused = False
        # The answer has neither a length nor chunks: its body ends with the connection.
        self.until_close = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport's subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        response = self.response
        if response is None:
            self.abort()  # bytes nobody asked for: this connection cannot be trusted
            return
        response.started = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(UpstreamError("RemoteProtocolError", str(error)))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        response = self.response
        if response is not None and not response.done:
            if response.head_done and self.until_close and exc is None:
                # An answer delimited by the connection's end (RFC 9112 6.3).
                self.on_message_complete()
            else:
                detail = "the upstream closed the connection before the answer was complete"
                self._fail(UpstreamError("RemoteProtocolError" if exc is None else "ReadError",
                                         str(exc) if exc else detail))  # fmt: skip

    # httptools' callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.response is not None
        self.response.headers.append((name, value))

    def on_headers_complete(self) -> None:
        response = self.response
        assert response is not None
        response.status = self.parser.get_status_code()
        if 100 <= response.status < 200 and response.status != 101:
            response.headers = []  # an interim answer (100 Continue): the real one follows
            return
        response.head_done = True
        self.until_close = response.status not in (204, 304) and not any(
            name.lower() in (b"content-length", b"transfer-encoding")
            for name, _ in response.headers
        )
        response.wake()
        if response.head_only:
            # An answer to HEAD has no body whatever its Content-Length says; llhttp cannot be
            # told so, so a fresh parser reads the next answer on this connection.
            self.parser = httptools.HttpResponseParser(self)
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        response = self.response
        assert response is not None
        response.chunks.append(body)
        response.buffered += len(body)
        if response.buffered >= HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        response.wake()

    def on_message_complete(self) -> None:
        response = self.response
        if response is None or response.done or not response.head_done:
            return  # nothing asked, or the end of an interim answer (100 Continue)
        response.done = True
        self.response = None
        keep = not response.head_only and self.parser.should_keep_alive()
        if response.head_only:
            keep = not _says_close(response.headers)
        response.wake()
        if keep and not self.closed:
            self.pool.release(self)
        else:
            self.abort()

    # the pool's side

    def send(self, request: bytes, response: Response) -> None:
        assert self.transport is not None
        self.response = response
        self.transport.write(request)

    def timed_out(self, waiter: asyncio.Future[None]) -> None:
        if not waiter.done():
            self._fail(UpstreamError("ReadTimeout", timeout=True))
            self.abort()

    def resume(self) -> None:
        if self.paused and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    def _fail(self, error: UpstreamError) -> None:
        response = self.response
        if response is not None and not response.done and response.error is None:
            response.error = error
            response.wake()


def _says_close(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        name.lower() == b"connection" and b"close" in value.lower() for name, value in headers
    )


class Pool:
    """Connections to one upstream origin (scheme, host and port)."""

    def __init__(self, upstream: str, timeout: float, max_idle: int = 64) -> None:
        parts = urlsplit(upstream)
        self.scheme = parts.scheme
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        default_port = parts.port is None or parts.port == (443 if self.scheme == "https" else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = (host if default_port else f"{host}:{self.port}").encode("idna")
        self.ssl = ssl.create_default_context() if self.scheme == "https" else None
        self.timeout = timeout
        self.max_idle = max_idle
        self.idle: list[Connection] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        # Asked each time: a session has one loop, but a test may run several in turn.
        return asyncio.get_running_loop()

    async def request(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> Response:
        """The answer's status and headers; its body still to read (`Response`)."""
        message = self._message(method, target, headers, body)
        head_only = method == "HEAD"
        while True:
            connection = await self._acquire()
            response = Response(connection, head_only)
            connection.send(message, response)
            try:
                await response.head()
            except UpstreamError as error:
                retry = connection.reused and not response.started and not error.timeout
                if retry and method in IDEMPOTENT:
                    continue  # closed by the upstream as it was reused: once more, afresh
                raise
            return response

    def _message(
        self, method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> bytes:
        lines = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", self.authority]
        for name, value in headers:
            lines += (b"\r\n", name, b": ", value)
        if body or method in WITH_BODY:
            lines += (b"\r\ncontent-length: ", str(len(body)).encode())
        lines.append(b"\r\n\r\n")
        lines.append(body)
        return b"".join(lines)

    async def _acquire(self) -> Connection:
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed:
                connection.reused = True
                return connection
        try:
            _, connection = await asyncio.wait_for(
                self.loop.create_connection(
                    lambda: Connection(self),
                    self.host,
                    self.port,
                    ssl=self.ssl,
                    server_hostname=self.host if self.ssl else None,
                ),
                self.timeout,
            )
        except TimeoutError:
            raise UpstreamError("ConnectTimeout", timeout=True) from None
        except OSError as error:
            raise UpstreamError("ConnectError", str(error)) from None
        return connection

    def release(self, connection: Connection) -> None:
        if len(self.idle) >= self.max_idle:
            connection.abort()
        else:
            self.idle.append(connection)

    async def aclose(self) -> None:
        idle, self.idle = self.idle, []
        for connection in idle:
            connection.abort()
