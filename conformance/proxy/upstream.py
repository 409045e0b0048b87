"""Forwarding one request to the upstream server as the client sent it.

Method, path (behind the upstream's own prefix, if its URL has one), query string and headers
go on unchanged, the signing headers included; only what belongs to one hop is dropped (RFC
9110 7.6.1) and `Host` names the upstream, as a reverse proxy must for a virtual host. A
failure to get an answer is an `UpstreamFailure` carrying the status the client then gets:
502 when nothing answered, 504 when it answered too slowly (decision C31).

Two ways over one small protocol (`Upstream`): the proxy's own pool of keep-alive HTTP/1.1
connections (`http1.py`, what a session uses), and `HttpxUpstream`, any httpx transport, which
is how the tests put an ASGI app in-process behind the proxy.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from conformance.proxy.http1 import Pool, UpstreamError

# Headers of one connection, not of the message: never forwarded in either direction.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Written afresh for the hop to the upstream.
_REQUEST_ONLY = frozenset({b"host", b"content-length"})
_NOT_FORWARDED = HOP_BY_HOP | _REQUEST_ONLY
# Bytes a request line cannot carry raw: controls, space, DEL and all that is not ASCII.
_UNSAFE = re.compile(rb"[^\x21-\x7e]")
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class UpstreamFailure(Exception):
    """No usable answer from the upstream: the status the client gets, and why."""

    status: int
    reason: str

    def __str__(self) -> str:
        return self.reason


def failure(error: UpstreamError, broke_off: bool = False) -> UpstreamFailure:
    """The client's 502 or 504 for an error of the hop, and the reason it gives."""
    if broke_off:
        return UpstreamFailure(
            504 if error.timeout else 502, f"the upstream's answer broke off ({error.kind})"
        )
    if error.timeout:
        return UpstreamFailure(504, f"the upstream did not answer in time ({error})")
    return UpstreamFailure(502, f"the upstream did not answer ({error})")


class Answer(Protocol):
    """The upstream's status and headers, its body still to be read; `UpstreamError` when it
    breaks off."""

    status: int
    headers: Headers

    async def read_up_to(self, limit: int) -> tuple[bytes, bool]: ...

    def rest(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class Upstream:
    """The upstream's origin and prefix, and the pool of connections to it."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/").encode()
        self.pool = Pool(url, timeout)

    def target(self, raw_path: bytes, query: bytes) -> bytes:
        """The request target on the upstream: its prefix, then the path and query as sent.

        The few bytes a request line cannot hold raw are percent-encoded; the server decodes
        them to what the client meant, so the request is the same.
        """
        target = self.prefix + raw_path
        if query:
            target += b"?" + query
        return _UNSAFE.sub(lambda match: b"%%%02X" % match.group()[0], target)

    def url(self, target: bytes) -> str:
        return self.origin + target.decode("ascii")

    async def send(self, method: str, target: bytes, headers: Headers, body: bytes) -> Answer:
        """The upstream's answer to the request; `UpstreamFailure` if none came."""
        try:
            return await self.pool.request(method, target, headers, body)
        except UpstreamError as error:
            raise failure(error) from None

    async def aclose(self) -> None:
        await self.pool.aclose()


class HttpxUpstream(Upstream):
    """The same forwarding through an httpx transport (in tests: an ASGI app in-process)."""

    def __init__(self, url: str, timeout: float, transport: httpx.AsyncBaseTransport) -> None:
        super().__init__(url, timeout)
        self.client = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def send(self, method: str, target: bytes, headers: Headers, body: bytes) -> Answer:
        url = httpx.URL(self.origin).copy_with(raw_path=target)
        request = self.client.build_request(method, url, headers=headers, content=body)
        try:
            return _HttpxAnswer(await self.client.send(request, stream=True))
        except httpx.HTTPError as error:
            raise failure(_error(error)) from None

    async def aclose(self) -> None:
        await self.client.aclose()


class _HttpxAnswer:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status = response.status_code
        self.headers = response.headers.raw
        self.chunks = response.aiter_raw()

    async def read_up_to(self, limit: int) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        size = 0
        try:
            async for chunk in self.chunks:
                parts.append(chunk)
                size += len(chunk)
                if size > limit:
                    return b"".join(parts), False
        except httpx.HTTPError as error:
            raise _error(error) from None
        return b"".join(parts), True

    async def rest(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.chunks:
                yield chunk
        except httpx.HTTPError as error:
            raise _error(error) from None

    async def aclose(self) -> None:
        await self.response.aclose()


def _error(error: httpx.HTTPError) -> UpstreamError:
    return UpstreamError(
        type(error).__name__, str(error), isinstance(error, httpx.TimeoutException)
    )


def forwarded_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The client's headers for the upstream: all but the hop-by-hop ones and `Host`."""
    return [(name, value) for name, value in headers if name.lower() not in _NOT_FORWARDED]


def response_headers(headers: Iterable[tuple[bytes, bytes]]) -> Headers:
    """The upstream's response headers for the client, hop-by-hop ones left out."""
    return [(name, value) for name, value in headers if name.lower() not in HOP_BY_HOP]
