"""`GET /` and `GET /rosetta-open/`: a small JSON index pointing to the UI and the contract.

A newcomer's first request is often the bare address the start-up line printed; it answered a
bare 404 (issue 28). The index says what is served where, relative to the base asked, so the
prefixed form links within the prefix. JSON rather than a redirect to the UI: curl and scripts
see every link, and browsers show JSON readably (decision D50). Any other method on these
paths still gets Connexion's 404/405 (D27).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from contract import OPERATION_PATH, PRODUCTION_PREFIX

# The documentation's own example ID: it is pinned in the shipped fixtures (fixtures/).
EXAMPLE_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"
INDEX_PATHS = {
    "/": "",
    PRODUCTION_PREFIX: PRODUCTION_PREFIX,
    PRODUCTION_PREFIX + "/": PRODUCTION_PREFIX,
}


def index_body(base: str, swagger_ui: bool) -> bytes:
    """The index for paths under `base` ("" or the production prefix)."""
    links = {
        "service": "Stardust statistics mock, driven by the contract openapi.yaml",
        "operation": f"GET {base}{OPERATION_PATH}",
        "example": f"{base}{OPERATION_PATH}?annotationRequestId={EXAMPLE_ID}&offset=1&limit=10",
        "contract": f"{base}/openapi.json",
    }
    if swagger_ui:
        links["ui"] = f"{base}/ui/"
    return orjson.dumps(links, option=orjson.OPT_INDENT_2) + b"\n"


class Index:
    """ASGI middleware answering GET and HEAD of the index paths; the rest goes on."""

    def __init__(self, app: ASGIApp, swagger_ui: bool = True) -> None:
        self._app = app
        self._bodies = {path: index_body(base, swagger_ui) for path, base in INDEX_PATHS.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._bodies.get(scope["path"]) if scope["type"] == "http" else None
        if body is None or scope["method"] not in ("GET", "HEAD"):
            await self._app(scope, receive, send)
            return
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": body if scope["method"] == "GET" else b""}
        )
