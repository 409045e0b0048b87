"""A synchronous httpx transport to an ASGI app: the app runs on an event loop of its own thread.

`httpx.Client` cannot take `httpx.ASGITransport`, which is async only (`AttributeError:
'ASGITransport' object has no attribute '__enter__'`), so a client's synchronous tests had no
in-process way to call the mock (issue 28). Starlette's `TestClient` solves the same problem
with anyio's blocking portal: one thread runs one event loop for the transport's life, and each
request is handed to it and waited for. This does the same behind httpx's public
`BaseTransport`, so any `httpx.Client` (or a client library that takes one) can use it, and the
app sees one event loop, as it would under uvicorn.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import httpx
from anyio.from_thread import start_blocking_portal


async def forward(asgi: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
    """A sync client's request through an async ASGI transport, its answer read whole: the
    step every synchronous in-process transport takes (this one, and the tests' own)."""
    # The sync client's request carries a sync stream; ASGITransport reads an async one.
    body = request.read()
    forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body)
    response = await asgi.handle_async_request(forwarded)
    content = await response.aread()
    return httpx.Response(
        response.status_code, headers=response.headers, content=content, request=request
    )


class ThreadedASGITransport(httpx.BaseTransport):
    """A sync transport over `httpx.ASGITransport`, the app on a background event loop.

    `close()` leaves it usable: one transport serves every client of a test session, and a
    client closed by a `with` block must not stop it for the next. `shutdown()` stops it.
    """

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal(backend="asyncio"))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._portal.call(forward, self._asgi, request)

    def close(self) -> None:
        """Nothing: the transport outlives the clients built on it (see `shutdown`)."""

    def shutdown(self) -> None:
        """Stop the event loop and its thread; requests after this raise."""
        self._stack.close()
