"""mockserver/journal.py: the recorded request, its entry, and the bounded in-memory ring."""

from __future__ import annotations

from mockserver.journal import (
    REDACTED,
    Recorded,
    RingJournal,
    entry,
    packed,
    redacted,
    unpacked,
)


def recorded(number: int, headers: tuple[tuple[bytes, bytes], ...] = ()) -> Recorded:
    return (
        1_700_000_000.0 + number,
        1.23456,
        ("127.0.0.1", 40000 + number),
        "GET",
        "/statistics/record",
        f"annotationRequestId=a&limit=10&offset={number}".encode(),
        packed(headers or ((b"host", b"mock"),)),
        200,
        2000,
        1930,
        None,
        None,
    )


def test_the_entry_has_every_field_in_the_agreed_form() -> None:
    built = entry(7, recorded(3, ((b"host", b"mock"), (b"x-ts", b"17"))))
    assert built == {
        "seq": 7,
        "at": 1_700_000_003.0,
        "elapsed_ms": 1.235,
        "client": "127.0.0.1:40003",
        "method": "GET",
        "path": "/statistics/record",
        "query": "annotationRequestId=a&limit=10&offset=3",
        "headers": [["host", "mock"], ["x-ts", "17"]],
        "status": 200,
        "code": 2000,
        "count": 1930,
        "returned": 10,
        "limit": 10,
        "scenario": None,
        "session": None,
    }


def test_records_and_limit_are_read_from_a_pages_query() -> None:
    # What the handler noted is the count; the rest is the query as the mock parsed it.
    last = (*recorded(1)[:5], b"annotationRequestId=a&limit=5000&offset=2", *recorded(1)[6:])
    assert (entry(1, last)["returned"], entry(1, last)["limit"]) == (930, 1000)
    default = (*recorded(1)[:5], b"annotationRequestId=a", *recorded(1)[6:])
    assert (entry(1, default)["returned"], entry(1, default)["limit"]) == (10, 10)
    refused = (*recorded(1)[:7], 400, 4005, None, "outage", "s1")
    assert (entry(1, refused)["count"], entry(1, refused)["limit"]) == (None, None)
    # The scenario that shaped the answer is the entry's (D67).
    assert (entry(1, refused)["scenario"], entry(1, default)["scenario"]) == ("outage", None)
    assert (entry(1, refused)["session"], entry(1, default)["session"]) == ("s1", None)


def test_headers_are_packed_and_unpacked_as_they_came() -> None:
    pairs = [(b"host", b"mock"), (b"x-empty", b""), (b"accept", b"*/*")]
    assert unpacked(packed(pairs)) == pairs
    assert unpacked(packed([])) == []
    # Every form the ASGI scope may hold, every length: pairs as lists (which tuple addition,
    # the short lists' path, refuses), and more pairs than that path takes.
    as_lists = [[name, value] for name, value in pairs]
    assert unpacked(packed(as_lists)) == pairs  # type: ignore[arg-type]
    many = [(b"x-%d" % index, b"v%d" % index) for index in range(100)]
    for length in (31, 32, 33, 100):
        assert unpacked(packed(many[:length])) == many[:length]


def test_an_entry_never_shows_a_secret_value() -> None:
    built = entry(1, recorded(1, ((b"x-sign", b"deadbeef"), (b"cookie", b"s=hunter2"))))
    assert built["headers"] == [["x-sign", "[REDACTED]"], ["cookie", "[REDACTED]"]]


def test_secret_header_values_are_replaced_and_their_names_kept() -> None:
    headers = [
        (b"x-sign", b"deadbeef"),
        (b"authorization", b"Bearer hunter2"),
        (b"cookie", b"session=hunter2"),
        (b"x-stardust-key", b"ak"),
        (b"x-ts", b"1700000000000"),
    ]
    assert redacted(headers) == [
        (b"x-sign", REDACTED),
        (b"authorization", REDACTED),
        (b"cookie", REDACTED),
        (b"x-stardust-key", b"ak"),
        (b"x-ts", b"1700000000000"),
    ]


def test_the_ring_keeps_the_newest_and_counts_exactly() -> None:
    journal = RingJournal(size=3)
    for number in range(1, 8):
        journal.record(recorded(number))
    page = journal.read()
    assert [entry["seq"] for entry in page.entries] == [5, 6, 7]
    assert (page.total, page.dropped) == (7, 4)
    # The entry is the request recorded with that number, not the last one's.
    assert page.entries[0]["query"].endswith("&offset=5")


def test_since_and_limit_choose_entries_oldest_first() -> None:
    journal = RingJournal(size=10)
    for number in range(1, 6):
        journal.record(recorded(number))
    assert [e["seq"] for e in journal.read(since=2).entries] == [3, 4, 5]
    assert [e["seq"] for e in journal.read(since=1, limit=2).entries] == [2, 3]
    # The counts are the journal's, whatever the filters keep.
    assert journal.read(since=4).total == 5


def test_clear_starts_the_counts_again_and_the_sequence_goes_on() -> None:
    journal = RingJournal(size=2)
    for number in range(1, 5):
        journal.record(recorded(number))
    journal.clear()
    assert journal.read() == ([], 0, 0)
    journal.record(recorded(5))
    page = journal.read()
    assert [e["seq"] for e in page.entries] == [5]
    assert (page.total, page.dropped) == (1, 0)
