"""The access log: uvicorn's lines, batched off the request path, none lost at shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from mockserver import access_log
from mockserver.access_log import (
    AccessLog,
    coloured_line,
    plain_line,
    with_access_log,
    write_whole_lines,
)
from tests.support.servers import mock_server

SCOPE = {
    "type": "http",
    "client": ("127.0.0.1", 50312),
    "method": "GET",
    "path": "/statistics/record",
    "query_string": b"annotationRequestId=large-annotation-request&limit=10",
    "http_version": "1.1",
}


def uvicorn_line(scope: dict[str, object], status: int, colours: bool) -> str:
    """The line uvicorn's own access logger wrote for a response."""
    formatter = AccessFormatter(
        fmt='%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
        use_colors=colours,
    )
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        0,
        '%s - "%s %s HTTP/%s" %d',
        (
            get_client_addr(scope),  # type: ignore[arg-type]
            scope["method"],
            get_path_with_query_string(scope),  # type: ignore[arg-type]
            scope["http_version"],
            status,
        ),
        None,
    )
    return formatter.format(record) + "\n"


@pytest.mark.parametrize("status", [200, 400, 404, 405, 503, 599])
def test_lines_are_uvicorn_s_with_and_without_colours(status: int) -> None:
    assert plain_line(SCOPE, status) == uvicorn_line(SCOPE, status, colours=False)
    assert coloured_line(SCOPE, status) == uvicorn_line(SCOPE, status, colours=True)
    without_query = {**SCOPE, "query_string": b"", "path": "/ui/"}
    assert plain_line(without_query, status) == uvicorn_line(without_query, status, False)


def test_a_batch_of_entries_is_the_lines_of_each_in_order() -> None:
    # The batch's loop (plain_lines) against uvicorn's formatter line by line: statuses known
    # and unknown, no query, no client, a path to quote, a byte to escape.
    scopes = [
        (SCOPE, 200),
        ({**SCOPE, "query_string": b"", "path": "/ui/"}, 404),
        ({**SCOPE, "client": None, "method": "HEAD"}, 599),
        ({**SCOPE, "path": "/statistics/récord", "http_version": "1.0"}, 400),
        ({**SCOPE, "client": ("::1", 7)}, 503),
    ]
    entries = [access_log.entry(scope, status) for scope, status in scopes]
    expected_plain = [uvicorn_line(scope, status, colours=False) for scope, status in scopes]
    assert access_log.plain_lines(entries) == "".join(expected_plain)
    assert access_log.coloured_lines(entries[:2]) == "".join(
        uvicorn_line(scope, status, colours=True) for scope, status in scopes[:2]
    )


def test_a_query_byte_that_is_not_ascii_is_escaped_rather_than_failing() -> None:
    line = plain_line({**SCOPE, "query_string": b"annotationRequestId=\xe9"}, 200)
    assert "annotationRequestId=\\xe9 HTTP/1.1" in line


@contextmanager
def pipe() -> Iterator[tuple[int, list[bytes]]]:
    """A pipe's write end, and what its read end received, read by a thread."""
    read_end, write_end = os.pipe()
    received: list[bytes] = []

    def read() -> None:
        while chunk := os.read(read_end, 1 << 16):
            received.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        yield write_end, received
    finally:
        os.close(write_end)
        reader.join(timeout=10)
        os.close(read_end)


def test_writes_hold_whole_lines_of_at_most_an_atomic_write() -> None:
    lines = [f"line {index} {'x' * (index % 300)}\n".encode() for index in range(400)]
    long_line = b"y" * (access_log.ATOMIC_WRITE * 2) + b"\n"
    data = b"".join(lines[:200]) + long_line + b"".join(lines[200:])
    writes: list[bytes] = []
    with pipe() as (fd, received):
        original = os.write

        def recording(target: int, piece: bytes | memoryview) -> int:
            writes.append(bytes(piece))
            return original(target, piece)

        os.write = recording  # type: ignore[assignment]
        try:
            write_whole_lines(fd, data)
        finally:
            os.write = original
    assert b"".join(received) == data
    assert all(piece.endswith(b"\n") for piece in writes)
    assert [piece for piece in writes if len(piece) > access_log.ATOMIC_WRITE] == [long_line]


