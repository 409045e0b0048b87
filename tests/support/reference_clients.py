"""Reference clients of GET /statistics/record, good and bad, and a recorder of their traffic.

Each client is a small function written as a client team would write it, over a real
`httpx.Client` (or `AsyncClient`) whose transport is the in-process mock wrapped in a
`Recorder`: every exchange is kept as the suite's `Exchange`, numbered and timed as the mock's
journal would (D44), so `clientjudge.verdict.judge` reads it. Time is a `FakeClock`: clients
that back off or poll call its `sleep`, which only moves the clock, and the mock checks
signatures against the same clock; a request takes `LATENCY` of it.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import orjson

from conformance.exchange import Exchange
from conformance.signing import signature_headers
from mockserver.app import create_app
from mockserver.config import Settings
from tests.support.inprocess import BASE_URL, InProcessTransport
from tests.support.journal import T0

PATH = "/statistics/record"
LATENCY = 0.005
# IDs with known counts under seed 1 (tests assert them, so a data change is seen there).
SMALL = "helix-7"  # 6 records
MEDIUM = "helix-39"  # 93 records
PAIR = ("helix-11", "helix-5")  # 8 and 11 records
LARGE = "helix-6"  # 2310 records
UNKNOWN = "00000000-0000-0000-0000-000000000000"  # 53003 (fixtures/documentation.yaml)
ACCESS_KEY, SECRET_KEY = "helix", "helix-secret"
Params = list[tuple[str, str | int]]


class FakeClock:
    """Seconds since the epoch that move only when told: sleeps and request latency."""

    def __init__(self, start: float = T0) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def now_ms(self) -> int:
        return round(self.now * 1000)


def _exchange(
    request: httpx.Request, response: httpx.Response, sent: float, now: float
) -> Exchange:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    return Exchange.build(
        request.method,
        str(request.url),
        response.status_code,
        body,
        request_headers=dict(request.headers),
        response_headers=dict(response.headers),
        elapsed=now - sent,
        received_at=now,
    )


@dataclass
class Recording:
    """The exchanges seen, numbered in arrival order as the mock's journal numbers them."""

    clock: FakeClock
    client: str = "127.0.0.1:41000"
    exchanges: list[Exchange] = field(default_factory=list)

    def add(self, request: httpx.Request, response: httpx.Response, sent: float) -> None:
        exchange = _exchange(request, response, sent, self.clock.time())
        seq = len(self.exchanges) + 1
        self.exchanges.append(replace(exchange, seq=seq, sent_at=sent, client=self.client))


class Recorder(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, recording: Recording) -> None:
        self.inner, self.recording = inner, recording

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = self.recording.clock.time()
        response = self.inner.handle_request(request)
        response.read()
        self.recording.clock.sleep(LATENCY)
        self.recording.add(request, response, sent)
        return response


class AsyncRecorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, recording: Recording) -> None:
        self.inner, self.recording = inner, recording

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = self.recording.clock.time()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.recording.clock.sleep(LATENCY)
        answered = httpx.Response(response.status_code, headers=response.headers, content=content)
        self.recording.add(request, answered, sent)
        return answered


class Flaky(httpx.BaseTransport):
    """A hiccuping server: the first `failures` attempts of each request answer 5000.

    It asks the mock for a real 5000 envelope with `Prefer: code=5000`, behind the recorder, so
    the recorded request is the client's own.
    """

    def __init__(self, inner: httpx.BaseTransport, failures: int) -> None:
        self.inner, self.failures = inner, failures
        self.attempts: dict[str, int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "prefer" in request.headers:
            # The client forces an outcome itself: its own test, left alone.
            return self.inner.handle_request(request)
        seen = self.attempts.get(str(request.url), 0)
        self.attempts[str(request.url)] = seen + 1
        if seen < self.failures:
            headers = httpx.Headers(request.headers)
            headers["Prefer"] = "code=5000"
            request = httpx.Request(request.method, request.url, headers=headers)
        return self.inner.handle_request(request)


@dataclass
class Mock:
    """An in-process mock on a fake clock, and the recording of its clients' traffic."""

    settings: Settings
    clock: FakeClock
    recording: Recording

    @property
    def exchanges(self) -> list[Exchange]:
        return self.recording.exchanges

    def _app(self) -> Any:
        return create_app(self.settings, clock=self.clock.time, now_ms=self.clock.now_ms)

    @contextmanager
    def client(self, failures: int = 0) -> Iterator[httpx.Client]:
        inner: httpx.BaseTransport = InProcessTransport(self._app())
        if failures:
            inner = Flaky(inner, failures)
        transport = Recorder(inner, self.recording)
        with httpx.Client(transport=transport, base_url=BASE_URL, timeout=30) as http:
            yield http

    def async_client(self) -> httpx.AsyncClient:
        transport = AsyncRecorder(httpx.ASGITransport(app=self._app()), self.recording)
        return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=30)


