"""The proxy as an ASGI app: forward, judge, answer with the upstream's status and body.

Answers to the operation are read whole before the client gets them: the violations go in a
header, and a header precedes the body (decision C32). A page of 1000 records is a few hundred
KB, read in milliseconds on loopback; an answer above `max_judged_bytes` and anything not on
the operation's path (the UI, the contract file) stream through as they come.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import httpx
import orjson

from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.proxy import tally as tally_module
from conformance.proxy.judging import PHASE, Hiccups, judge
from conformance.proxy.options import ProxyOptions
from conformance.proxy.request import Request, read_request
from conformance.proxy.tally import Tally, header_value
from conformance.proxy.traffic import Traffic
from conformance.proxy.upstream import (
    UpstreamFailure,
    forwarded_headers,
    response_headers,
    send,
    upstream_url,
)
from contract import OPERATION_PATH

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
log = logging.getLogger("conformance.proxy")
_OPERATION = OPERATION_PATH.encode()


class ProxyApp:
    """One per session: the upstream client, the state across exchanges, the tally."""

    def __init__(
        self,
        options: ProxyOptions,
        tally: Tally | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self.upstream = httpx.URL(options.upstream)
        self.tally = tally or Tally(options.upstream)
        self.traffic = Traffic(options.max_id_sets, options.max_page_records)
        self.hiccups = Hiccups()
        self.tally.growth = self.traffic.grown.values
        # No pool limit: concurrent clients must not queue behind each other in the proxy.
        self.client = httpx.AsyncClient(
            timeout=options.upstream_timeout,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            transport=transport,
        )

    async def __call__(self, scope: Scope, receive: Receive, send_: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send_)
        elif scope["type"] == "http":
            await self._http(scope, receive, send_)

    async def _lifespan(self, receive: Receive, send_: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send_({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send_({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send_: Send) -> None:
        body = await _request_body(receive)
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        raw_path = raw_path.split(b"?")[0]
        query: bytes = scope["query_string"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        url = upstream_url(self.upstream, raw_path, query)
        judged = raw_path.endswith(_OPERATION)
        # HEAD answers carry no body to judge: only GET is read as the operation's request.
        request = read_request(query) if judged and method == "GET" else None
        if self.options.errors and request is not None and request.problem is not None:
            await self._refuse(method, url, headers, query, request, send_)
            return
        started = time.perf_counter()
        try:
            response = await send(
                self.client,
                self.client.build_request(
                    method, url, headers=forwarded_headers(headers), content=body
                ),
            )
        except UpstreamFailure as failure:
            await self._failed(method, url, failure, send_)
            return
        if not judged:
            await _stream(
                response, response.aiter_raw(), response_headers(response.headers), b"", send_
            )
            return
        chunks = response.aiter_raw()
        try:
            content, complete = await _read_up_to(chunks, self.options.max_judged_bytes)
        except httpx.HTTPError as error:
            await response.aclose()
            broken = UpstreamFailure(
                504 if isinstance(error, httpx.TimeoutException) else 502,
                f"the upstream's answer broke off ({type(error).__name__})",
            )
            await self._failed(method, url, broken, send_)
            return
        if complete:
            await response.aclose()
        out_headers = response_headers(response.headers)
        if not complete:
            self.tally.unjudged += 1
            self.tally.exchanges += 1
            log.info(
                "proxy: %s %s: answer over %d bytes, not judged",
                method,
                url,
                self.options.max_judged_bytes,
            )
            await _stream(response, chunks, out_headers, content, send_)
            return
        exchange = _exchange(method, url, headers, response, content)
        failures = self._judge(exchange, request)
        if failures:
            value = header_value(failures, self.options.header_limit)
            out_headers.append((tally_module.HEADER.encode(), value.encode("ascii")))
        log.debug(
            "proxy: %s %s -> %d in %.1f ms",
            method,
            url,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        await send_(
            {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
        )
        await send_({"type": "http.response.body", "body": content})

    def _judge(self, exchange: Exchange, request: Request | None) -> list[Failure]:
        result = judge(
            exchange,
            request,
            self.traffic,
            self.hiccups,
            self.options.http_200_errors,
            self.options.timezone,
        )
        self.tally.record(exchange, result.judged, result.failures, hiccup=result.hiccup)
        return result.failures

    async def _refuse(
        self,
        method: str,
        url: httpx.URL,
        headers: list[tuple[bytes, bytes]],
        query: bytes,
        request: Request,
        send_: Send,
    ) -> None:
        """`--errors`: a 422 problem document instead of forwarding an invalid request."""
        problem = str(request.problem)
        message = f"the contract refuses this request: {problem}"
        exchange = Exchange.build(
            method, str(url), 422, request_headers=reproducing_headers(headers)
        )
        failure = Failure("client_request_valid", message, exchange.curl, PHASE)
        self.tally.record(exchange, {"client_request_valid"}, [failure])
        body = orjson.dumps(
            {
                "type": "about:blank",
                "title": "Invalid request",
                "status": 422,
                "detail": f"The proxy did not forward this request: {problem}",
                "validation": [{"check": "client_request_valid", "message": message}],
            }
        )
        value = header_value([failure], self.options.header_limit)
        await _answer(
            send_,
            422,
            "application/problem+json",
            body,
            [(tally_module.HEADER.encode(), value.encode("ascii"))],
        )

    async def _failed(
        self, method: str, url: httpx.URL, failure: UpstreamFailure, send_: Send
    ) -> None:
        log.error("proxy: %d %s %s: %s", failure.status, method, url, failure.reason)
        text = f"stardust proxy: {failure.reason}; upstream {self.options.upstream}\n"
        await _answer(
            send_,
            failure.status,
            "text/plain; charset=utf-8",
            text.encode(),
            [(b"x-contract-proxy-error", str(failure.status).encode())],
        )


def _exchange(
    method: str,
    url: httpx.URL,
    headers: list[tuple[bytes, bytes]],
    response: httpx.Response,
    content: bytes,
) -> Exchange:
    body = _json(content, response.headers.get("content-encoding"))
    return Exchange.build(
        method,
        str(url),
        response.status_code,
        body,
        request_headers=reproducing_headers(headers),
        response_headers=dict(response.headers.items()),
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


def _json(content: bytes, encoding: str | None) -> Any:
    """The body as JSON, None when it is not; the upstream's gzip or deflate undone first."""
    try:
        if encoding in {"gzip", "x-gzip"}:
            content = zlib.decompress(content, zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            content = zlib.decompress(content)
        return orjson.loads(content)
    except (zlib.error, orjson.JSONDecodeError):
        return None


async def _request_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _read_up_to(body: AsyncIterator[bytes], limit: int) -> tuple[bytes, bool]:
    """The body as sent (still encoded), and whether it was all read within `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in body:
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks), False
    return b"".join(chunks), True


async def _stream(
    response: httpx.Response,
    body: AsyncIterator[bytes],
    headers: list[tuple[bytes, bytes]],
    head: bytes,
    send_: Send,
) -> None:
    """The status and headers now, then `head` and the rest of the body as it comes."""
    try:
        await send_(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        if head:
            await send_({"type": "http.response.body", "body": head, "more_body": True})
        async for chunk in body:
            await send_({"type": "http.response.body", "body": chunk, "more_body": True})
        await send_({"type": "http.response.body", "body": b""})
    except httpx.HTTPError as error:
        # The status is sent: all that is left is to cut the connection, which the server does
        # when the app returns with the body unfinished.
        log.error("proxy: %s: the upstream's answer broke off: %r", response.request.url, error)
    finally:
        await response.aclose()


async def _answer(
    send_: Send, status: int, content_type: str, body: bytes, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send_({"type": "http.response.start", "status": status, "headers": headers})
    await send_({"type": "http.response.body", "body": body})