async def answer(scope: object, receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"{}"})  # type: ignore[operator]


def test_lines_are_written_in_a_batch_after_the_flush_delay_not_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(access_log, "FLUSH_SECONDS", 0.05)

    async def scenario(fd: int) -> tuple[int, int]:
        log = AccessLog(answer, fd=fd, colours=False)

        async def discard(_message: object) -> None:
            return None

        for _ in range(5):
            await log(SCOPE, discard, discard)  # type: ignore[arg-type]
        buffered = log.buffered()
        await asyncio.sleep(access_log.FLUSH_SECONDS * 3)
        return buffered, log.buffered()

    with pipe() as (fd, received):
        buffered, left = asyncio.run(scenario(fd))
    assert (buffered, left) == (5, 0)
    assert b"".join(received).decode() == plain_line(SCOPE, 200) * 5


def test_a_batch_is_written_once_it_holds_batch_bytes_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    line_bytes = access_log.LINE_BYTES + len(SCOPE["query_string"])  # type: ignore[arg-type]
    monkeypatch.setattr(access_log, "BATCH_BYTES", 3 * line_bytes)

    async def scenario(fd: int) -> list[int]:
        log = AccessLog(answer, fd=fd, colours=False)
        buffered = []
        for _ in range(4):
            log.response(SCOPE, 200)
            buffered.append(log.buffered())
        return buffered

    with pipe() as (fd, received):
        assert asyncio.run(scenario(fd)) == [1, 2, 0, 1]
    assert b"".join(received).decode() == plain_line(SCOPE, 200) * 3


def test_the_lifespan_s_shutdown_writes_what_is_buffered() -> None:
    async def lifespan(scope: object, receive: object, send: object) -> None:
        await send({"type": "lifespan.shutdown.complete"})  # type: ignore[operator]

    async def scenario(fd: int) -> None:
        log = AccessLog(lifespan, fd=fd, colours=False)
        log.response(SCOPE, 200)

        async def discard(_message: object) -> None:
            return None

        await log({"type": "lifespan"}, discard, discard)  # type: ignore[arg-type]
        assert log.buffered() == 0

    with pipe() as (fd, received):
        asyncio.run(scenario(fd))
    assert b"".join(received).decode() == plain_line(SCOPE, 200)


def sigterm_after_requests(workers: int, requests: int) -> None:
    """N requests, then SIGTERM at once, inside the flush delay of the last lines: N lines,
    each whole (from one worker, or several writing to the same pipe)."""
    with mock_server("--log-level", "info", "--workers", str(workers)) as server:
        with httpx.Client() as client:
            for index in range(requests):
                query = f"annotationRequestId=log-{index}&limit=1"
                response = client.get(f"{server.base_url}/statistics/record?{query}", timeout=10)
                assert response.status_code == 200
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
    lines = [line for line in server.output().splitlines() if '"GET /statistics/record?' in line]
    assert len(lines) == requests
    assert sorted(re.sub(r"127\.0\.0\.1:\d+", "CLIENT", line) for line in lines) == sorted(
        f'INFO:     CLIENT - "GET /statistics/record?annotationRequestId=log-{index}&limit=1 '
        'HTTP/1.1" 200 OK'
        for index in range(requests)
    )


@pytest.mark.slow
def test_no_line_is_lost_at_sigterm() -> None:
    sigterm_after_requests(workers=1, requests=60)


@pytest.mark.heavy
def test_no_line_of_two_workers_is_lost_at_sigterm_or_cut() -> None:
    sigterm_after_requests(workers=2, requests=200)


def test_the_log_is_on_only_when_asked_and_info_lines_are_shown() -> None:
    assert isinstance(with_access_log(answer, True, "info"), AccessLog)
    assert isinstance(with_access_log(answer, True, "debug"), AccessLog)
    assert with_access_log(answer, False, "info") is answer
    # uvicorn's rule: its access lines are INFO, hidden at a higher level.
    assert with_access_log(answer, True, "warning") is answer
