"""An observed exchange in the suite's `Exchange` type: what the judgements read.

The curl line of each failure is built from the request headers kept here: those that change
the answer (signing, `Prefer`), not Host, User-Agent or Accept (decision C35).
"""

from __future__ import annotations

import time
import zlib
from typing import Any

import orjson

from conformance.exchange import Exchange


def observed_exchange(
    method: str,
    url: str,
    headers: list[tuple[bytes, bytes]],
    status: int,
    response_headers: list[tuple[bytes, bytes]],
    content: bytes,
) -> Exchange:
    # As httpx read them: names and values as Latin-1, a repeated name's values joined.
    read: dict[str, str] = {}
    for raw_name, raw_value in response_headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        read[name] = f"{read[name]}, {value}" if name in read else value
    body = parse_json(content, read.get("content-encoding"))
    return Exchange.build(
        method,
        url,
        status,
        body,
        request_headers=reproducing_headers(headers),
        response_headers=read,
        text=content[:2000].decode("utf-8", "replace") if body is None else "",
        received_at=time.time(),
    )


# Request headers worth repeating in a curl line: the rest (Host, User-Agent, Accept...) do
# not change the answer. `Prefer` forces an outcome on the mock, as it does on Prism.
REPRODUCING_HEADERS = ("x-stardust-key", "x-ts", "x-sign", "prefer", "authorization")


def reproducing_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request headers a curl line must carry to get the same answer."""
    kept: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        if name.lower() in REPRODUCING_HEADERS:
            kept[name] = raw_value.decode("latin-1")
    return kept


def parse_json(content: bytes, encoding: str | None) -> Any:
    """The body as JSON, None when it is not; the upstream's gzip or deflate undone first."""
    try:
        if encoding in {"gzip", "x-gzip"}:
            content = zlib.decompress(content, zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            content = zlib.decompress(content)
        return orjson.loads(content)
    except (zlib.error, orjson.JSONDecodeError):
        return None
