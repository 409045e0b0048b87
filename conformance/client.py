"""The suite's own client: which requests the semantic phase sends, and how.

Every request is signed when keys are given, recorded as an `Exchange`, and re-sent when it
answers the documented, retryable 5000, until another answer comes or it has answered 5000
`TRIES_TO_PERSIST` times in a row (C46): a transient hiccup is counted as flakiness, only a
5000 that belongs to the request is kept for judging. IDs travel in the
form the caller asks for: repeated parameters, or one value joined by literal commas as the
documentation's curl generator writes it (`annotationRequestId=a,b`, D7).
"""

from __future__ import annotations

import functools
import math
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from conformance.config import Options
from conformance.exchange import ID_PARAMETER, LIMIT_CAP, Exchange
from conformance.signing import signature_headers
from contract import OPERATION_PATH

SERVICE_HICCUP = 5000
# A 5000 is the request's own only when it answered 5000 this many times in a row (C46). A
# server answering 5000 at random, at a rate r, gets there by chance with probability r**10:
# 1e-7 a request at 20%, about 3e-5 for a run's three hundred requests; with 3 tries it was
# 0.8% a request, and a CI gate flipped on an unchanged server.
TRIES_TO_PERSIST = 10
# Once one request of a run has persisted, the run FAILs whatever else comes: later 5000s are
# judged after this many tries, so a server answering 5000 to everything costs seconds.
SHORT_TRIES = 3
RETRIES = TRIES_TO_PERSIST - 1
# Back-off before try n+1: n times this, at most twice it (0.2, 0.4, 0.4, ... s).
BACK_OFF_SECONDS = 0.2
# A request's pages are all fetched up to this many records; beyond, a sample of pages.
MAX_WALKED_RECORDS = 3000
TARGET_PAGES = 12
INT32_MAX = 2_147_483_647

Pairs = Sequence[tuple[str, str | int]]


@functools.cache
def tls_context() -> ssl.SSLContext:
    # httpx's own default (certifi's CA bundle, SSL_CERT_FILE/SSL_CERT_DIR honoured), built once
    # per process: building it reads the whole bundle, some 40 ms of CPU, and a run opens a
    # client per phase (the suite's self-test, some sixty runs, opened over a hundred).
    return httpx.create_ssl_context()


def http_client(options: Options) -> httpx.Client:
    """The client every phase of a run sends its own requests with."""
    return httpx.Client(timeout=options.timeout_seconds, verify=tls_context())


def query_string(pairs: Pairs) -> str:
    """Percent-encoded pairs; commas in values stay literal (the documented comma form)."""
    return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe=',')}" for k, v in pairs)


def id_pairs(ids: Sequence[str], *, joined: bool = False) -> list[tuple[str, str | int]]:
    if joined:
        return [(ID_PARAMETER, ",".join(ids))]
    return [(ID_PARAMETER, item) for item in ids]


