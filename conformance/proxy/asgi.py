"""The ASGI plumbing of the proxy: read a request's body, stream or send an answer.

Kept apart from `app.py` so that the app reads as the proxy's steps, not as ASGI messages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from conformance.proxy.http1 import UpstreamError
from conformance.proxy.upstream import Answer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
log = logging.getLogger("conformance.proxy")


async def request_body(receive: Receive) -> bytes:
    message = await receive()
    if not message.get("more_body"):
        body: bytes = message.get("body", b"")
        return body  # the usual case: the whole body (or none) in one message
    chunks = [message.get("body", b"")]
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def stream(
    answer_: Answer, headers: list[tuple[bytes, bytes]], head: bytes, send_: Send, url: str
) -> None:
    """The status and headers now, then `head` and the rest of the body as it comes."""
    try:
        await send_({"type": "http.response.start", "status": answer_.status, "headers": headers})
        if head:
            await send_({"type": "http.response.body", "body": head, "more_body": True})
        async for chunk in answer_.rest():
            await send_({"type": "http.response.body", "body": chunk, "more_body": True})
        await send_({"type": "http.response.body", "body": b""})
    except UpstreamError as error:
        # The status is sent: all that is left is to cut the connection, which the server does
        # when the app returns with the body unfinished.
        log.error("proxy: %s: the upstream's answer broke off: %s", url, error)
    finally:
        await answer_.aclose()


async def answer(
    send_: Send, status: int, content_type: str, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send_({"type": "http.response.start", "status": status, "headers": headers})
    await send_({"type": "http.response.body", "body": body})
