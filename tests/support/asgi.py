"""What the tests' own ASGI apps (echo servers, upstreams) share."""

from __future__ import annotations

from typing import Any


async def whole_body(receive: Any) -> bytes:
    """A request's body, every chunk of it: unlike `mockserver.admin.read_body`, no cap, since
    a test's upstream must take what the test sends."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body