def mock(**settings: Any) -> Mock:
    clock = FakeClock()
    return Mock(Settings(**settings), clock, Recording(clock))


def signing_mock() -> Mock:
    return mock(signature_keys={ACCESS_KEY: SECRET_KEY})


# Good clients.


def _ids(ids: Sequence[str], form: str) -> Params:
    if form == "comma":
        return [("annotationRequestId", ",".join(ids))]
    return [("annotationRequestId", one) for one in ids]


def _page(http: httpx.Client, params: Params, headers: dict[str, str] | None = None) -> Any:
    response = http.get(PATH, params=params, headers=headers)
    body = response.json()
    if body["code"] != 2000:
        raise RuntimeError(f"answered {body['code']}: {body['message']}")
    return body["data"]


def read_all(
    http: httpx.Client,
    ids: Sequence[str],
    limit: int,
    form: str = "comma",
    sign: Callable[[], dict[str, str]] | None = None,
) -> list[Any]:
    """Page after page (offset = 1, 2, ...) until `count` records are read or a page is empty."""
    records: list[Any] = []
    offset = 1
    while True:
        params = [*_ids(ids, form), ("offset", offset), ("limit", limit)]
        page = _page(http, params, sign() if sign else None)
        records += page["data"]
        if not page["data"] or len(records) >= page["count"]:
            return records
        offset += 1


async def read_all_parallel(http: httpx.AsyncClient, ids: Sequence[str], limit: int) -> list[Any]:
    """Page 1 for `count`, then every other page at once, in the order a work queue takes them."""

    async def page(offset: int) -> Any:
        params: Params = [*_ids(ids, "comma"), ("offset", offset), ("limit", limit)]
        response = await http.get(PATH, params=params)
        return response.json()["data"]

    first = await page(1)
    pages = list(range(2, math.ceil(first["count"] / min(limit, 1000)) + 1))
    random.Random(7).shuffle(pages)
    rest = await asyncio.gather(*(page(offset) for offset in pages))
    by_offset = dict(zip(pages, rest, strict=True))
    return first["data"] + [r for offset in sorted(by_offset) for r in by_offset[offset]["data"]]


def dashboard(
    http: httpx.Client, ids: Sequence[str], polls: int, sleep: Callable[[float], None]
) -> list[int]:
    """Page 1 only (the newest records are what it shows), every 30 s: the counts it saw."""
    counts = []
    for _ in range(polls):
        counts.append(_page(http, [*_ids(ids, "comma"), ("limit", 20)])["count"])
        sleep(30)
    return counts


def get_with_backoff(
    http: httpx.Client, params: Params, sleep: Callable[[float], None], attempts: int = 6
) -> Any:
    """A 5000 retried after 0.2 s, 0.4 s, 0.8 s ... each with up to 10% jitter; others raised."""
    jitter = random.Random(3)
    for attempt in range(attempts):
        body = http.get(PATH, params=params).json()
        if body["code"] != 5000:
            return body
        sleep(0.2 * 2**attempt * (1 + jitter.random() / 10))
    raise RuntimeError("still failing")


def read_all_with_backoff(
    http: httpx.Client, ids: Sequence[str], limit: int, sleep: Callable[[float], None]
) -> list[Any]:
    records: list[Any] = []
    offset = 1
    while True:
        params = [*_ids(ids, "comma"), ("offset", offset), ("limit", limit)]
        page = get_with_backoff(http, params, sleep)["data"]
        records += page["data"]
        if not page["data"] or len(records) >= page["count"]:
            return records
        offset += 1


