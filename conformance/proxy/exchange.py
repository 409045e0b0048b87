"""One exchange the proxy saw, in the suite's own `Exchange` type plus what a proxy also knows.

The suite's checks read `Exchange` (method, URL, the headers that reproduce the request, status,
parsed body); the proxy's exchanges are that, so that one set of judgements reads both. The
raw query string, the response's content type and `Allow` header are the proxy's additions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conformance.semantic import Exchange

# Request headers worth repeating in a curl line: the rest (Host, User-Agent, Accept...) do
# not change the answer. `Prefer` forces an outcome on the mock, as it does on Prism.
REPRODUCING_HEADERS = ("x-stardust-key", "x-ts", "x-sign", "prefer", "authorization")


@dataclass(frozen=True)
class ProxyExchange(Exchange):
    """An exchange as forwarded: `url` is the upstream's, so that its curl line goes there."""

    query: bytes = b""
    content_type: str | None = None
    allow: str | None = None
    # The client asked the server to force an outcome (`Prefer: code=...`): what the request
    # says cannot be held against the answer.
    forced: bool = False


def reproducing_headers(headers: Iterable[tuple[bytes, bytes]]) -> Mapping[str, str]:
    """The request headers a curl line must carry to get the same answer."""
    kept: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        if name.lower() in REPRODUCING_HEADERS:
            kept[name] = raw_value.decode("latin-1")
    return kept


def forces_outcome(headers: Mapping[str, str]) -> bool:
    return any(
        name.lower() == "prefer" and "code" in value.lower() for name, value in headers.items()
    )
