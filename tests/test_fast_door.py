"""mockserver/fast_door.py: the door answers as Connexion's stack does, byte for byte (D77).

Two mocks of the same settings and seams (a frozen clock, numbered request IDs), one with
the door and one without, get the same corpus of requests in the same order; every answer
(status, headers, body), every journal entry and every access line must be the same, and the
door must have taken exactly the requests it is for. Connexion's entry sets `scope["app"]`
(ConnexionMiddleware.__call__): a request the door answered never has it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import tempfile
from collections.abc import Iterator, MutableMapping
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from contract import PRODUCTION_PREFIX, operation
from contract.parameters import compile_rules, parse_query
from mockserver import fast_door
from mockserver.access_log import AccessLog, with_access_log
from mockserver.app import create_app, journal_of
from mockserver.config import Settings
from mockserver.journal import RingJournal
from mockserver.shared_journal import SharedJournal

RECORDS = "/statistics/record"
PROD = PRODUCTION_PREFIX + RECORDS
LARGE = "large-annotation-request"
FROZEN = 1_780_000_000.25
RULES = compile_rules(operation()["parameters"])

# (method, path, query, extra headers, taken by the door)
Request = tuple[str, str, bytes, list[tuple[bytes, bytes]], bool]
LONG_ID = "x" * 255
VALID: list[tuple[str, bytes]] = [
    (RECORDS, f"annotationRequestId={LARGE}&limit=10&offset=1".encode()),
    (PROD, f"annotationRequestId={LARGE}&limit=10&offset=1".encode()),
    (RECORDS, f"annotationRequestId={LARGE}&limit=10&offset=1".encode()),  # asked again
    (RECORDS, f"annotationRequestId={LARGE}".encode()),  # defaults
    (RECORDS, f"offset=0003&limit=0007&annotationRequestId={LARGE}".encode()),  # zeros, order
    (RECORDS, f"annotationRequestId={LARGE}&limit=1000&offset=1001".encode()),
    (RECORDS, b"annotationRequestId=golden-a,golden-b&limit=5"),  # comma-separated
    (RECORDS, b"annotationRequestId=golden-a&annotationRequestId=golden-b&limit=5"),  # repeated
    (RECORDS, b"annotationRequestId=golden-a,golden-a&limit=5"),  # duplicates
    (RECORDS, b"annotationRequestId=caf%C3%A9+au%20lait&limit=3"),  # escapes, + as a space
    (RECORDS, "annotationRequestId=café&limit=3".encode()),  # raw UTF-8
    (RECORDS, b"annotationRequestId=golden-a&limit=3&unknown=1&&"),  # unknown, empty pairs
    (RECORDS, b"annotationRequestId=golden-a&offset=2147483647"),  # far beyond the count
    (RECORDS, f"annotationRequestId={LONG_ID}".encode()),  # 255 bytes
    (RECORDS, ("annotationRequestId=" + ",".join(f"id{i}" for i in range(100))).encode()),
]
INVALID: list[tuple[str, bytes]] = [
    (RECORDS, b""),
    (RECORDS, b"limit=5"),
    (RECORDS, b"annotationRequestId=golden-a&limit=0"),
    (RECORDS, b"annotationRequestId=golden-a&limit=abc"),
    (RECORDS, b"annotationRequestId=golden-a&offset=-1"),
    (RECORDS, b"annotationRequestId=golden-a&limit=1&limit=2"),
    (RECORDS, b"annotationRequestId=golden-a&limit=2147483648"),
    (RECORDS, b"annotationRequestId=golden-a,"),
    (RECORDS, f"annotationRequestId={LONG_ID}y".encode()),
    (RECORDS, ("annotationRequestId=" + ",".join(f"id{i}" for i in range(101))).encode()),
    (RECORDS, b"annotationRequestId=a%01b"),
    (RECORDS, b"annotationRequestId=a%zz"),
    (RECORDS, b"annotationRequestId=a%FF"),
    (PROD, b"annotationRequestId=golden-a&limit=-5"),
]
PAGE = f"annotationRequestId={LARGE}&limit=10".encode()
# Valid queries the door leaves to the stack, for what else they carry.
OTHERS: list[Request] = [
    ("HEAD", RECORDS, PAGE, [], False),
    ("POST", RECORDS, PAGE, [], False),
    ("GET", RECORDS, PAGE, [(b"prefer", b"code=5000")], False),
    ("GET", RECORDS, PAGE, [(b"prefer", b"delay=1")], False),
    ("GET", RECORDS, PAGE, [(b"origin", b"http://app.example")], False),
    ("GET", RECORDS + "/below", PAGE, [], False),
    ("GET", "/statistics/elsewhere", PAGE, [], False),
    ("GET", "/openapi.json", b"", [], False),
    ("GET", "/", b"", [], False),
    ("GET", "/__mock/requests", b"limit=3", [], False),
    ("GET", "/__session/s1/statistics/record", PAGE, [], False),
    ("GET", f"/__session/s1{PROD}", PAGE, [], False),
]


def corpus() -> list[Request]:
    requests: list[Request] = [("GET", path, query, [], True) for path, query in VALID]
    requests += [("GET", path, query, [], False) for path, query in INVALID]
    requests += OTHERS
    # A valid request again after the others: the door keeps answering, from its memo.
    requests += [("GET", path, query, [], True) for path, query in VALID[:3]]
    return requests


class Exchange:
    """One request's answer: the messages sent, and whether Connexion's entry saw it."""

    def __init__(self, messages: list[MutableMapping[str, Any]], entered_stack: bool) -> None:
        start = messages[0]
        self.status: int = start["status"]
        self.headers: list[tuple[bytes, bytes]] = [tuple(h) for h in start["headers"]]
        self.body = b"".join(m.get("body", b"") for m in messages[1:])
        self.entered_stack = entered_stack

    def seen(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        return self.status, self.headers, self.body


# One event loop for every request of a test: a loop per request (asyncio.run) cost more than
# the requests themselves.
LOOP = asyncio.new_event_loop()


@pytest.fixture(autouse=True)
def loop() -> Iterator[None]:
    global LOOP
    LOOP = asyncio.new_event_loop()
    yield
    LOOP.close()


def ask(app: Any, request: Request, port: int, body: bytes = b"") -> Exchange:
    method, path, query, extra, _ = request
    sent: list[MutableMapping[str, Any]] = []
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": query, "headers": [(b"host", b"127.0.0.1"), *extra],
        "client": ("127.0.0.1", port), "server": ("127.0.0.1", 80), "extensions": {},
        "state": {},
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    LOOP.run_until_complete(app(scope, receive, send))
    return Exchange(sent, "app" in scope)


def seams() -> dict[str, Any]:
    numbers = itertools.count(1)
    return {
        "clock": lambda: FROZEN,
        "journal_clock": lambda: FROZEN,
        "request_ids": lambda: f"{next(numbers):032x}",
    }


class Mock:
    """A mock built by create_app, its access log written to a file of its own."""

    def __init__(self, settings: Settings, door: bool, folder: Path) -> None:
        self.app = create_app(settings, fast_door=door, **seams())
        self._path = folder / f"access-{door}.log"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        self._log = self.app.log_inside(partial(AccessLog, fd=self._fd, colours=False))

    def lines(self) -> list[str]:
        self._log.flush()
        os.close(self._fd)
        return self._path.read_text().splitlines()

    def journal(self) -> list[dict[str, Any]]:
        journal = journal_of(self.app)
        return [] if journal is None else journal.read().entries


SETTINGS = {
    "default": Settings(),
    "fixtures only": Settings(fixtures_only=True),
    "no journal": Settings(journal=False),
    "HTTP-200 errors": Settings(http_200_errors=True),
    "no CORS, Europe/Paris": Settings(cors_origins=(), timezone="Europe/Paris"),
}


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def compare(settings: Settings, requests: list[Request], folder: Path) -> None:
    with_door, without = Mock(settings, True, folder), Mock(settings, False, folder)
    for port, request in enumerate(requests, start=40000):
        ours, stack = ask(with_door.app, request, port), ask(without.app, request, port)
        assert ours.seen() == stack.seen(), request
        assert stack.entered_stack, request
        taken = not ours.entered_stack
        assert taken == request[4], f"the door {'took' if taken else 'missed'} {request[:3]}"
    assert with_door.journal() == without.journal()
    lines = with_door.lines()
    assert lines == without.lines()
    assert len(lines) == len(requests)


@pytest.mark.parametrize("name", SETTINGS)
def test_the_door_answers_records_and_logs_as_the_stack_does(name: str, folder: Path) -> None:
    settings = SETTINGS[name]
    requests = corpus()
    if settings.fixtures_only:
        # IDs no fixture pins: the handler raises, and the door hands the request over.
        requests = [(*r[:4], r[4] and f"annotationRequestId={LARGE}".encode() in r[2])
                    for r in requests]  # fmt: skip
    compare(settings, requests, folder)
    journal = Mock(settings, True, folder).journal()
    assert journal == [] or settings.journal


def test_while_a_scenario_is_set_every_request_goes_through_the_stack(folder: Path) -> None:
    with_door = Mock(Settings(), True, folder)
    scenario = json.dumps({"name": "down", "match": {"offset": 2}, "answer": 5000}).encode()
    post = ("POST", "/__mock/scenarios", b"", [(b"content-type", b"application/json")], False)
    assert ask(with_door.app, post, 1, scenario).status == 201
    for path, query in VALID[:3]:
        assert ask(with_door.app, ("GET", path, query, [], False), 2).entered_stack
    delete = ("DELETE", "/__mock/scenarios/down", b"", [], False)
    assert ask(with_door.app, delete, 1).status in {200, 204}
    assert not ask(with_door.app, ("GET", *VALID[0], [], True), 2).entered_stack


UNSAFE = {
    "signature keys": Settings(signature_keys={"key": "secret"}),
    "fault rate": Settings(fault_rate=0.5),
    "latency": Settings(latency_ms=1),
    "drill": Settings(drills=("extra-fields",)),
}


@pytest.mark.parametrize("name", UNSAFE)
def test_no_door_is_built_for_what_only_the_stack_handles(name: str) -> None:
    assert not fast_door.door_is_safe(UNSAFE[name])
    app = create_app(UNSAFE[name])
    assert ask(app, ("GET", *VALID[0], [], False), 1).entered_stack
    assert fast_door.door_is_safe(replace(UNSAFE[name], **{
        "signature_keys": {}, "fault_rate": 0.0, "latency_ms": 0, "drills": ()}))  # fmt: skip


def test_no_door_with_a_journal_other_processes_read(folder: Path) -> None:
    # Workers share a journal that is written before an answer ends: the journal's door does.
    shared = SharedJournal.create(folder, 10)
    try:
        app = create_app(Settings(), journal=shared)
        assert ask(app, ("GET", *VALID[0], [], False), 1).entered_stack
        assert len(shared.read().entries) == 1
    finally:
        shared.close()


def test_the_memo_of_valid_queries_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_door, "MEMO_QUERIES", 4)
    app = create_app(Settings(journal=False))
    door = app._entry
    assert isinstance(door, fast_door.FastDoor)
    for offset in range(1, 11):
        query = f"annotationRequestId=golden-a&limit=1&offset={offset}".encode()
        assert not ask(app, ("GET", RECORDS, query, [], True), 1).entered_stack
    # Emptied when full: queries 1-4, then 5-8, then 9 and 10.
    assert list(door._valid) == [
        f"annotationRequestId=golden-a&limit=1&offset={offset}".encode() for offset in (9, 10)
    ]
    long_query = ("annotationRequestId=" + ",".join(f"id-{i}" for i in range(99))).encode()
    assert len(long_query) > fast_door.MEMO_QUERY_BYTES
    assert not ask(app, ("GET", RECORDS, long_query, [], True), 1).entered_stack
    assert long_query not in door._valid


def test_the_common_query_is_parsed_by_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh page's query is never in the memo: the door reads the common one without the
    # general parse (D82), which stays for the others.
    asked: list[bytes] = []

    def general(rules: Any, raw: bytes) -> dict[str, Any]:
        asked.append(raw)
        return parse_query(rules, raw)

    monkeypatch.setattr(fast_door, "parse_query", general)
    app = create_app(Settings(journal=False))
    common = f"offset=3&annotationRequestId={LARGE}&limit=5".encode()
    assert not ask(app, ("GET", RECORDS, common, [], True), 1).entered_stack
    assert asked == []
    escaped = b"annotationRequestId=caf%C3%A9"
    assert not ask(app, ("GET", RECORDS, escaped, [], True), 1).entered_stack
    assert asked == [escaped]


def test_with_access_log_puts_the_log_inside_the_door_and_shutdown_writes_it(folder: Path) -> None:
    path = folder / "access.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        app = create_app(Settings(), **seams())
        assert with_access_log(app, True, "info", fd=fd, colours=False) is app
        assert not ask(app, ("GET", *VALID[0], [], True), 50312).entered_stack
        assert path.read_text() == ""  # buffered, not written per request
        events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

        async def receive() -> dict[str, Any]:
            return next(events)

        async def send(_message: MutableMapping[str, Any]) -> None:
            return None

        LOOP.run_until_complete(
            app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
        )
    finally:
        os.close(fd)
    query = VALID[0][1].decode()
    assert path.read_text() == (
        f'INFO:     127.0.0.1:50312 - "GET {RECORDS}?{query} HTTP/1.1" 200 OK\n'
    )


def test_a_cancelled_request_is_recorded_unanswered_as_the_journal_s_door_records_it() -> None:
    async def cancelled(_scope: object) -> object:
        raise asyncio.CancelledError

    async def stack(_scope: object, _receive: object, _send: object) -> None:
        raise AssertionError("a cancelled request is not handed to the stack")

    ring = RingJournal(10)
    door = fast_door.FastDoor(
        stack,
        None,
        rules=RULES,
        handler=cancelled,
        live_scenarios={},
        ring=ring,
        now=lambda: FROZEN,
    )  # type: ignore[arg-type]
    with pytest.raises(asyncio.CancelledError):
        ask(door, ("GET", *VALID[0], [], True), 7)
    [entry] = ring.read().entries
    assert (entry["status"], entry["code"], entry["path"], entry["client"]) == (
        500, None, RECORDS, "127.0.0.1:7",
    )  # fmt: skip