def error_handling_suite(
    http: httpx.Client, ids: Sequence[str], sleep: Callable[[float], None]
) -> list[int]:
    """A client's own tests of its error handling: each outcome forced once with `Prefer`,
    a 5000 retried with back-off until the forced failures stop, nothing else retried."""
    codes = []
    for code in (53003, 401, 402, 403):
        answer = http.get(PATH, params=_ids(ids, "comma"), headers={"Prefer": f"code={code}"})
        codes.append(answer.json()["code"])
    codes.append(get_with_backoff(http, _ids(ids, "comma"), sleep)["code"])
    return codes


def signer(
    clock: FakeClock, secret: str = SECRET_KEY, skew: float = 0.0
) -> Callable[[], dict[str, str]]:
    """Fresh signing headers per request from the client's clock (`skew` seconds off)."""
    return lambda: signature_headers(ACCESS_KEY, secret, round((clock.time() + skew) * 1000))


# Bad clients, one mistake each.


def offset_as_index(http: httpx.Client, ids: Sequence[str], limit: int) -> list[Any]:
    """Reads `offset` as the index of the first record: 1, 1 + limit, ... (skips pages)."""
    records: list[Any] = []
    offset = 1
    while True:
        page = _page(http, [*_ids(ids, "comma"), ("offset", offset), ("limit", limit)])
        if not page["data"]:
            return records
        records += page["data"]
        offset += limit


def capped_page_as_end(http: httpx.Client, ids: Sequence[str]) -> list[Any]:
    """Asks for 5000 records at once and takes a page shorter than 5000 for the last one."""
    records: list[Any] = []
    offset = 1
    while True:
        page = _page(http, [*_ids(ids, "comma"), ("offset", offset), ("limit", 5000)])
        records += page["data"]
        if len(page["data"]) < 5000:
            return records
        offset += 1


def peek_then_read(http: httpx.Client, ids: Sequence[str], limit: int) -> list[Any]:
    """Asks each page twice: once to see whether it has records, once to read them."""
    records: list[Any] = []
    offset = 1
    while True:
        params: Params = [*_ids(ids, "comma"), ("offset", offset), ("limit", limit)]
        if not _page(http, params)["data"]:
            return records
        records += _page(http, params)["data"]
        offset += 1


def switch_limit(http: httpx.Client, ids: Sequence[str]) -> list[Any]:
    """Reads page 1 small for a quick first screen, then the rest with a larger limit."""
    records = _page(http, [*_ids(ids, "comma"), ("offset", 1), ("limit", 10)])["data"]
    offset = 2
    while True:
        page = _page(http, [*_ids(ids, "comma"), ("offset", offset), ("limit", 50)])
        if not page["data"]:
            return list(records)
        records += page["data"]
        offset += 1


def retry_everything(http: httpx.Client, ids: Sequence[str], sleep: Callable[[float], None]) -> Any:
    """Retries whatever is not a success, with back-off: a 53003 too, which cannot change."""
    for attempt in range(3):
        body = http.get(PATH, params=_ids(ids, "comma")).json()
        if body["code"] == 2000:
            return body
        sleep(0.5 * 2**attempt)
    return None


def retry_at_once(http: httpx.Client, ids: Sequence[str]) -> Any:
    """Retries a 5000 immediately, in a tight loop."""
    while True:
        body = http.get(PATH, params=_ids(ids, "comma")).json()
        if body["code"] != 5000:
            return body


def retry_every_second(
    http: httpx.Client, ids: Sequence[str], sleep: Callable[[float], None]
) -> Any:
    """Retries a 5000 every second: a fixed interval, no back-off."""
    while True:
        body = http.get(PATH, params=_ids(ids, "comma")).json()
        if body["code"] != 5000:
            return body
        sleep(1.0)


def unsigned(http: httpx.Client, ids: Sequence[str]) -> int:
    """Forgets to sign: the business code it got."""
    code: int = http.get(PATH, params=_ids(ids, "comma")).json()["code"]
    return code


def signed_once(http: httpx.Client, ids: Sequence[str], sign: Callable[[], dict[str, str]]) -> int:
    code: int = http.get(PATH, params=_ids(ids, "comma"), headers=sign()).json()["code"]
    return code
