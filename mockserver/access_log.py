"""The access log: uvicorn's lines, written in batches off the request path (decision D62).

uvicorn logs each response through `logging` (a record, a formatter, a lock and a write with a
flush per line): some 20 us a request, which halved a 10-record page's throughput. This
middleware writes the same line, in the same format (`INFO:     127.0.0.1:50312 -
"GET /statistics/record?... HTTP/1.1" 200 OK`, coloured on a terminal as uvicorn colours it),
kept as its parts in a buffer whose lines are formatted, in one loop, when the batch is written
with one `os.write` (D78). With the mock, the log sits inside its fast door, which adds the
lines of the responses it sends itself (`with_access_log`, `ContractApp.log_inside`):

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
from functools import partial
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.logging import AccessFormatter

# Half a second: soon enough for a person watching the log, and a batch even for a slow client.
FLUSH_SECONDS = 0.5
BATCH_BYTES = 64 * 1024
# A line's bytes besides its query, about: the batch's size is counted, not measured.
LINE_BYTES = 64
# Writes of at most this many bytes to a pipe are atomic (POSIX guarantees 512; Linux 4096).
ATOMIC_WRITE = getattr(select, "PIPE_BUF", 512)
_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}
# Paths quoted once: the mock has a handful.
_QUOTED: dict[str, str] = {}
_QUOTED_KEPT = 256


def status_text(status: int) -> str:
    """`200 OK`, as uvicorn's access formatter writes a status."""
    return f"{status} {_PHRASES.get(status, '')}"


_STATUS_TEXTS = {status.value: status_text(status.value) for status in http.HTTPStatus}


def target_text(path: str, query: bytes) -> str:
    """A request's path and query as uvicorn logs them (`get_path_with_query_string`); a query
    byte that is not ASCII, which uvicorn's helper fails on, is written as an escape."""
    quoted = quoted_path(path)
    return f"{quoted}?{query.decode('ascii', 'backslashreplace')}" if query else quoted


# What a line is made of, kept per response and formatted when the batch is written: (client,
# method, path, query, HTTP version, status), all immutable values of the scope.
Entry = tuple[Any, str, str, bytes, str, int]


def entry(scope: Scope, status: int) -> Entry:
    """The parts of a response's access line, taken from its scope."""
    return (
        scope.get("client"),
        scope["method"],
        scope["path"],
        scope["query_string"],
        scope["http_version"],
        status,
    )


def quoted_path(path: str) -> str:
    """The path as uvicorn quotes it; the mock has a handful, each quoted once."""
    quoted = _QUOTED.get(path)
    if quoted is None:
        quoted = urllib.parse.quote(path)
        if len(_QUOTED) < _QUOTED_KEPT:
            _QUOTED[path] = quoted
    return quoted


def plain_lines(entries: list[Entry]) -> str:
    """The access lines of `entries`, as uvicorn writes them without colours, in one loop:
    no function call per line but a path's look-up and, for a status it has not met, its text."""
    phrases = _STATUS_TEXTS
    quoted = _QUOTED
    return "".join(
        [
            f'INFO:     {f"{client[0]}:{client[1]:d}" if client else ""} - "{method} '
            f"{quoted.get(path) or quoted_path(path)}"
            f"{'?' + query.decode('ascii', 'backslashreplace') if query else ''} "
            f'HTTP/{version}" {phrases.get(status) or status_text(status)}\n'
            for client, method, path, query, version, status in entries
        ]
    )


def plain_line(scope: Scope, status: int) -> str:
    """The access line of a response, as uvicorn writes it without colours."""
    return plain_lines([entry(scope, status)])


def coloured_lines(entries: list[Entry]) -> str:
    """The access lines as uvicorn writes them on a terminal: its own formatter's output."""
    formatter = AccessFormatter(
        fmt='%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        use_colors=True,
    )
    lines = []
    for client, method, path, query, version, status in entries:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            0,
            '%s - "%s %s HTTP/%s" %d',
            (
                f"{client[0]}:{client[1]:d}" if client else "",
                method,
                target_text(path, query),
                version,
                status,
            ),
            None,
        )
        lines.append(formatter.format(record) + "\n")
    return "".join(lines)


def coloured_line(scope: Scope, status: int) -> str:
    """The access line as uvicorn writes it on a terminal: its own formatter's output."""
    return coloured_lines([entry(scope, status)])


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
    """ASGI middleware: one access line per HTTP response, written in batches to `fd`.

    A response adds its line's parts (`Entry`), not the line: the lines are formatted when
    their batch is written, in one loop, which costs less than a function call and an f-string
    per request. `response(scope, status)` adds one from outside, for an app that answers a
    request without going through `send`'s wrapper here (the mock's fast door, D77).
    """

    def __init__(self, app: ASGIApp, fd: int = 1, colours: bool | None = None) -> None:
        self._app = app
        self._fd = fd
        self._lines = (
            coloured_lines if (os.isatty(fd) if colours is None else colours) else plain_lines
        )
        self._entries: list[Entry] = []
        # Bytes of the entries' queries and a line's fixed part: about the batch's size.
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
                self.response(scope, message["status"])
            await send(message)

        await self._app(scope, receive, logged)

    def _flushing_at_shutdown(self, send: Send) -> Send:
        async def flushing(message: MutableMapping[str, Any]) -> None:
            if message["type"].startswith("lifespan.shutdown"):
                self.flush()
            await send(message)

        return flushing

    def response(self, scope: Scope, status: int) -> None:
        """Log a response to the request of `scope`."""
        query: bytes = scope["query_string"]
        self._entries.append(
            (
                scope.get("client"),
                scope["method"],
                scope["path"],
                query,
                scope["http_version"],
                status,
            )
        )
        self._size += LINE_BYTES + len(query)
        if self._size >= BATCH_BYTES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        """Write every buffered line now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._entries:
            return
        data = self._lines(self._entries).encode("utf-8", "backslashreplace")
        self._entries.clear()
        self._size = 0
        write_whole_lines(self._fd, data)

    def buffered(self) -> int:
        """How many lines wait for the next write."""
        return len(self._entries)


def with_access_log(
    app: ASGIApp, access_log: bool, log_level: str, fd: int = 1, colours: bool | None = None
) -> ASGIApp:
    """The app with its access log on `fd` (stdout) when it is on and the level shows INFO
    lines (uvicorn's rule: `--log-level warning` hid its access lines too).

    An app that answers some requests by a door of its own (the mock's `ContractApp`, D77)
    takes the log inside, through its `log_inside(make_log)`: the door adds its responses'
    lines itself, and the log wraps the rest. It is then its own entry point, and is returned.
    """
    if not (access_log and log_level in {"trace", "debug", "info"}):
        return app
    log_inside = getattr(app, "log_inside", None)
    if log_inside is not None:
        log_inside(partial(AccessLog, fd=fd, colours=colours))
        return app
    return AccessLog(app, fd=fd, colours=colours)
