"""The mock's request path in-process, without sockets: time per request and where it goes.

`python -m bench.profile [--requests N] [--top K] [QUERY]` drives the ASGI app exactly as
uvicorn would call it, then profiles the same loop with cProfile. It isolates what our code
and Connexion's stack cost per request from the server and the network, which the load
generator cannot tell apart, and it is quiet on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import time
from collections.abc import MutableMapping, Sequence
from typing import Any

from starlette.types import ASGIApp

from mockserver.app import create_app
from mockserver.config import Settings

DEFAULT_QUERY = "annotationRequestId=large-annotation-request&limit=10&offset=1"


def make_scope(path: str, query: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "extensions": {},
        "state": {},
    }


async def one_request(app: ASGIApp, path: str, query: str) -> tuple[int, bytes]:
    status = 0
    chunks: list[bytes] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(make_scope(path, query), receive, send)
    return status, b"".join(chunks)


async def drive(app: ASGIApp, path: str, query: str, requests: int) -> float:
    """Seconds per request over `requests` sequential requests (after one that warms up)."""
    status, body = await one_request(app, path, query)
    if status != 200:
        raise RuntimeError(f"{path}?{query} answered {status}: {body[:200]!r}")
    started = time.perf_counter()
    for _ in range(requests):
        await one_request(app, path, query)
    return (time.perf_counter() - started) / requests


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--path", default="/statistics/record")
    parser.add_argument("query", nargs="?", default=DEFAULT_QUERY)
    options = parser.parse_args(arguments)
    app = create_app(Settings())
    loop = asyncio.new_event_loop()
    per_request = loop.run_until_complete(drive(app, options.path, options.query, options.requests))
    print(f"{options.path}?{options.query}: {per_request * 1e6:.1f} us per request in-process")
    profiler = cProfile.Profile()
    profiler.enable()
    loop.run_until_complete(drive(app, options.path, options.query, options.requests))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(options.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
