"""uvicorn's httptools protocol with the limits on the request head it lacks (D26, D29).

- **Time.** A request head (request line and header fields) must be complete within
  `head_timeout` seconds of the connection being made, or of the first byte of a further
  request on a kept-alive connection. Otherwise the server answers 408 and closes; a
  connection that never sent a byte is closed without an answer, as uvicorn closes an idle
  kept-alive one.
- **Size.** The names and values of the header fields may take `HEADER_FIELDS_LIMIT` bytes;
  more answer 431. A request-target longer than httptools' URL parser accepts answers 414
  (D43). Both are refused in the read that passes the limit, so that neither is buffered.
- **Lingering close.** A refused request (these, a 408, uvicorn's own 400) is answered, the
  answer ended with a FIN, and what the client still sends is read and thrown away, for at
  most `LINGER_SECONDS` and `LINGER_BYTES`, before the connection is closed (D43). Closing a
  socket with unread bytes makes the kernel send a reset, and a reset can reach the client
  before it has read the answer: it would see no status at all. nginx does the same.

The cost per request is a few comparisons, one clock reading and a sum over the headers: the
deadline is a number, and each connection has at most one timer, re-armed only when it fires.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

HEADER_FIELDS_LIMIT = 64 * 1024
# httptools' URL parser keeps offsets in 16 bits: a longer request-target never parses.
TARGET_LIMIT = 65535
# httptools hands the header fields over only once each is complete, and buffers a field until
# then: a head still incomplete when this many bytes besides its target have arrived is
# refused at once. Twice the limit, since whitespace, colons and line ends are not counted in
# it, and neither are the method and version.
INCOMPLETE_HEAD_LIMIT = 2 * HEADER_FIELDS_LIMIT
INVALID_REQUEST = "Invalid HTTP request received."
TOO_LARGE = (431, "Request header fields too large.")
TARGET_TOO_LONG = (414, f"Request-target longer than {TARGET_LIMIT} bytes.")
# After a refusal, how long and how much of the client's remaining upload is read and dropped:
# enough for a client that sent a few megabytes at once to read the answer, bounded so that
# one that never stops sending costs a few seconds of one connection.
LINGER_SECONDS = 5.0
LINGER_BYTES = 4 * 1024 * 1024


class _RefuseHead(Exception):
    """Raised in a parser callback to stop httptools; data_received answers for it."""


class HeadLimitedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a deadline for, and a cap on the size of, every request head."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        head_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_timeout = head_timeout
        self.url = b""
        # From the connection, or the end of the previous request, to the end of the headers.
        self._awaiting_head = True
        # Whether a byte of the awaited head has arrived: a 408 if so, else silence.
        self._head_started = False
        # Bytes read while awaiting the head, counted per read (undercounted, never over).
        self._head_bytes = 0
        # Loop time by which the awaited head must be complete; None once it is.
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str] | None = None
        # Set once a refusal is answered: from then on, bytes read are dropped (D43).
        self._lingering = False
        self._lingered_bytes = 0
        self._linger_timer: asyncio.TimerHandle | None = None

    # Connection

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        self._start_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the head counted and a refusal answered for what it is.
        if self._lingering:
            self._lingered_bytes += len(data)
            if self._lingered_bytes > LINGER_BYTES:
                self.transport.close()
            return
        if self._awaiting_head:
            self._head_started = True
            self._head_bytes += len(data)
            if self._deadline is None:
                self._start_deadline()
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
            elif len(self.url) > TARGET_LIMIT:
                # The line ended in this read, and httptools' URL parser refused it.
                self._refuse(*TARGET_TOO_LONG)
            else:
                self.logger.warning(INVALID_REQUEST)
                self.send_400_response(INVALID_REQUEST)
            return
        if self._awaiting_head:
            target = len(self.url)
            if target > TARGET_LIMIT:
                self._refuse(*TARGET_TOO_LONG)
            elif self._head_bytes - target > INCOMPLETE_HEAD_LIMIT:
                self._refuse(*TOO_LARGE)

    def send_400_response(self, msg: str) -> None:
        # uvicorn's answer to a malformed request, with the lingering close; uvicorn has
        # logged it already.
        self._answer_and_linger(400, msg)

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A further request in the same read as the end of the previous one (pipelining).
        self._head_started = True
        if self._deadline is None:
            self._start_deadline()

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._deadline = None
        size = 0
        for name, value in self.headers:
            size += len(name) + len(value)
        if size > HEADER_FIELDS_LIMIT:
            self._refusal = TOO_LARGE
            raise _RefuseHead
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head = True
        self._head_started = False
        self._head_bytes = 0
        self.url = b""

    # The deadline

    def _start_deadline(self) -> None:
        self._deadline = self.loop.time() + self.head_timeout
        if self._timer is None:
            self._timer = self.loop.call_at(self._deadline, self._deadline_reached)

    def _deadline_reached(self) -> None:
        self._timer = None
        if self._deadline is None or self.transport.is_closing():
            return  # no head awaited: the next one arms a timer again
        if self.loop.time() < self._deadline:
            # The timer was armed for an earlier head.
            self._timer = self.loop.call_at(self._deadline, self._deadline_reached)
        elif self.flow.read_paused or (self.cycle is not None and not self.cycle.response_complete):
            # Still answering an earlier request, or not reading (pipelining): the client is
            # waiting for the server, not the other way round. Its head gets a new deadline.
            self._start_deadline()
        elif self._head_started:
            self._refuse(408, f"Request head not complete within {self.head_timeout:g} s.")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer in plain text and close, as uvicorn answers its own 400."""
        self.logger.warning("%s Closing the connection (%d).", message, status)
        self._answer_and_linger(status, message)

    def _answer_and_linger(self, status: int, message: str) -> None:
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        body = message.encode("ascii")
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: %d\r\n" % len(body),
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self._linger()

    def _linger(self) -> None:
        """End the answer with a FIN, then drop what arrives until the client closes (D43)."""
        if self._lingering or self.transport.is_closing():
            return
        self._lingering = True
        self._deadline = None  # no 408 for a head already refused
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier, pipelined request still being answered writes no more: after the
            # FIN, a write would raise in the app's task.
            self.cycle.disconnected = True
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        # Reading may be paused (pipelining): the point is to read what the client sent.
        self.flow.resume_reading()
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)
