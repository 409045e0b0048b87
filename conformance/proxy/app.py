"""The proxy as an ASGI app: forward, judge, answer with the upstream's status and body.

Answers to the operation are read whole before the client gets them: the violations go in a
header, and a header precedes the body (decision C32). A page of 1000 records is a few hundred
KB, read in milliseconds on loopback; an answer above `max_judged_bytes` and anything not on
the operation's path (the UI, the contract file) stream through as they come.
"""

from __future__ import annotations

import logging
import time

import httpx
import orjson

from conformance.exchange import Exchange
from conformance.failures import Failure
from conformance.proxy import tally as tally_module
from conformance.proxy.asgi import Receive, Scope, Send, answer, read_up_to, request_body, stream
from conformance.proxy.clients import ClientTraffic
from conformance.proxy.judging import PHASE, Hiccups, judge
from conformance.proxy.options import ProxyOptions
from conformance.proxy.recording import observed_exchange, reproducing_headers
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

log = logging.getLogger("conformance.proxy")
_OPERATION = OPERATION_PATH.encode()


def _client(scope: Scope) -> str:
    """`host:port` of the client, as the mock's journal writes it."""
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


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
        self.clients = ClientTraffic(options.max_client_exchanges)
        self.tally.clients = self.clients
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
        body = await request_body(receive)
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        raw_path = raw_path.split(b"?")[0]
        query: bytes = scope["query_string"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        url = upstream_url(self.upstream, raw_path, query)
        judged = raw_path.endswith(_OPERATION)
        arrived = time.time()
        seq = self.clients.arrive() if judged else 0
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
            await stream(
                response, response.aiter_raw(), response_headers(response.headers), b"", send_
            )
            return
        chunks = response.aiter_raw()
        try:
            content, complete = await read_up_to(chunks, self.options.max_judged_bytes)
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
            await stream(response, chunks, out_headers, content, send_)
            return
        exchange = observed_exchange(method, url, headers, response, content)
        self.clients.add(exchange, seq, _client(scope), arrived)
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
        await answer(
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
        await answer(
            send_,
            failure.status,
            "text/plain; charset=utf-8",
            text.encode(),
            [(b"x-contract-proxy-error", str(failure.status).encode())],
        )
