"""A closed-loop HTTP/1.1 keep-alive load generator on raw sockets, run in a process of its own.

It speaks just enough HTTP for the two servers it measures (responses with Content-Length), so
that the client spends as little of its core as possible: `python -m bench.loadgen` prints one
JSON object of figures. Every run is bounded in time and in requests.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import re
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import cast

import uvloop

HEADER_END = b"\r\n\r\n"
# `{n}`, or `{n+100000}`: a page number of a sequence, possibly shifted.
_NUMBER = re.compile(r"\{n(\+\d+)?\}")
CONTENT_LENGTH = b"\r\ncontent-length:"


@dataclass
class Tally:
    """What the connections saw while the clock was running."""

    measuring: bool = False
    stopping: bool = False
    sent: int = 0
    # Latencies by path as given on the command line (before `{n}` is written out).
    latencies_ns: list[list[int]] = field(default_factory=list)
    not_ok: int = 0
    bytes_read: int = 0


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    not_ok: int
    errors: int
    mean_response_bytes: float
    client_cpu_share: float
    # By path as given, in order: paths asked in turn in one run share the same conditions.
    p50_by_path_ms: list[float]
    p99_by_path_ms: list[float]
    mean_by_path_ms: list[float]


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of values already sorted: the smallest value with at least
    `share` of the values at or below it, the ceil(share * n)-th (C55). Python's round()
    rounds halves to even, so round(share * n) took the 2nd of 5 values for the median."""
    if not sorted_values:
        return 0
    # The tolerance keeps a product such as 0.07 * 100 (7.000000000000001) at its rank.
    rank = math.ceil(share * len(sorted_values) - 1e-9)
    return sorted_values[max(0, min(len(sorted_values), rank) - 1)]


class Connection(asyncio.Protocol):
    """One keep-alive connection: sends a request, reads its answer, sends the next."""

    def __init__(
        self,
        requests: Sequence[bytes],
        tally: Tally,
        max_requests: int,
        done: asyncio.Future[None],
    ) -> None:
        self._requests = requests
        self._tally = tally
        self._max_requests = max_requests
        self._done = done
        self._buffer = bytearray()
        self._expected = -1
        self._started_ns = 0
        self._path = 0
        self._ok = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self._transport = cast(asyncio.Transport, transport)
        self._send()

    def _send(self) -> None:
        tally = self._tally
        if tally.stopping or tally.sent >= self._max_requests:
            self._finish()
            return
        assert self._transport is not None
        # One count for all connections: requests are asked in order, each once per round.
        index = tally.sent % len(self._requests)
        request = self._requests[index]
        self._path = index % len(tally.latencies_ns)
        tally.sent += 1
        self._started_ns = time.perf_counter_ns()
        self._transport.write(request)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if self._expected < 0:
            end = buffer.find(HEADER_END)
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            at = head.find(CONTENT_LENGTH)
            if at < 0:
                self._fail()
                return
            line_end = head.find(b"\r\n", at + 2)
            length = int(head[at + len(CONTENT_LENGTH) : line_end if line_end > 0 else None])
            self._expected = end + len(HEADER_END) + length
            self._ok = head.startswith(b"http/1.1 200")
        if len(buffer) < self._expected:
            return
        finished_ns = time.perf_counter_ns()
        tally = self._tally
        if tally.measuring:
            tally.latencies_ns[self._path].append(finished_ns - self._started_ns)
            tally.bytes_read += self._expected
            if not self._ok:
                tally.not_ok += 1
        # Responses never run into each other: one request is in flight per connection.
        del buffer[: self._expected]
        self._expected = -1
        self._send()

    def _fail(self) -> None:
        if not self._done.done():
            self._done.set_exception(RuntimeError("response without Content-Length"))
        if self._transport is not None:
            self._transport.close()

    def _finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._done.done():
            if exc is None and self._tally.stopping:
                self._done.set_result(None)
            else:
                self._done.set_exception(exc or ConnectionError("server closed the connection"))


def expand(paths: Sequence[str], sequence: range | None) -> list[str]:
    """Paths with `{n}` (or `{n+K}`) written out for every n of the sequence, in order."""
    if sequence is None:
        return list(paths)
    return [_write_out(path, n) for n in sequence for path in paths]


def _write_out(path: str, n: int) -> str:
    return _NUMBER.sub(lambda found: str(n + int(found.group(1) or 0)), path)


def build_requests(host: str, port: int, paths: Sequence[str]) -> list[bytes]:
    return [
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: */*\r\n\r\n".encode()
        for path in paths
    ]


async def run(
    host: str,
    port: int,
    paths: Sequence[str],
    templates: int,
    connections: int,
    warmup: float,
    duration: float,
    max_requests: int,
) -> Figures:
    """Load the server for `warmup` + `duration` seconds; only the second part is counted."""
    loop = asyncio.get_running_loop()
    requests = build_requests(host, port, paths)
    tally = Tally(latencies_ns=[[] for _ in range(templates)])
    futures: list[asyncio.Future[None]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        futures.append(done)
        await loop.create_connection(
            functools.partial(Connection, requests, tally, max_requests, done), host, port
        )
    await asyncio.sleep(warmup)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    tally.measuring = True
    started = time.perf_counter()
    # Ends early when every connection has finished, as with --max-requests.
    await asyncio.wait(futures, timeout=duration)
    tally.measuring = False
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    tally.stopping = True
    results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10.0)
    errors = sum(1 for result in results if isinstance(result, BaseException))
    by_path = [sorted(latencies) for latencies in tally.latencies_ns]
    latencies = sorted(latency for path in by_path for latency in path)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    count = len(latencies)
    return Figures(
        requests=count,
        seconds=round(elapsed, 3),
        requests_per_second=round(count / elapsed, 1),
        p50_ms=round(percentile(latencies, 0.50) / 1e6, 3),
        p99_ms=round(percentile(latencies, 0.99) / 1e6, 3),
        not_ok=tally.not_ok,
        errors=errors,
        mean_response_bytes=round(tally.bytes_read / count, 1) if count else 0.0,
        client_cpu_share=round(cpu / elapsed, 3),
        p50_by_path_ms=[round(percentile(path, 0.50) / 1e6, 3) for path in by_path],
        p99_by_path_ms=[round(percentile(path, 0.99) / 1e6, 3) for path in by_path],
        mean_by_path_ms=[
            round(sum(path) / len(path) / 1e6, 3) if path else 0.0 for path in by_path
        ],
    )


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=2_000_000)
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU")
    parser.add_argument(
        "--sequence", help="START:STOP: ask each path once for every n in it, `{n}` replaced"
    )
    parser.add_argument("paths", nargs="+", help="request targets, asked in turn")
    options = parser.parse_args(arguments)
    if options.host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the load generator only talks to loopback")
    if options.cpu is not None:
        os.sched_setaffinity(0, {options.cpu})
    sequence = None
    if options.sequence:
        start, _, stop = options.sequence.partition(":")
        sequence = range(int(start), int(stop))
    # uvloop, as uvicorn uses: the client should cost its core as little as the server's.
    figures = uvloop.run(
        run(
            options.host,
            options.port,
            expand(options.paths, sequence),
            len(options.paths),
            options.connections,
            options.warmup,
            options.duration,
            options.max_requests,
        )
    )
    print(json.dumps(asdict(figures)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