@dataclass
class Target:
    """The server under test: signed requests, every final answer kept, hiccups counted."""

    options: Options
    client: httpx.Client
    exchanges: list[Exchange] = field(default_factory=list)
    # Curl lines of 5000 answers whose request answered otherwise on a retry (flakiness).
    hiccups: list[str] = field(default_factory=list)
    sleep: float = BACK_OFF_SECONDS
    # Every answer received, retries included, and the 5000s among them: the run's 5000 rate.
    answers: int = 0
    service_hiccups: int = 0
    # Requests that answered 5000 on every try: judged as the server's answer to them.
    persisted: int = 0

    def back_off(self, tries: int) -> float:
        return min(self.sleep * tries, 2 * self.sleep)

    # Every answer received, the retried 5000s too: what exchanges.har and the coverage count.
    sent: list[Exchange] = field(default_factory=list)
    # Called after each request: the live progress counts them (conformance/progress.py).
    on_sent: Callable[[], None] | None = None

    def url(self, pairs: Pairs) -> str:
        return self.raw_url(query_string(pairs))

    def raw_url(self, query: str) -> str:
        base = self.options.base_url.rstrip("/") + OPERATION_PATH
        return f"{base}?{query}" if query else base

    def send(self, pairs: Pairs, method: str = "GET") -> Exchange:
        """One request; a 5000 answer is retried up to twice before it is kept."""
        return self.send_raw(query_string(pairs), method)

    def send_raw(self, query: str, method: str = "GET") -> Exchange:
        """One request with `query` exactly as given (already percent-encoded); a 5000 is
        re-sent until another answer comes, or kept as the answer after its last try (C46)."""
        limit = SHORT_TRIES if self.persisted else TRIES_TO_PERSIST
        retried: list[str] = []
        for tries in range(1, limit + 1):
            exchange = self._once(query, method, tries)
            self.answers += 1
            self.sent.append(exchange)
            if self.on_sent is not None:
                self.on_sent()
            if exchange.code != SERVICE_HICCUP:
                self.hiccups += retried
                break
            self.service_hiccups += 1
            if tries == limit:
                self.persisted += 1
                break
            retried.append(exchange.curl)
            time.sleep(self.back_off(tries))
        self.exchanges.append(exchange)
        return exchange

    def _once(self, query: str, method: str, tries: int = 1) -> Exchange:
        headers: dict[str, str] = {}
        if self.options.access_key and self.options.secret_key:
            headers = signature_headers(self.options.access_key, self.options.secret_key)
        url = self.raw_url(query)
        started = time.monotonic()
        response = self.client.request(method, url, headers=headers)
        try:
            body = response.json()
        except ValueError:
            body = None
        return Exchange.build(
            method, str(response.request.url), response.status_code, body,
            request_headers=headers, response_headers=dict(response.headers),
            text=response.text[:2000], elapsed=time.monotonic() - started,
            received_at=time.time(), attempts=tries,
        )  # fmt: skip

    def get(
        self,
        ids: Sequence[str],
        offset: int | None = None,
        limit: int | None = None,
        *,
        joined: bool = False,
    ) -> Exchange:
        pairs = id_pairs(ids, joined=joined)
        if offset is not None:
            pairs.append(("offset", offset))
        if limit is not None:
            pairs.append(("limit", limit))
        return self.send(pairs)


@dataclass
class Walk:
    """The pages of one request (one or several IDs), fetched with one `limit`."""

    ids: tuple[str, ...]
    limit: int
    count: int
    probe: Exchange
    first: Exchange | None = None
    pages: list[Exchange] = field(default_factory=list)
    past_last: list[Exchange] = field(default_factory=list)
    again: list[Exchange] = field(default_factory=list)

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.count / self.limit))

    @property
    def exchanges(self) -> list[Exchange]:
        first = [self.first] if self.first is not None else []
        return [self.probe, *first, *self.pages, *self.past_last, *self.again]


def walk(
    target: Target, ids: Sequence[str], *, joined: bool = False, probe: Exchange | None = None
) -> Walk | None:
    """Every page of a request (a sample when large), pages past the last, then the first and
    last pages again (same answer, and a count that depends on the page shows as a fall).
    None when the request does not answer a page: its first page of 1000, `probe` when the
    caller asked it already (to judge that very answer when it is no page)."""
    if probe is None:
        probe = target.get(ids, offset=1, limit=LIMIT_CAP, joined=joined)
    if probe.count is None:
        return None
    count = probe.count
    # Enough pages to see page boundaries, few enough to stay fast.
    limit = min(LIMIT_CAP, max(2, math.ceil(count / TARGET_PAGES)))
    result = Walk(tuple(ids), limit, count, probe)
    # Page 1 of two limits starts at the same record, unless `offset` is read 0-based.
    result.first = target.get(ids, offset=1, limit=1, joined=joined)
    last = result.last_page
    if count <= MAX_WALKED_RECORDS:
        offsets = list(range(1, last + 1))
    else:
        offsets = sorted({1, 2, 3, last - 1, last})
    result.pages = [target.get(ids, offset, limit, joined=joined) for offset in offsets]
    result.past_last = [
        target.get(ids, last + 1, limit, joined=joined),
        target.get(ids, INT32_MAX, limit, joined=joined),
    ]
    result.again = [target.get(ids, offsets[0], limit, joined=joined)]
    if offsets[-1] != offsets[0]:
        result.again.append(target.get(ids, offsets[-1], limit, joined=joined))
    return result
