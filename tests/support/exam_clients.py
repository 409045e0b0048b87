"""Reference clients for the exam (D72): good ones of two styles, and one bad one per mistake.

Each reads one annotation request to the end and returns its exit status (0: read it all;
1: reported failure), as a client's command line would. They take the session's base URL, an
`httpx.Client` (the in-process mock) and a `sleep` that moves a fake clock (the journal's), so
back-off costs no real time. The bad ones are written as the mistake is made in real code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from clientjudge.exam import Doomed, Outcome, WatchedRun
from mockserver.enums import PoolType, Status, TaskAction

REQUEST_ID = "helix-39"  # 93 records under seed 1
PATH = "/statistics/record"
# The enums as a strict client knows them: the documentation's values (mockserver/enums.py).
KNOWN_ACTION_TYPES = {int(value) for value in TaskAction}
KNOWN_STATUSES = {int(value) for value in Status}
KNOWN_POOL_TYPES = {int(value) for value in PoolType}
RETRYABLE = 5000
ATTEMPTS = 6

Sleep = Callable[[float], None]
Client = Callable[[httpx.Client, str, Sleep], int]


class GaveUp(Exception):
    """The client reports that it could not read the data."""


def ask(http: httpx.Client, url: str, offset: int, limit: int = 10, repeated: bool = False) -> Any:
    params: list[tuple[str, str | int]] = [("annotationRequestId", REQUEST_ID)]
    if repeated:
        params.append(("annotationRequestId", REQUEST_ID))
    params += [("offset", offset), ("limit", limit)]
    return http.get(url + PATH, params=params).json()


def page_with_backoff(http: httpx.Client, url: str, offset: int, sleep: Sleep, **kw: Any) -> Any:
    """A page, 5000 retried with doubling gaps; any other failure reported at once."""
    gap = 0.2
    for attempt in range(ATTEMPTS):
        body = ask(http, url, offset, **kw)
        if body["code"] != RETRYABLE:
            break
        if attempt < ATTEMPTS - 1:
            sleep(gap)
            gap *= 2
    if body["code"] != 2000:
        raise GaveUp(f"page {offset}: {body['code']}")
    return body


def careful(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Good: pages on until `count` is read, retries 5000 with back-off, tolerant parsing."""
    try:
        records, offset = [], 1
        while True:
            data = page_with_backoff(http, url, offset, sleep)["data"]
            records += data["data"]
            if offset * 10 >= data["count"]:
                return 0
            offset += 1
    except GaveUp:
        return 1


