"""The access log: uvicorn's lines, written in batches off the request path (decision D62).

uvicorn logs each response through `logging` (a record, a formatter, a lock and a write with a
flush per line): some 20 us a request, which halved a 10-record page's throughput. This
middleware writes the same line, in the same format (`INFO:     127.0.0.1:50312 -
"GET /statistics/record?... HTTP/1.1" 200 OK`, coloured on a terminal as uvicorn colours it),
formatted with one f-string and kept in a buffer that is written with one `os.write` per batch:

- a batch is written `FLUSH_SECONDS` after its first line, or once it holds `BATCH_BYTES`;
- when the server shuts down (the ASGI lifespan's shutdown, which uvicorn runs after the
  requests in flight are answered, SIGTERM included), what is buffered is written: no line is
  lost (tests/test_access_log.py's process test);
- every write holds whole lines, at most `PIPE_BUF` bytes unless one line is longer, so lines
  of several workers sharing one pipe or one file opened for appending never interleave
  mid-line (POSIX makes such writes atomic).
"""

from __future__ import annotations

import asyncio
import http
import logging
import os
import select
import urllib.parse
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.logging import AccessFormatter

# Half a second: soon enough for a person watching the log, and a batch even for a slow client.
FLUSH_SECONDS = 0.5
BATCH_BYTES = 64 * 1024
# Writes of at most this many bytes to a pipe are atomic (POSIX guarantees 512; Linux 4096).
ATOMIC_WRITE = getattr(select, "PIPE_BUF", 512)
_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}
# Paths quoted once: the mock has a handful.
_QUOTED: dict[str, str] = {}
_QUOTED_KEPT = 256


def status_text(status: int) -> str:
    """`200 OK`, as uvicorn's access formatter writes a status."""
    return f"{status} {_PHRASES.get(status, '')}"


def client_address(scope: Scope) -> str:
    """`host:port` of the client, as uvicorn's `get_client_addr` writes it."""
    client = scope.get("client")
    return f"{client[0]}:{client[1]:d}" if client else ""


def target(scope: Scope) -> str:
    """The request's path and query as uvicorn logs them (`get_path_with_query_string`); a
    query byte that is not ASCII, which uvicorn's helper fails on, is written as an escape."""
    path = scope["path"]
    quoted = _QUOTED.get(path)
    if quoted is None:
        quoted = urllib.parse.quote(path)
        if len(_QUOTED) < _QUOTED_KEPT:
            _QUOTED[path] = quoted
    query: bytes = scope["query_string"]
    return f"{quoted}?{query.decode('ascii', 'backslashreplace')}" if query else quoted


def plain_line(scope: Scope, status: int) -> str:
    """The access line of a response, as uvicorn writes it without colours."""
    return (
        f'INFO:     {client_address(scope)} - "{scope["method"]} '
        f'{target(scope)} HTTP/{scope["http_version"]}" {status_text(status)}\n'
    )


def coloured_line(scope: Scope, status: int) -> str:
    """The access line as uvicorn writes it on a terminal: its own formatter's output."""
    formatter = AccessFormatter(
        fmt='%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        use_colors=True,
    )
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        (
            client_address(scope),
            scope["method"],
            target(scope),
            scope["http_version"],
            status,
        ),
        None,
    )
    return formatter.format(record) + "\n"


def write_whole_lines(fd: int, data: bytes) -> None:
    """Write `data` (whole lines) in writes of whole lines of at most ATOMIC_WRITE bytes."""
    while data:
        cut = len(data)
        if cut > ATOMIC_WRITE:
            cut = data.rfind(b"\n", 0, ATOMIC_WRITE) + 1
            if cut == 0:
                # One line longer than an atomic write: alone, in as few writes as it takes.
                cut = data.find(b"\n") + 1 or len(data)
        piece = memoryview(data)[:cut]
        while piece:
            piece = piece[os.write(fd, piece) :]
        data = data[cut:]


class AccessLog:
    """ASGI middleware: one access line per HTTP response, written in batches to `fd`."""

    def __init__(self, app: ASGIApp, fd: int = 1, colours: bool | None = None) -> None:
        self._app = app
        self._fd = fd
        self._line = (
            coloured_line if (os.isatty(fd) if colours is None else colours) else plain_line
        )
        self._lines: list[str] = []
        self._size = 0
        self._timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, self._flushing_at_shutdown(send))
            return
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.add(self._line(scope, message["status"]))
            await send(message)

        await self._app(scope, receive, logged)

    def _flushing_at_shutdown(self, send: Send) -> Send:
        async def flushing(message: MutableMapping[str, Any]) -> None:
            if message["type"].startswith("lifespan.shutdown"):
                self.flush()
            await send(message)

        return flushing

    def add(self, line: str) -> None:
        self._lines.append(line)
        self._size += len(line)
        if self._size >= BATCH_BYTES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write every buffered line now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._lines:
            return
        data = "".join(self._lines).encode("utf-8", "backslashreplace")
        self._lines.clear()
        self._size = 0
        write_whole_lines(self._fd, data)


def with_access_log(app: ASGIApp, access_log: bool, log_level: str) -> ASGIApp:
    """The app with its access log on stdout when it is on and the level shows INFO lines
    (uvicorn's rule: `--log-level warning` hid its access lines too)."""
    return AccessLog(app) if access_log and log_level in {"trace", "debug", "info"} else app
