"""Forwarding one request to the upstream server as the client sent it.

Method, path (behind the upstream's own prefix, if its URL has one), query string and headers
go on unchanged, the signing headers included; only what belongs to one hop is dropped (RFC
9110 7.6.1) and `Host` names the upstream, as a reverse proxy must for a virtual host. A
failure to get an answer is an `UpstreamFailure` carrying the status the client then gets:
502 when nothing answered, 504 when it answered too slowly (decision C31).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

# Headers of one connection, not of the message: never forwarded in either direction.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Recomputed by httpx for the hop to the upstream.
_REQUEST_ONLY = frozenset({"host", "content-length"})


@dataclass(frozen=True)
class UpstreamFailure(Exception):
    """No usable answer from the upstream: the status the client gets, and why."""

    status: int
    reason: str

    def __str__(self) -> str:
        return self.reason


def upstream_url(upstream: httpx.URL, raw_path: bytes, query: bytes) -> httpx.URL:
    """The upstream's URL for a request: its prefix, then the path and query as sent.

    httpx percent-encodes the few bytes a URL may not hold raw (`"`, `<`, `>`, space, non-ASCII);
    the server decodes them to what the client meant, so the request is the same.
    """
    target = upstream.raw_path.split(b"?")[0].rstrip(b"/") + raw_path
    if query:
        target += b"?" + query
    try:
        return upstream.copy_with(raw_path=target)
    except UnicodeDecodeError:
        return upstream.copy_with(raw_path=_quote_non_ascii(target))


def _quote_non_ascii(raw: bytes) -> bytes:
    return b"".join(b"%%%02X" % byte if byte > 0x7E else bytes([byte]) for byte in raw)


def forwarded_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The client's headers for the upstream: all but the hop-by-hop ones and `Host`."""
    return [
        (name, value)
        for name, value in headers
        if name.lower().decode("latin-1") not in HOP_BY_HOP | _REQUEST_ONLY
    ]


def response_headers(headers: httpx.Headers) -> list[tuple[bytes, bytes]]:
    """The upstream's response headers for the client, hop-by-hop ones left out."""
    return [
        (name, value)
        for name, value in headers.raw
        if name.lower().decode("latin-1") not in HOP_BY_HOP
    ]


async def send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """The upstream's response, its body still to be read; `UpstreamFailure` if none came."""
    try:
        return await client.send(request, stream=True)
    except httpx.TimeoutException as error:
        reason = f"the upstream did not answer in time ({_name(error)})"
        raise UpstreamFailure(504, reason) from None
    except httpx.HTTPError as error:
        raise UpstreamFailure(502, f"the upstream did not answer ({_name(error)})") from None


def _name(error: Exception) -> str:
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
