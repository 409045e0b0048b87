"""CORS: a browser app on another origin may call the mock (decision D34).

Starlette's CORS middleware does the protocol; this module only says what the mock allows.
It sits outside Connexion's routing, so a preflight (`OPTIONS` with
`Access-Control-Request-Method`) is answered here instead of reaching the operation's 405,
and every answer, the error envelopes included, carries the CORS headers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# The request headers a browser client sends beyond the CORS-safelisted ones: the signature
# headers (D19) and `Prefer` (forced outcomes). Their presence triggers the preflight.
REQUEST_HEADERS = ("X-STARDUST-KEY", "X-TS", "X-SIGN", "Prefer")
# Response headers a script may read beyond the safelisted ones: `Date` (the server's clock,
# to set `X-TS` from when the client's is off) and `Allow` (on a 405).
EXPOSED_HEADERS = ("Date", "Allow")
METHODS = ("GET", "HEAD")
# How long a browser may reuse a preflight's answer, in seconds.
MAX_AGE = 600
ANY_ORIGIN = "*"
_ORIGIN = re.compile(r"https?://[^/\s?#]+")

__all__ = ["ANY_ORIGIN", "CorsOnOrigin", "cors_options", "is_origin"]


def is_origin(text: str) -> bool:
    """Whether `text` is `*` or an origin as browsers send it: scheme, host and port only."""
    return text == ANY_ORIGIN or _ORIGIN.fullmatch(text) is not None


def cors_options(origins: Sequence[str]) -> dict[str, Any]:
    """The keyword arguments of CORSMiddleware for the given allowed origins."""
    return {
        "allow_origins": list(origins),
        "allow_methods": list(METHODS),
        "allow_headers": list(REQUEST_HEADERS),
        "expose_headers": list(EXPOSED_HEADERS),
        # No cookies or HTTP authentication: the signature travels in headers.
        "allow_credentials": False,
        "max_age": MAX_AGE,
    }


class CorsOnOrigin:
    """Starlette's CORSMiddleware, entered only by requests that carry an `Origin` header.

    A request without `Origin` is no CORS request (browsers send it on every cross-origin
    call and on preflights), so it needs no CORS headers. Measured in-process (`make profile`'s
    query, 10 records), passing through CORSMiddleware cost about 10 us of a 40 us request;
    one scan of the raw header names costs well under one.
    """

    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self._app = app
        self._cors = CORSMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, _ in scope["headers"]:
                if name == b"origin":
                    await self._cors(scope, receive, send)
                    return
        await self._app(scope, receive, send)