def careful_large_pages(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Good, another style: limit 1000, the ID as a repeated parameter, stops on a short page;
    it reports failure by raising, as a library would."""
    offset = 1
    while True:
        data = page_with_backoff(http, url, offset, sleep, limit=1000, repeated=True)["data"]
        if len(data["data"]) < 1000:
            return 0
        offset += 1


def strict_enums(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: fails the whole read on an enum value it does not know."""
    offset = 1
    try:
        while True:
            data = page_with_backoff(http, url, offset, sleep)["data"]
            for record in data["data"]:
                if (
                    record["actionType"] not in KNOWN_ACTION_TYPES
                    or record["status"] not in KNOWN_STATUSES
                    or record["poolType"] not in KNOWN_POOL_TYPES
                ):
                    raise ValueError(f"unknown value in record {record['id']}")
            if offset * 10 >= data["count"]:
                return 0
            offset += 1
    except GaveUp:
        return 1


def skips_failed_page(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: after a 5000 it moves on to the next page, and exits 0."""
    offset, count = 1, None
    while count is None or (offset - 1) * 10 < count:
        body = ask(http, url, offset)
        if body["code"] == 2000:
            count = body["data"]["count"]
        elif body["code"] != RETRYABLE:
            return 1
        elif count is None and offset > 12:
            return 0
        offset += 1
    return 0


def retries_without_backoff(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: retries a 5000 at once, "forever" (50 times here, so the test ends)."""
    offset = 1
    while True:
        for _ in range(50):
            body = ask(http, url, offset)
            if body["code"] != RETRYABLE:
                break
        if body["code"] != 2000:
            return 1
        if offset * 10 >= body["data"]["count"]:
            return 0
        offset += 1


def gives_up_silently(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: the first failure ends the read, and the records so far are taken as all."""
    offset = 1
    while True:
        body = ask(http, url, offset)
        if body["code"] == 53003:
            return 1
        if body["code"] != 2000:
            return 0
        if offset * 10 >= body["data"]["count"]:
            return 0
        offset += 1


def retries_unknown_id(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: retries every failure with back-off, a 53003 too, before it gives up."""
    offset = 1
    while True:
        gap = 0.2
        for _ in range(4):
            body = ask(http, url, offset)
            if body["code"] == 2000:
                break
            sleep(gap)
            gap *= 2
        if body["code"] != 2000:
            return 1
        if offset * 10 >= body["data"]["count"]:
            return 0
        offset += 1


def rereads_when_count_changes(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: when `count` changes while it pages, it starts again from page 1."""
    for _ in range(2):
        offset, first_count, changed = 1, None, False
        while True:
            data = page_with_backoff(http, url, offset, sleep)["data"]
            first_count = data["count"] if first_count is None else first_count
            changed = changed or data["count"] != first_count
            if offset * 10 >= data["count"]:
                break
            offset += 1
        if not changed:
            return 0
    return 0


def offset_as_index(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: steps `offset` by the records it got, as if it were an index (1, 11, 21, ...)."""
    try:
        offset = 1
        while True:
            data = page_with_backoff(http, url, offset, sleep)["data"]
            if offset + 10 > data["count"]:
                return 0
            offset += 10
    except GaveUp:
        return 1


def retries_forever(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: retries a 5000 with growing back-off and never gives up. "Forever" is 1,000
    attempts here, so that a test whose exam failed to stop it still ends."""
    gap = 0.2
    for _ in range(1000):
        body = ask(http, url, 1)
        if body["code"] != RETRYABLE:
            return 0 if body["code"] == 2000 else 1
        sleep(gap)
        gap *= 1.5
    return 1


def first_page_only(http: httpx.Client, url: str, sleep: Sleep) -> int:
    """Bad: takes the first page for all there is (the paging loop never written)."""
    try:
        page_with_backoff(http, url, 1, sleep)
    except GaveUp:
        return 1
    return 0


def impatient(http: httpx.Client, url: str, sleep: Sleep, timeout: float) -> int:
    """Bad: a timeout shorter than a slow page; it reports failure instead of waiting."""
    offset = 1
    try:
        while True:
            started = time.perf_counter()
            data = page_with_backoff(http, url, offset, sleep)["data"]
            if time.perf_counter() - started > timeout:
                raise GaveUp(f"page {offset}: timed out")
            if offset * 10 >= data["count"]:
                return 0
            offset += 1
    except GaveUp:
        return 1


GOOD: dict[str, Client] = {"careful": careful, "careful_large_pages": careful_large_pages}
# Each bad client, exactly the lessons its mistake should fail, and the rules that say why.
BAD: dict[str, tuple[Client, dict[str, set[str]]]] = {
    "strict_enums": (strict_enums, {"new-values": {"exam-exit-status"}}),
    "skips_failed_page": (
        skips_failed_page,
        {
            "hiccup": {"exam-pages-skipped", "exam-failure-not-got-past"},
            "outage": {"exam-silent-loss"},
        },
    ),
    "retries_without_backoff": (
        retries_without_backoff,
        {
            "hiccup": {"retry-no-backoff"},
            "outage": {"retry-no-backoff", "exam-too-many-attempts"},
        },
    ),
    "gives_up_silently": (
        gives_up_silently,
        {"hiccup": {"exam-failure-not-got-past"}, "outage": {"exam-silent-loss"}},
    ),
    "retries_unknown_id": (retries_unknown_id, {"unknown-id": {"retry-not-retryable"}}),
    "rereads_when_count_changes": (
        rereads_when_count_changes,
        {"growing": {"exam-page-read-twice"}},
    ),
    # Every lesson in which it gets a page fails: `walk` among them.
    "offset_as_index": (
        offset_as_index,
        {
            name: {"paging-offset-as-index", "exam-pages-skipped"}
            for name in ("walk", "hiccup", "slow", "growing", "new-values")
        },
    ),
    "first_page_only": (
        first_page_only,
        {
            name: {"exam-not-read-to-end"}
            for name in ("walk", "hiccup", "slow", "growing", "new-values")
        },
    ),
}


class Stopped(Exception):
    """The exam stopped the client: its lesson had already failed for certain."""


def watched(client: Client, transport: httpx.BaseTransport, sleep: Sleep) -> WatchedRun:
    """`client` run as `stardust-exam` runs a command (C79): after each answer it gets, the
    exam asks whether its lesson has failed for certain, and stops it there if so. The
    client's own `httpx.Client` shares the mock's transport (left open for the examiner)."""

    def run(url: str, lesson: str, doomed: Doomed) -> Outcome:
        def check(response: httpx.Response) -> None:
            reason = doomed()
            if reason:
                raise Stopped(reason)

        http = httpx.Client(transport=transport, timeout=30, event_hooks={"response": [check]})
        try:
            return Outcome(client(http, url, sleep))
        except Stopped as stopped:
            return Outcome(None, f"stopped early: {stopped}")

    return run
