"""mockserver/recording.py: every request to the operation recorded, at one place (D47)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any

import pytest

from conformance.signing import signature_headers
from mockserver import record_json, recording
from mockserver.app import create_app, journal_of
from mockserver.config import Settings
from mockserver.journal import RingJournal, packed
from mockserver.recording import ring_entry
from mockserver.shared_journal import SharedJournal
from tests.support.inprocess import ClientFactory
from tests.support.required import missing

DOC_ID = "7d44b43b-3bbd-4f53-9f95-b7c0217d8d5b"  # 1930 records (fixtures/)
RECORDS = "/statistics/record"
PREFIXED = "/rosetta-open/statistics/record"


def journal(http: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = http.get("/__mock/requests").json()["requests"]
    return entries


def summary(entry: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("method", "path", "status", "code", "count", "returned", "limit")
    return tuple(entry[key] for key in keys)


def test_every_answer_to_the_operation_is_recorded_with_what_it_served(
    make_client: ClientFactory,
) -> None:
    http = make_client()
    http.get(RECORDS, params={"annotationRequestId": DOC_ID, "offset": 2, "limit": 5000})
    http.get(PREFIXED, params={"annotationRequestId": DOC_ID, "offset": 3, "limit": 7})
    http.get(PREFIXED)  # 4005: the ID is missing
    http.get(RECORDS, params={"annotationRequestId": "does-not-exist", "limit": 20})
    http.get(RECORDS, params={"annotationRequestId": DOC_ID}, headers={"Prefer": "code=5000"})
    http.post(RECORDS)  # 405
    http.get(RECORDS + "/extra")  # Connexion's 404 under the path
    assert [summary(entry) for entry in journal(http)] == [
        ("GET", RECORDS, 200, 2000, 1930, 930, 1000),
        ("GET", PREFIXED, 200, 2000, 1930, 7, 7),
        ("GET", PREFIXED, 400, 4005, None, None, None),
        ("GET", RECORDS, 404, 53003, None, None, None),
        ("GET", RECORDS, 500, 5000, None, None, None),
        ("POST", RECORDS, 405, None, None, None, None),
        ("GET", RECORDS + "/extra", 404, None, None, None, None),
    ]


def test_an_entry_holds_the_raw_query_client_time_and_headers(make_client: ClientFactory) -> None:
    http = make_client(client=("127.0.0.1", 4321))
    # The query exactly as sent: repeated IDs, a literal comma, an unknown parameter.
    http.get(f"{RECORDS}?annotationRequestId=a,b&annotationRequestId=c&limit=%37")
    (entry,) = journal(http)
    assert entry["query"] == "annotationRequestId=a,b&annotationRequestId=c&limit=%37"
    assert (entry["status"], entry["returned"], entry["limit"]) == (200, 7, 7)
    assert entry["client"] == "127.0.0.1:4321" and entry["seq"] == 1
    assert entry["at"] > 1.7e9 and entry["elapsed_ms"] > 0
    assert ["user-agent", http.headers["user-agent"]] in entry["headers"]
    assert entry["scenario"] is None


def test_signature_refusals_are_recorded_with_their_codes_and_no_secret(
    make_client: ClientFactory,
) -> None:
    http = make_client(signature_keys={"ak": "sk"})
    signed = signature_headers("ak", "sk")
    http.get(RECORDS, params={"annotationRequestId": DOC_ID}, headers=signed)
    http.get(RECORDS, params={"annotationRequestId": DOC_ID})
    http.get(
        RECORDS,
        params={"annotationRequestId": DOC_ID},
        headers={**signed, "X-SIGN": "0" * 64, "Authorization": "Bearer hunter2", "Cookie": "s=1"},
    )
    entries = journal(http)
    assert [(e["status"], e["code"]) for e in entries] == [(200, 2000), (401, 402), (401, 401)]
    headers = dict(map(tuple, entries[2]["headers"]))
    assert headers["x-sign"] == headers["authorization"] == headers["cookie"] == "[REDACTED]"
    assert headers["x-stardust-key"] == "ak"
    text = str(entries)
    assert signed["X-SIGN"] not in text and "hunter2" not in text


def test_the_http_200_style_records_the_business_code(make_client: ClientFactory) -> None:
    http = make_client(http_200_errors=True)
    http.get(RECORDS, params={"annotationRequestId": "does-not-exist"})
    assert [(e["status"], e["code"]) for e in journal(http)] == [(200, 53003)]


def test_a_drilled_page_is_recorded_too(make_client: ClientFactory) -> None:
    http = make_client(drills=("extra-fields",))
    http.get(RECORDS, params={"annotationRequestId": DOC_ID, "offset": 194, "limit": 10})
    assert [(e["count"], e["returned"]) for e in journal(http)] == [(1930, 0)]


def test_kept_requests_cost_the_garbage_collector_nothing(make_client: ClientFactory) -> None:
    # What the door keeps is a flat tuple of strings, numbers and bytes: the collector stops
    # tracking such a tuple once it has seen its members (a pass per level of nesting), so a
    # full journal adds nothing to scan at each full collection (D47's cost).
    app = create_app(Settings())
    ring = journal_of(app)
    assert isinstance(ring, RingJournal)
    kept: list[tuple[Any, ...]] = []
    append = ring.append
    ring.append = lambda item: (kept.append(item), append(item))[1]  # type: ignore[method-assign]
    asgi_get(app, lambda _message: None)
    (item,) = kept
    assert item[0] == 1 and ring.read().total == 1
    for _ in range(3):
        gc.collect()
    assert not gc.is_tracked(item)


def test_other_paths_are_not_recorded(make_client: ClientFactory) -> None:
    http = make_client()
    assert http.get("/ui/").status_code == 200
    assert http.get("/openapi.json").status_code == 200
    assert http.get("/statistics").status_code == 404
    http.get("/__mock/openapi.json")
    assert http.get("/__mock/requests").json()["total"] == 0


def asgi_get(app: Any, on_message: Any) -> None:
    """One GET of a page through the app as a server calls it; `on_message` sees each message
    the app sends, then is called with None once the app has returned."""

    async def ask() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": RECORDS,
            "raw_path": RECORDS.encode(),
            "root_path": "",
            "query_string": f"annotationRequestId={DOC_ID}".encode(),
            "headers": [(b"host", b"mock")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            on_message(message)

        await app(scope, receive, send)
        # Nothing else runs in between: no other request is handled before this point.
        on_message(None)

    asyncio.run(ask())


def test_the_entry_is_in_the_journal_before_anything_else_is_handled() -> None:
    # In memory (one process), the door records as soon as the app has returned: before the
    # event loop can run anything else, such as the client's request for the journal.
    app = create_app(Settings())
    journal = journal_of(app)
    assert journal is not None
    seen: list[tuple[str, int]] = []
    asgi_get(app, lambda m: seen.append((m["type"] if m else "returned", journal.read().total)))
    assert seen == [
        ("http.response.start", 0),
        ("http.response.body", 0),
        ("returned", 1),
    ]


def test_a_shared_journal_has_the_entry_before_the_answer_ends(tmp_path: Path) -> None:
    # Across workers, another process may be asked next: the entry is written before the
    # answer's last body message goes to the server.
    journal = SharedJournal.create(tmp_path, 10)
    app = create_app(Settings(), journal=journal)
    seen: list[tuple[str, int]] = []
    asgi_get(app, lambda m: seen.append((m["type"] if m else "returned", journal.read().total)))
    assert seen == [
        ("http.response.start", 0),
        ("http.response.body", 1),
        ("returned", 1),
    ]
    (entry,) = journal.read().entries
    assert (entry["status"], entry["code"], entry["count"]) == (200, 2000, 1930)


def test_no_journal_records_nothing_and_has_no_admin_api(make_client: ClientFactory) -> None:
    http = make_client(journal=False)
    http.get(RECORDS, params={"annotationRequestId": DOC_ID})
    assert http.get("/__mock/requests").status_code == 404
    assert journal_of(create_app(Settings(journal=False))) is None


# The entry the ring keeps, compiled (D85) and in Python: the same tuple for every request.
ENTRY_SCOPES: list[dict[str, Any]] = [
    {"method": "GET", "query_string": b"a=1", "headers": [], "client": ("127.0.0.1", 5)},
    {"method": "HEAD", "query_string": b"", "headers": [(b"host", b"x"), (b"accept", b"*/*")]},
    {"method": "GET", "query_string": b"q", "headers": [[b"x-sign", b"s"], [b"a", b"b"]]},
    {"method": "GET", "query_string": b"q", "headers": ((b"a", bytearray(b"b")),)},
    {"method": "GET", "query_string": b"q", "headers": [(b"n%d" % i, b"v") for i in range(40)]},
    {"method": "GET", "query_string": b"q", "headers": [(b"odd", b"three", b"items")]},
]
# [status, code, count, scenario] as the handler and the error handler leave it.
ENTRY_NOTES: list[list[Any]] = [
    [None, None, 1930, None],
    [None, None, 0, "slow"],
    [401, 401, None, None],
    [200, 4005, None, "bad"],
    [None, None, None, None],  # noted by nobody: Starlette's last-resort 500
    [0, 0, None, None],
]


def _both_entries() -> list[tuple[Any, Any]]:
    compiled = record_json.COMPILED
    if compiled is None:
        missing(f"no compiled record loop to compare with: {record_json.loop_status()}")
    python_ring, compiled_ring = RingJournal(4), RingJournal(4)
    pairs = []
    for scope in ENTRY_SCOPES:
        for note in ENTRY_NOTES:
            python = ring_entry(python_ring, scope, "/p", 1.25, 3.5, list(note))
            built = compiled.ring_entry(compiled_ring, scope, "/p", 1.25, 3.5, list(note))
            pairs.append((python, built))
    return pairs


def test_the_compiled_entry_is_the_python_entry() -> None:
    pairs = _both_entries()
    for python, built in pairs:
        assert built == python
        assert [type(item) for item in built] == [type(item) for item in python]
    assert [python[0] for python, _ in pairs] == list(range(1, len(pairs) + 1))
    assert recording.RING_ENTRY is record_json.COMPILED.ring_entry  # type: ignore[union-attr]


def test_the_compiled_packing_refuses_what_python_refuses() -> None:
    compiled = record_json.COMPILED
    if compiled is None:
        missing(f"no compiled record loop to compare with: {record_json.loop_status()}")
    for headers in ([(b"a", "text")], [(b"a", 1)], [b"ab"], 5):
        with pytest.raises(TypeError):
            packed(headers)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            compiled.packed(headers)


@pytest.mark.parametrize("built_by", ["python", "compiled"])
def test_a_full_ring_drops_its_oldest_entry_before_the_new_one_is_built(built_by: str) -> None:
    # The new entry's objects then take the memory the oldest freed (D85); the ring still
    # keeps the newest `size`, and its total and dropped counts stay exact (D49).
    make = ring_entry
    if built_by == "compiled":
        if record_json.COMPILED is None:
            missing(f"no compiled record loop: {record_json.loop_status()}")
        make = record_json.COMPILED.ring_entry
    ring = RingJournal(3)
    scope = {**ENTRY_SCOPES[0], "query_string": b"annotationRequestId=a&limit=10&offset=1"}
    note = [None, None, 5, None]
    for _ in range(3):
        ring.append(make(ring, scope, "/p", 1.0, 2.0, list(note)))
        assert len(ring.entries) <= 3
    built = make(ring, scope, "/p", 1.0, 2.0, list(note))
    assert [kept[0] for kept in ring.entries] == [2, 3] and built[0] == 4
    ring.append(built)
    page = ring.read()
    assert [entry["seq"] for entry in page.entries] == [2, 3, 4]
    assert (page.total, page.dropped) == (4, 1)
