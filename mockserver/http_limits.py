"""uvicorn's httptools protocol with the limits on the request head it lacks (decision D26).

- **Time.** A request head (request line and header fields) must be complete within
  `head_timeout` seconds of the connection being made, or of the first byte of a further
  request on a kept-alive connection. Otherwise the server answers 408 and closes; a
  connection that never sent a byte is closed without an answer, as uvicorn closes an idle
  kept-alive one.
- **Size.** The header fields may take `HEADER_FIELDS_LIMIT` bytes; more answer 431 and close
  as soon as the limit is passed. A request-target longer than httptools' URL parser accepts
  gets uvicorn's own 400 as before, but as soon as it is that long: neither is read to its end.

Every hook does O(1) work: a counter, a flag, one timer per request head.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

# Names and values of all the header fields of one request, with FIELD_LINE_OVERHEAD each.
HEADER_FIELDS_LIMIT = 64 * 1024
# ": " and CRLF: a field counts as it is usually written, whatever its whitespace.
FIELD_LINE_OVERHEAD = 4
# httptools' URL parser keeps offsets in 16 bits: a longer request-target never parses.
TARGET_LIMIT = 65535
# httptools hands a field over only once it is complete, and buffers it until then: an
# incomplete head is refused once this many bytes besides its target have arrived. Twice the
# limit, so that it never refuses a head the exact count would accept (whitespace around
# values, the method and version are not counted there).
INCOMPLETE_HEAD_LIMIT = 2 * HEADER_FIELDS_LIMIT
INVALID_REQUEST = "Invalid HTTP request received."


class _RefuseHead(Exception):
    """Raised in a parser callback to stop httptools; the protocol answers for it."""


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
        self._head_timer: asyncio.TimerHandle | None = None
        # From the connection, or the end of the previous request, to the end of the headers.
        self._awaiting_head = True
        # Whether a byte of the awaited head has arrived: decides between a 408 and silence.
        self._head_started = False
        self._head_bytes = 0
        self._target_bytes = 0
        self._field_bytes = 0
        self._refusal: tuple[int, str] | None = None

    # Connection

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, with the head counted and a refusal answered for what it is.
        if self._awaiting_head:
            self._head_started = True
            self._head_bytes += len(data)
            if self._head_timer is None:
                self._start_head_timer()
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
            else:
                self.logger.warning(INVALID_REQUEST)
                self.send_400_response(INVALID_REQUEST)
            return
        if self._awaiting_head and self._head_bytes - self._target_bytes > INCOMPLETE_HEAD_LIMIT:
            self._refuse(431, "Request header fields too large.")

    # Parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A further request in the same read as the previous one's end (pipelining).
        self._head_started = True
        if self._head_timer is None:
            self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        self._target_bytes += len(url)
        if self._target_bytes > TARGET_LIMIT:
            raise _RefuseHead  # uvicorn's 400, as when its URL parser refuses the target
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._awaiting_head:  # not a chunked body's trailer
            self._field_bytes += len(name) + len(value) + FIELD_LINE_OVERHEAD
            if self._field_bytes > HEADER_FIELDS_LIMIT:
                self._refusal = (431, "Request header fields too large.")
                raise _RefuseHead
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head = True
        self._head_started = False
        self._head_bytes = self._target_bytes = self._field_bytes = 0

    # The deadline

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused or (self.cycle is not None and not self.cycle.response_complete):
            # Still answering an earlier request, or not reading (pipelining): the client is
            # waiting for the server, not the other way round. Its head gets a new deadline.
            self._start_head_timer()
        elif self._head_started:
            self._refuse(408, f"Request head not complete within {self.head_timeout:g} s.")
        else:
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer in plain text and close, as uvicorn answers its own 400."""
        self.logger.warning("%s Closing the connection (%d).", message, status)
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
        self.transport.close()
