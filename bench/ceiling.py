"""The ceiling: a bare Starlette endpoint per body, returning pre-built bytes.

`python -m bench.ceiling BODIES_DIR [mock options]` serves every `NAME.json` of the folder at
`/NAME`, under exactly the uvicorn settings the mock gets from the same options, so the
only difference measured is what the mock does per request.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.__main__ import serve
from mockserver.cli import settings_from_arguments

JSON = "application/json"


def endpoint(body: bytes) -> Callable[[Request], Awaitable[Response]]:
    async def answer(_request: Request) -> Response:
        return Response(body, status_code=200, media_type=JSON)

    return answer


def ceiling_app(bodies: Path) -> Starlette:
    routes = [
        Route(f"/{path.stem}", endpoint(path.read_bytes()))
        for path in sorted(bodies.glob("*.json"))
    ]
    return Starlette(routes=routes)


def main(arguments: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if arguments is None else arguments)
    bodies = Path(arguments.pop(0))
    settings = settings_from_arguments(arguments)
    serve(ceiling_app(bodies), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
