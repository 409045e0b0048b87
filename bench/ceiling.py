"""The ceilings: the mock's own answers as pre-built bytes, behind no framework or a bare one.

`python -m bench.ceiling [--starlette] BODIES_DIR [mock options]` serves every `NAME.json` of
the folder at `/NAME`, under exactly the uvicorn settings the mock gets from the same options
(the mock's `serve()`: httptools with the mock's protocol, uvloop, no access log), so the only
difference measured is what the mock does per request.

- By default, a bare ASGI callable: one dictionary look-up, then the two messages with the
  headers the mock sends (`content-length`, `content-type`). Nothing this stack serves can be
  faster: it is the true ceiling.
- With `--starlette`, a Starlette route per body, as the ceiling of issue 14 was: what the
  framework alone costs.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mockserver.__main__ import serve
from mockserver.cli import settings_from_arguments

JSON = "application/json"
_NOT_FOUND = b'{"detail":"Not Found"}'


def endpoint(body: bytes) -> Callable[[Request], Awaitable[Response]]:
    async def answer(_request: Request) -> Response:
        return Response(body, status_code=200, media_type=JSON)

    return answer


def bodies_of(folder: Path) -> dict[str, bytes]:
    return {f"/{path.stem}": path.read_bytes() for path in sorted(folder.glob("*.json"))}


def ceiling_app(bodies: Path) -> Starlette:
    """The Starlette ceiling."""
    return Starlette(
        routes=[Route(path, endpoint(body)) for path, body in bodies_of(bodies).items()]
    )


class BareCeiling:
    """The bare ASGI ceiling: pre-built bytes and their headers, by path."""

    def __init__(self, bodies: dict[str, bytes]) -> None:
        self._answers = {
            path: (
                [(b"content-length", str(len(body)).encode()), (b"content-type", JSON.encode())],
                body,
            )
            for path, body in bodies.items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers, body = self._answers.get(scope["path"], ([], _NOT_FOUND))
        status = 200 if headers else 404
        if not headers:
            headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"x")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main(arguments: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    starlette = "--starlette" in arguments
    if starlette:
        arguments.remove("--starlette")
    folder = Path(arguments.pop(0))
    settings = settings_from_arguments(arguments)
    serve(ceiling_app(folder) if starlette else BareCeiling(bodies_of(folder)), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
