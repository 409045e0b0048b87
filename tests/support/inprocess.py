"""The mock in-process: `create_app` called through `httpx.ASGITransport`, behind a sync client.

No process, no socket, no port: a request costs what the app costs (a few hundred
microseconds), so most tests of behaviour run here. What needs a real server (signals, workers,
the HTTP layer's limits, bytes httpx would re-encode) stays in the slow tier (`servers.py`).

The client is a plain `httpx.Client`, so a test reads as it would against a real server. Its
transport runs each request on one event loop of its own (`asyncio.Runner`), kept for the
client's life, so the app sees one loop as it would under uvicorn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx

from conformance.sync_asgi import forward
from mockserver.app import create_app, new_request_id
from mockserver.config import Settings
from mockserver.handlers import Clock, RequestIds

BASE_URL = "http://mock.test"
# The `make_client` fixture's type: Settings fields and the seams as keyword arguments.
ClientFactory = Callable[..., httpx.Client]


class InProcessTransport(httpx.BaseTransport):
    """A sync transport over `httpx.ASGITransport`: app exceptions propagate to the test."""

    def __init__(self, app: Any, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        # `client` is the address the app sees in the scope (httpx's default: loopback).
        self._asgi = httpx.ASGITransport(app=app, client=client)
        self._runner = asyncio.Runner()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        # The same step as the plugin's threaded transport, on this client's own loop.
        return self._runner.run(forward(self._asgi, request))

    def close(self) -> None:
        self._runner.close()


@contextmanager
def in_process(
    settings: Settings | None = None,
    *,
    clock: Clock = time.time,
    request_ids: RequestIds = new_request_id,
    now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    client: tuple[str, int] = ("127.0.0.1", 123),
) -> Iterator[httpx.Client]:
    """A client of a freshly built app (default Settings unless given) and its seams; `client`
    is the address the app sees the requests come from."""
    app = create_app(settings or Settings(), clock=clock, request_ids=request_ids, now_ms=now_ms)
    transport = InProcessTransport(app, client)
    with httpx.Client(transport=transport, base_url=BASE_URL, timeout=30) as http:
        yield http


def settings_with(**overrides: Any) -> Settings:
    """Default Settings with some fields replaced; a misspelt field is a TypeError."""
    return replace(Settings(), **overrides)
